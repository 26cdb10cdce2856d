//! The same registration without a proc-macro crate: a `macro_rules!`
//! macro that wraps the whole definition so that it can see the fields,
//! and the `Triangle` it registers.

use super::Shape;

/// The `macro_rules!` alternative to the derive: it wraps the whole
/// definition so that it can see the fields, and emits the same three items.
/// It knows one shape of struct — named fields, no generics — and checks
/// nothing a type error would not.
macro_rules! registered_shape {
    (
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident as $name:literal {
            $( $(#[$field_meta:meta])* $field_vis:vis $field:ident : $field_ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $ty {
            $( $(#[$field_meta])* $field_vis $field: $field_ty ),*
        }

        impl $crate::metaclasses::Describe for $ty {
            fn describe(&self) -> String {
                $crate::metaclasses::__private::describe_named(
                    $name,
                    &[$((stringify!($field), &self.$field as &dyn ::core::fmt::Debug)),*],
                )
            }
        }

        impl $crate::metaclasses::Registered for $ty {
            const REGISTRATION: $crate::metaclasses::Registration =
                $crate::metaclasses::Registration {
                    name: $name,
                    type_name: stringify!($ty),
                    fields: &[$($crate::metaclasses::Field {
                        name: stringify!($field),
                        ty: stringify!($field_ty),
                    }),*],
                    constructor: $crate::metaclasses::__private::construct::<Self>,
                    origin: $crate::metaclasses::Origin {
                        module: module_path!(),
                        file: file!(),
                        line: line!(),
                    },
                };
        }

        $crate::metaclasses::__private::inventory::submit! {
            <$ty as $crate::metaclasses::Registered>::REGISTRATION
        }
    };
}

registered_shape! {
    /// A triangle, registered by `registered_shape!` (the `macro_rules!`
    /// alternative) instead of the derive.
    #[derive(Debug, Default, Clone, PartialEq)]
    pub struct Triangle as "triangle" {
        /// The base.
        pub base: f64,
        /// The height over the base.
        pub height: f64,
    }
}

impl Shape for Triangle {
    fn area(&self) -> f64 {
        self.base * self.height / 2.0
    }
}
