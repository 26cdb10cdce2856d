//! `size_of` for the types the topic compares: the compiler's layout, the
//! value itself and never the heap it owns.

use super::InlineVec;

/// One line of the size table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeFact {
    /// The type, as written.
    pub name: &'static str,
    /// `size_of` in bytes: the value itself, never the heap it owns.
    pub size: usize,
    /// What those bytes are.
    pub what: &'static str,
}

/// What the compiler says about the types this topic compares.
pub fn size_facts() -> Vec<SizeFact> {
    vec![
        SizeFact {
            name: "u64",
            size: size_of::<u64>(),
            what: "the number, inline",
        },
        SizeFact {
            name: "&str",
            size: size_of::<&str>(),
            what: "pointer + length",
        },
        // ANCHOR: sizes
        SizeFact {
            name: "String",
            size: size_of::<String>(),
            what: "pointer + capacity + length",
        },
        SizeFact {
            name: "Box<str>",
            size: size_of::<Box<str>>(),
            what: "pointer + length: cannot grow",
        },
        SizeFact {
            name: "Vec<u64>",
            size: size_of::<Vec<u64>>(),
            what: "pointer + capacity + length",
        },
        SizeFact {
            name: "Box<[u64]>",
            size: size_of::<Box<[u64]>>(),
            what: "pointer + length",
        },
        SizeFact {
            name: "Option<Box<[u64]>>",
            size: size_of::<Option<Box<[u64]>>>(),
            what: "None is the null pointer (a niche)",
        },
        // ANCHOR_END: sizes
        SizeFact {
            name: "std::rc::Rc<str>",
            size: size_of::<std::rc::Rc<str>>(),
            what: "pointer + length; counts live on the heap",
        },
        SizeFact {
            name: "InlineVec<u32, 4>",
            size: size_of::<InlineVec<u32, 4>>(),
            what: "room for 4 items inline, or a Vec",
        },
        SizeFact {
            name: "[u64; 4]",
            size: size_of::<[u64; 4]>(),
            what: "four numbers, no header",
        },
    ]
}
