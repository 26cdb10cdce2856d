//! The XML parser's tests: a conformance table written from the XML 1.0
//! (5th edition) and Namespaces 1.0 specs — every case also fed in every
//! two-way split and byte by byte — property tests over generated
//! documents, mutated documents and arbitrary bytes under arbitrary
//! chunkings, and agreement with `quick-xml` on generated documents.

use proptest::prelude::*;

use super::chars::is_xml_char;
use super::references::predefined;
use super::text::skip_text;
use super::*;
use crate::streaming_parsers::ErrorKind;
use crate::streaming_parsers::testkit::{
    self, Case, HugeToken, Lifecycle, Reader, Says, TestEvent, around,
    check_chunking_never_matters, check_huge_tokens_cost_linear_work, check_table, cuts, parse,
    parse_bytewise, parse_cut, parse_split,
};

fn show_ns(ns: &Option<String>) -> String {
    match ns.as_deref() {
        None => String::new(),
        Some(XMLNS_NAMESPACE) => "@xmlns".to_owned(),
        Some(XML_NAMESPACE) => "@xml".to_owned(),
        Some(uri) => format!("@{uri}"),
    }
}

/// Events as compact text: `<a@urn x="1"> "text" </a@urn>`, `!"…"` for
/// CDATA, `#"…"` for comments, `?target"data"`, `decl[1.0,UTF-8,yes]`,
/// `doctype[name,public,system,subset]`.
impl TestEvent for OwnedXmlEvent {
    fn render(events: &[Self]) -> String {
        let words: Vec<String> = events
            .iter()
            .map(|e| match e {
                OwnedXmlEvent::Declaration {
                    version,
                    encoding,
                    standalone,
                } => {
                    let mut parts = vec![version.clone()];
                    parts.extend(encoding.clone());
                    parts.extend(standalone.map(|s| if s { "yes" } else { "no" }.to_owned()));
                    format!("decl[{}]", parts.join(","))
                }
                OwnedXmlEvent::Doctype {
                    name,
                    public_id,
                    system_id,
                    internal_subset,
                } => format!(
                    "doctype[{name},{},{},{}]",
                    public_id.as_deref().unwrap_or_default(),
                    system_id.as_deref().unwrap_or_default(),
                    internal_subset.as_deref().unwrap_or_default()
                ),
                OwnedXmlEvent::StartElement {
                    name,
                    namespace,
                    attributes,
                } => {
                    let attrs: String = attributes
                        .iter()
                        .map(|a| format!(" {}{}={:?}", a.name, show_ns(&a.namespace), a.value))
                        .collect();
                    format!("<{name}{}{attrs}>", show_ns(namespace))
                }
                OwnedXmlEvent::EndElement { name, namespace } => {
                    format!("</{name}{}>", show_ns(namespace))
                }
                OwnedXmlEvent::Text(t) => format!("{t:?}"),
                OwnedXmlEvent::CData(t) => format!("!{t:?}"),
                OwnedXmlEvent::Comment(t) => format!("#{t:?}"),
                OwnedXmlEvent::ProcessingInstruction { target, data } => {
                    format!("?{target}{data:?}")
                }
            })
            .collect();
        words.join(" ")
    }
}

const ACCEPTED: &[Case] = &[
    // Elements (§3.1): empty-element tags give a start and an end.
    (b"<a/>", Ok("<a> </a>")),
    (b"<a></a>", Ok("<a> </a>")),
    (b"<a\n x = \"1\"\t></a >", Ok(r#"<a x="1"> </a>"#)),
    (b"<a><b><c/></b>t</a>", Ok(r#"<a> <b> <c> </c> </b> "t" </a>"#)),
    (b"<a> <b/> </a>", Ok(r#"<a> " " <b> </b> " " </a>"#)),
    // Names (§2.3): NameStartChar / NameChar, non-ASCII included.
    ("<été 名前=\"1\"/>".as_bytes(), Ok(r#"<été 名前="1"> </été>"#)),
    ("<_a-b.c\u{B7}9/>".as_bytes(), Ok("<_a-b.c·9> </_a-b.c·9>")),
    // The XML declaration (§2.8), only at the very start, after a BOM.
    (b"<?xml version=\"1.0\"?><a/>", Ok("decl[1.0] <a> </a>")),
    (
        b"<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<a/>",
        Ok("decl[1.0,utf-8,yes] <a> </a>"),
    ),
    (
        b"<?xml version=\"1.1\" standalone=\"no\"?><a/>",
        Ok("decl[1.1,no] <a> </a>"),
    ),
    (b"\xEF\xBB\xBF<?xml version=\"1.0\"?><a/>", Ok("decl[1.0] <a> </a>")),
    (b"\xEF\xBB\xBF<a/>", Ok("<a> </a>")),
    // References (§4.1, §4.6): the five predefined entities, character
    // references up to U+10FFFF; text between markup is one event.
    (
        b"<a>x &lt; &gt; &amp; &apos; &quot; y</a>",
        Ok(r#"<a> "x < > & ' \" y" </a>"#),
    ),
    (b"<a>&#65;&#x42;&#x1F600;&#233;&#x10FFFF;</a>", Ok(r#"<a> "AB😀é\u{10ffff}" </a>"#)),
    (b"<a>x&amp;y</a>", Ok(r#"<a> "x&y" </a>"#)),
    (b"<a>&#9;&#10;&#13;</a>", Ok(r#"<a> "\t\n\r" </a>"#)),
    // Line ends (§2.11): \r\n and lone \r become \n everywhere.
    (b"<a>x\r\ny\rz\r</a>", Ok(r#"<a> "x\ny\nz\n" </a>"#)),
    (b"<a><!--\r\n--><?p a\rb?><![CDATA[\r\n]]></a>", Ok(r#"<a> #"\n" ?p"a\nb" !"\n" </a>"#)),
    // `>` and `]` are fine in text, only `]]>` is not.
    (b"<a x=\">\">></a>", Ok(r#"<a x=">"> ">" </a>"#)),
    (b"<a>]] ]> ]]]</a>", Ok(r#"<a> "]] ]> ]]]" </a>"#)),
    // Characters: the edges of the Char production.
    ("<a>\u{FFFD}\u{E000}\u{D7FF}\t</a>".as_bytes(), Ok("<a> \"\u{FFFD}\\u{e000}\\u{d7ff}\\t\" </a>")),
    // CDATA (§2.7) is its own event; it splits text.
    (
        b"<a>x<![CDATA[<&>]]]]>y</a>",
        Ok(r#"<a> "x" !"<&>]]" "y" </a>"#),
    ),
    (b"<a><![CDATA[]]></a>", Ok(r#"<a> !"" </a>"#)),
    // Comments (§2.5) and PIs (§2.6), in the prolog, content and epilog.
    (
        b"<!-- c --><?pi data?><a/><!--e--><?q?>\n",
        Ok(r#"#" c " ?pi"data" <a> </a> #"e" ?q"""#),
    ),
    (b"<a><!----><!-- a-b --><!-->--></a>", Ok(r##"<a> #"" #" a-b " #">" </a>"##)),
    (b"<a><?pi   data ?></a>", Ok(r#"<a> ?pi"data " </a>"#)),
    (b"<?xml-stylesheet href='a'?><a/>", Ok(r#"?xml-stylesheet"href='a'" <a> </a>"#)),
    (b"\n <a/>\r\n <!--x-->\n", Ok(r#"<a> </a> #"x""#)),
    // Attribute value normalization (§3.3.3).
    (
        b"<a x=\"a\tb\nc\r\nd&#10;e&#9;\" y='&lt;&amp;&#x20;&quot;'/>",
        Ok(r#"<a x="a b c d\ne\t" y="<& \""> </a>"#),
    ),
    (b"<a x='\"' y=\"'\"/>", Ok(r#"<a x="\"" y="'"> </a>"#)),
    // Namespaces: default and prefixed, undeclaring the default, `xml`.
    (
        b"<r xmlns=\"urn:d\" xmlns:p=\"urn:p\"><p:c p:at=\"1\" at=\"2\"/><c xmlns=\"\"/></r>",
        Ok(r#"<r@urn:d xmlns@xmlns="urn:d" xmlns:p@xmlns="urn:p"> <p:c@urn:p p:at@urn:p="1" at="2"> </p:c@urn:p> <c xmlns@xmlns=""> </c> </r@urn:d>"#),
    ),
    (b"<a xml:lang=\"en\"/>", Ok(r#"<a xml:lang@xml="en"> </a>"#)),
    (
        b"<a xmlns:p=\"u\"><p:b xmlns:p=\"v\"/><p:b/></a>",
        Ok(r#"<a xmlns:p@xmlns="u"> <p:b@v xmlns:p@xmlns="v"> </p:b@v> <p:b@u> </p:b@u> </a>"#),
    ),
    // Same local name, different namespaces: not duplicates.
    (
        b"<a xmlns:p=\"u\" xmlns:q=\"v\" p:x=\"1\" q:x=\"2\" x=\"3\"/>",
        Ok(r#"<a xmlns:p@xmlns="u" xmlns:q@xmlns="v" p:x@u="1" q:x@v="2" x="3"> </a>"#),
    ),
    // DOCTYPE (§2.8) with internal entities (§4.2), expanded in text and
    // attributes, nested, the `&#38;#60;` double escape (§4.5).
    (
        b"<!DOCTYPE a [<!ENTITY e \"x&amp;y\">]><a>1&e;2</a>",
        Ok(r#"doctype[a,,,<!ENTITY e "x&amp;y">] <a> "1x&y2" </a>"#),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY lt2 \"&#38;#60;\">]><a>&lt2;</a>",
        Ok(r#"doctype[a,,,<!ENTITY lt2 "&#38;#60;">] <a> "<" </a>"#),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY b 'B'><!ENTITY c \"&b;-&b;\">]><a x=\"&c;\">&c;</a>",
        Ok(r#"doctype[a,,,<!ENTITY b 'B'><!ENTITY c "&b;-&b;">] <a x="B-B"> "B-B" </a>"#),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY s \"x&#10;y\">]><a v=\"&s;\">&s;</a>",
        Ok(r#"doctype[a,,,<!ENTITY s "x&#10;y">] <a v="x y"> "x\ny" </a>"#),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"\">]><a>&e;</a>",
        Ok(r#"doctype[a,,,<!ENTITY e "">] <a> </a>"#),
    ),
    // The first declaration of an entity binds.
    (
        b"<!DOCTYPE a [<!ENTITY e \"1\"><!ENTITY e \"2\">]><a>&e;</a>",
        Ok(r#"doctype[a,,,<!ENTITY e "1"><!ENTITY e "2">] <a> "1" </a>"#),
    ),
    // Attribute defaults and non-CDATA normalization from ATTLIST (§3.3).
    (
        b"<!DOCTYPE a [<!ATTLIST a d CDATA \"def\" t NMTOKENS #IMPLIED>]><a t=\"  x   y \"/>",
        Ok(r#"doctype[a,,,<!ATTLIST a d CDATA "def" t NMTOKENS #IMPLIED>] <a t="x y" d="def"> </a>"#),
    ),
    (
        b"<!DOCTYPE a [<!ATTLIST a xmlns CDATA #FIXED 'urn:f'>]><a/>",
        Ok(r#"doctype[a,,,<!ATTLIST a xmlns CDATA #FIXED 'urn:f'>] <a@urn:f xmlns@xmlns="urn:f"> </a@urn:f>"#),
    ),
    // External IDs: recorded, not fetched.
    (b"<!DOCTYPE a SYSTEM \"a.dtd\"><a/>", Ok("doctype[a,,a.dtd,] <a> </a>")),
    (
        b"<!DOCTYPE a PUBLIC \"-//X//DTD a//EN\" 'y.dtd' [ ]>\n<a/>",
        Ok("doctype[a,-//X//DTD a//EN,y.dtd, ] <a> </a>"),
    ),
    // Every kind of declaration, and `]>` hidden in a comment and a PI.
    (
        b"<!DOCTYPE a [\n<!ELEMENT a (b|c)*>\n<!ELEMENT b (#PCDATA)>\n<!ELEMENT c (d,(e|f)?,g+)>\n<!ELEMENT d (#PCDATA|b|c)*>\n<!ELEMENT e EMPTY><!ELEMENT f ANY>\n<!NOTATION n SYSTEM \"x\"><!NOTATION m PUBLIC \"p\">\n<!ENTITY u SYSTEM \"u.bin\" NDATA n>\n<!ENTITY % pe \"x\">\n<!-- ]> ' --><?p ]>\"?>\n<!ATTLIST a e (x|y) \"x\" id ID #IMPLIED n NOTATION (n|m) #IMPLIED>\n]><a/>",
        Ok("doctype[a,,,\n<!ELEMENT a (b|c)*>\n<!ELEMENT b (#PCDATA)>\n<!ELEMENT c (d,(e|f)?,g+)>\n<!ELEMENT d (#PCDATA|b|c)*>\n<!ELEMENT e EMPTY><!ELEMENT f ANY>\n<!NOTATION n SYSTEM \"x\"><!NOTATION m PUBLIC \"p\">\n<!ENTITY u SYSTEM \"u.bin\" NDATA n>\n<!ENTITY % pe \"x\">\n<!-- ]> ' --><?p ]>\"?>\n<!ATTLIST a e (x|y) \"x\" id ID #IMPLIED n NOTATION (n|m) #IMPLIED>\n] <a e=\"x\"> </a>"),
    ),
    // Entities with markup (§4.4.2 "included", §4.3.2): the replacement
    // text is parsed as content, giving the events of the same text
    // written inline — text runs merge across the entity's edges, and
    // references inside it (nested markup entities, character references
    // that make markup, `&#38;#60;` that makes text) are expanded in turn.
    (
        b"<!DOCTYPE r [<!ENTITY e \"<b>x</b> &amp; more\">]><r>&e;</r>",
        Ok(r#"doctype[r,,,<!ENTITY e "<b>x</b> &amp; more">] <r> <b> "x" </b> " & more" </r>"#),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"<b/>\">]><a>&e;</a>",
        Ok(r#"doctype[a,,,<!ENTITY e "<b/>">] <a> <b> </b> </a>"#),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"1<b/>2\">]><r>a&e;z<c/>&e;</r>",
        Ok(r#"doctype[r,,,<!ENTITY e "1<b/>2">] <r> "a1" <b> </b> "2z" <c> </c> "1" <b> </b> "2" </r>"#),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY o \"[&i;|&i;]\"><!ENTITY i \"<i a='&v;'>&t;</i>\"><!ENTITY t \"T&#38;#60;\"><!ENTITY v \"V\">]><r>&o;</r>",
        Ok(r#"doctype[r,,,<!ENTITY o "[&i;|&i;]"><!ENTITY i "<i a='&v;'>&t;</i>"><!ENTITY t "T&#38;#60;"><!ENTITY v "V">] <r> "[" <i a="V"> "T<" </i> "|" <i a="V"> "T<" </i> "]" </r>"#),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"&#60;b>&#60;/b>\"><!ENTITY k \"<!--c--><?p d?><![CDATA[<&#38;>]]>\">]><r>&e;&k;</r>",
        Ok(r#"doctype[r,,,<!ENTITY e "&#60;b>&#60;/b>"><!ENTITY k "<!--c--><?p d?><![CDATA[<&#38;>]]>">] <r> <b> </b> #"c" ?p"d" !"<&>" </r>"#),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<p:b q:c='1'>&#x9;</p:b>\">]><r xmlns:p='u' xmlns:q='v'>&e;</r>",
        Ok(r#"doctype[r,,,<!ENTITY e "<p:b q:c='1'>&#x9;</p:b>">] <r xmlns:p@xmlns="u" xmlns:q@xmlns="v"> <p:b@u q:c@v="1"> "\t" </p:b@u> </r>"#),
    ),
    // After a parameter-entity reference, declarations are not processed.
    (
        b"<!DOCTYPE a [<!ENTITY % p 'x'>%p;<!ATTLIST a d CDATA 'v'>]><a/>",
        Ok("doctype[a,,,<!ENTITY % p 'x'>%p;<!ATTLIST a d CDATA 'v'>] <a> </a>"),
    ),
    // UTF-16 with its byte order mark (§4.3.3), declared or not
    // (`utf16/` checks it in depth).
    (b"\xFF\xFE<\x00a\x00/\x00>\x00", Ok("<a> </a>")),
    (b"\xFE\xFF\x00<\x00a\x00/\x00>", Ok("<a> </a>")),
    (
        b"\xFF\xFE<\x00?\x00x\x00m\x00l\x00 \x00v\x00e\x00r\x00s\x00i\x00o\x00n\x00=\x00'\x001\x00.\x000\x00'\x00 \x00e\x00n\x00c\x00o\x00d\x00i\x00n\x00g\x00=\x00'\x00u\x00t\x00f\x00-\x001\x006\x00'\x00?\x00>\x00<\x00a\x00/\x00>\x00",
        Ok("decl[1.0,utf-16] <a> </a>"),
    ),
];

const REJECTED: &[Case] = &[
    // No root, unclosed root, two roots, text around the root (§2.1).
    (b"", Err((0, "UnexpectedEnd"))),
    (b"   ", Err((3, "UnexpectedEnd"))),
    (b"<?xml version=\"1.0\"?>", Err((21, "UnexpectedEnd"))),
    (b"<a>", Err((3, "UnexpectedEnd"))),
    (b"<a><b></b>", Err((10, "UnexpectedEnd"))),
    (b"<a></a", Err((6, "UnexpectedEnd"))),
    (b"<a/><b/>", Err((4, "XmlMisplaced"))),
    (b"<a/>x", Err((4, "XmlMisplaced"))),
    (b"x<a/>", Err((0, "XmlMisplaced"))),
    (b"<a/>&amp;", Err((4, "XmlMisplaced"))),
    // Tags (§3.1): matching, well-formed, attributes.
    (b"<a></b>", Err((5, "XmlMismatchedEndTag"))),
    (b"<a><b></a></b>", Err((8, "XmlMismatchedEndTag"))),
    (b"</a>", Err((0, "XmlUnmatchedEndTag"))),
    (b"< a/>", Err((1, "UnexpectedByte"))),
    (b"<a b/>", Err((4, "UnexpectedByte"))),
    (b"<a x=1/>", Err((5, "UnexpectedByte"))),
    (b"<a x=\"1\"y=\"2\"/>", Err((8, "UnexpectedByte"))),
    (b"<a x=\"1\"/ >", Err((9, "UnexpectedByte"))),
    (b"<a x=\"1\" x=\"2\"/>", Err((9, "XmlDuplicateAttribute"))),
    (b"<a x=\"<\"/>", Err((6, "XmlMisplaced"))),
    (b"<a x=\"1></a>", Err((8, "XmlMisplaced"))),
    (b"<a></a x>", Err((7, "UnexpectedByte"))),
    // Names (§2.3).
    (b"<1a/>", Err((1, "UnexpectedByte"))),
    (b"<-a/>", Err((1, "UnexpectedByte"))),
    ("<\u{B7}a/>".as_bytes(), Err((1, "XmlUnexpectedChar"))),
    ("<a\u{D7}/>".as_bytes(), Err((2, "XmlUnexpectedChar"))),
    (b"<a 1=\"x\"/>", Err((3, "UnexpectedByte"))),
    // Text (§2.4): `]]>` and `&` alone.
    (b"<a>]]></a>", Err((3, "XmlMisplaced"))),
    (b"<a>x]]]></a>", Err((5, "XmlMisplaced"))),
    (b"<a>& </a>", Err((4, "UnexpectedByte"))),
    (b"<a>&;</a>", Err((4, "UnexpectedByte"))),
    (b"<a>&amp</a>", Err((7, "UnexpectedByte"))),
    (b"<a>&foo;</a>", Err((3, "XmlUndefinedEntity"))),
    (b"<a x='&foo;'/>", Err((6, "XmlUndefinedEntity"))),
    // Character references (§4.1) to non-characters.
    (b"<a>&#0;</a>", Err((3, "XmlInvalidCharRef"))),
    (b"<a>&#x1F;</a>", Err((3, "XmlInvalidCharRef"))),
    (b"<a>&#xD800;</a>", Err((3, "XmlInvalidCharRef"))),
    (b"<a>&#xDFFF;</a>", Err((3, "XmlInvalidCharRef"))),
    (b"<a>&#xFFFE;</a>", Err((3, "XmlInvalidCharRef"))),
    (b"<a>&#x110000;</a>", Err((3, "XmlInvalidCharRef"))),
    (
        b"<a>&#99999999999999999999;</a>",
        Err((3, "XmlInvalidCharRef")),
    ),
    (b"<a x='&#1;'/>", Err((6, "XmlInvalidCharRef"))),
    (b"<a>&#x;</a>", Err((6, "UnexpectedByte"))),
    (b"<a>&#a;</a>", Err((5, "UnexpectedByte"))),
    (b"<a>&#X41;</a>", Err((5, "UnexpectedByte"))),
    (b"<a>&#65</a>", Err((7, "UnexpectedByte"))),
    // Characters outside the Char production (§2.2), raw.
    (b"<a>\x01</a>", Err((3, "XmlInvalidChar"))),
    (b"<a>\x00</a>", Err((3, "XmlInvalidChar"))),
    (b"<a>ok\x1b</a>", Err((5, "XmlInvalidChar"))),
    (b"<a>\xEF\xBF\xBF</a>", Err((3, "XmlInvalidChar"))),
    (b"<a>\xEF\xBF\xBE</a>", Err((3, "XmlInvalidChar"))),
    (b"<a x=\"\x0c\"/>", Err((6, "XmlInvalidChar"))),
    (b"<a><!--\x02--></a>", Err((7, "XmlInvalidChar"))),
    (b"<a><![CDATA[\x7f\x08]]></a>", Err((13, "XmlInvalidChar"))),
    // UTF-8 (or UTF-16 with its byte order mark): invalid bytes, half a
    // UTF-16 byte order mark, other encodings, a declaration that
    // contradicts the bytes.
    (b"<a>\xff</a>", Err((3, "InvalidUtf8"))),
    (b"<a>\xc3(</a>", Err((3, "InvalidUtf8"))),
    (b"<a x=\"\xc3\"/>", Err((6, "InvalidUtf8"))),
    (b"<\xff/>", Err((1, "InvalidUtf8"))),
    (b"<a>\xed\xa0\x80</a>", Err((3, "InvalidUtf8"))),
    (b"<a>\xe2\x82", Err((3, "InvalidUtf8"))),
    (b"<a>x</\xff>", Err((6, "InvalidUtf8"))),
    (b"\xFE\xFF\x00<", Err((4, "UnexpectedEnd"))),
    (b"\xFF\xFE<\x00\x00\xDC", Err((4, "InvalidUtf16"))),
    (b"\xFE<a/>", Err((0, "InvalidUtf8"))),
    (b"\xFF", Err((0, "InvalidUtf8"))),
    (b"\xEF\xBB<a/>", Err((0, "InvalidUtf8"))),
    (b"\xEF\xBB\xBF\xEF\xBB\xBF<a/>", Err((3, "XmlMisplaced"))),
    (
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
        Err((30, "XmlUnsupportedEncoding")),
    ),
    (
        b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>",
        Err((30, "XmlUnsupportedEncoding")),
    ),
    (
        b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>",
        Err((30, "XmlEncodingMismatch")),
    ),
    // The XML declaration: only first, well-formed, reserved target.
    (b" <?xml version=\"1.0\"?><a/>", Err((3, "XmlMisplaced"))),
    (
        b"<!--c--><?xml version=\"1.0\"?><a/>",
        Err((10, "XmlMisplaced")),
    ),
    (b"<a/><?xml version=\"1.0\"?>", Err((6, "XmlMisplaced"))),
    (b"<?XML version=\"1.0\"?><a/>", Err((2, "XmlMisplaced"))),
    (b"<a><?xMl x?></a>", Err((5, "XmlMisplaced"))),
    (b"<?xml version=\"2.0\"?><a/>", Err((15, "UnexpectedByte"))),
    (b"<?xml version=\"1.\"?><a/>", Err((15, "UnexpectedByte"))),
    (
        b"<?xml encoding=\"UTF-8\"?><a/>",
        Err((6, "UnexpectedByte")),
    ),
    (
        b"<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
        Err((32, "UnexpectedByte")),
    ),
    (
        b"<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?><a/>",
        Err((37, "UnexpectedByte")),
    ),
    (
        b"<?xml version=\"1.0\"encoding=\"UTF-8\"?><a/>",
        Err((19, "UnexpectedByte")),
    ),
    (b"<?xml?><a/>", Err((5, "UnexpectedByte"))),
    // An unclosed quote cannot run past the declaration's `?>`.
    (
        b"<?xml version=\"1.0\" encoding=\"UTF-8?>\n<a x=\"1\"/>",
        Err((35, "UnexpectedByte")),
    ),
    // Comments (§2.5): no `--` inside, no `-` at the end, closed.
    (b"<a><!-- a -- b --></a>", Err((10, "XmlMisplaced"))),
    (b"<a><!-- a ---></a>", Err((10, "XmlMisplaced"))),
    (b"<a><!-- x", Err((9, "UnexpectedEnd"))),
    (b"<a><!-x--></a>", Err((6, "UnexpectedByte"))),
    // A chunk boundary inside the character after `--` or `<!` changes nothing.
    (b"<a><!--x--\xC3\xA9--></a>", Err((8, "XmlMisplaced"))),
    (b"<a><!\xC3\xA9></a>", Err((5, "UnexpectedByte"))),
    // PIs (§2.6).
    (b"<a><?p:q x?></a>", Err((5, "XmlNamespace"))),
    (b"<?pi\"x\"?><a/>", Err((4, "UnexpectedByte"))),
    (b"<?  pi?><a/>", Err((2, "UnexpectedByte"))),
    (b"<a><?pi x</a>", Err((13, "UnexpectedEnd"))),
    // CDATA (§2.7): only inside the root, spelled exactly, closed.
    (b"<![CDATA[x]]><a/>", Err((0, "XmlMisplaced"))),
    (b"<a/><![CDATA[x]]>", Err((4, "XmlMisplaced"))),
    (b"<a><![cdata[x]]></a>", Err((6, "UnexpectedByte"))),
    (b"<a><![CDATA[x", Err((13, "UnexpectedEnd"))),
    // DOCTYPE (§2.8): once, before the root, spelled exactly.
    (b"<!DOCTYPE a><!DOCTYPE a><a/>", Err((12, "XmlMisplaced"))),
    (b"<a/><!DOCTYPE a>", Err((4, "XmlMisplaced"))),
    (b"<!doctype a><a/>", Err((2, "UnexpectedByte"))),
    (b"<!DOCTYPEa><a/>", Err((9, "UnexpectedByte"))),
    (b"<!DOCTYPE a SYSTEM><a/>", Err((18, "UnexpectedByte"))),
    (
        b"<!DOCTYPE a PUBLIC \"{\" \"x\"><a/>",
        Err((20, "UnexpectedByte")),
    ),
    (b"<!DOCTYPE a [<!FOO>]><a/>", Err((14, "UnexpectedByte"))),
    (
        b"<!DOCTYPE a [<!ELEMENT a (b|c,d)>]><a/>",
        Err((29, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE a [<!ELEMENT a (#PCDATA|b)>]><a/>",
        Err((36, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE a [<!ELEMENT a ()>]><a/>",
        Err((26, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE a [<!ELEMENT a FOO>]><a/>",
        Err((25, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE a [<!ATTLIST a x CDATA>]><a/>",
        Err((32, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE a [<!ATTLIST a x CDATA '<'>]><a/>",
        Err((34, "XmlMisplaced")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"%p;\">]><a/>",
        Err((25, "XmlMisplaced")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"&#0;\">]><a/>",
        Err((25, "XmlInvalidCharRef")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"&x\">]><a/>",
        Err((27, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE a [<!-- a -- -->]><a/>",
        Err((20, "XmlMisplaced")),
    ),
    (b"<!DOCTYPE a [<?xml x?>]><a/>", Err((15, "XmlMisplaced"))),
    (b"<!DOCTYPE a [", Err((13, "UnexpectedEnd"))),
    // Entities (§4): recursion, external, markup, `<` via an attribute.
    (
        b"<!DOCTYPE a [<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">]><r>&a;</r>",
        Err((52, "XmlRecursiveEntity")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY a \"x&a;\">]><a>&a;</a>",
        Err((36, "XmlRecursiveEntity")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e SYSTEM \"e.xml\">]><a>&e;</a>",
        Err((44, "XmlExternalEntity")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"&#60;\">]><a x=\"&e;\"/>",
        Err((40, "XmlEntityMarkup")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<b/>\">]><r x=\"&e;\"/>",
        Err((39, "XmlEntityMarkup")),
    ),
    // Markup in entities: each replacement text must be balanced content
    // on its own (§4.3.2), recursion is caught through markup too, and
    // errors inside an entity are reported at its reference.
    (
        b"<!DOCTYPE r [<!ENTITY e \"<b>\">]><r>&e;</b></r>",
        Err((35, "XmlEntityNotWellFormed")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"</r>\">]><r>&e;</r>",
        Err((36, "XmlEntityNotWellFormed")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY s \"<b>\"><!ENTITY t \"</b>\">]><r>&s;&t;</r>",
        Err((53, "XmlEntityNotWellFormed")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"x<b\">]><r>&e;</r>",
        Err((35, "XmlEntityNotWellFormed")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<!--x\">]><r>&e;--></r>",
        Err((37, "XmlEntityNotWellFormed")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<b>&e;</b>\">]><r>&e;</r>",
        Err((42, "XmlRecursiveEntity")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY a \"<x>&b;</x>\"><!ENTITY b \"<y>&a;</y>\">]><r>&a;</r>",
        Err((66, "XmlRecursiveEntity")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"a]]>b\">]><r>&e;</r>",
        Err((37, "XmlMisplaced")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<1/>\">]><r>&e;</r>",
        Err((36, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<p:b/>\">]><r>&e;</r>",
        Err((38, "XmlUndeclaredPrefix")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<b>&u;</b>\">]><r>&e;</r>",
        Err((42, "XmlUndefinedEntity")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<r/>\">]>&e;",
        Err((33, "XmlMisplaced")),
    ),
    (
        b"<!DOCTYPE r [<!ENTITY e \"<b>\">]><r>&e;",
        Err((38, "UnexpectedEnd")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"&#38;\">]><a>&e;</a>",
        Err((37, "UnexpectedByte")),
    ),
    (
        b"<!DOCTYPE a [<!ENTITY e \"&u;\">]><a>&e;</a>",
        Err((35, "XmlUndefinedEntity")),
    ),
    // A general entity declared after a parameter-entity reference is not
    // processed, so it is undefined.
    (
        b"<!DOCTYPE a [%p;<!ENTITY e \"x\">]><a>&e;</a>",
        Err((36, "XmlUndefinedEntity")),
    ),
    // Namespaces: declared prefixes, one colon, the reserved names.
    (b"<p:a/>", Err((1, "XmlUndeclaredPrefix"))),
    (b"<a b:c=\"1\"/>", Err((3, "XmlUndeclaredPrefix"))),
    (b"<a:/>", Err((1, "XmlNamespace"))),
    (b"<:a/>", Err((1, "XmlNamespace"))),
    (b"<a:b:c xmlns:a=\"u\"/>", Err((1, "XmlNamespace"))),
    (b"<xmlns:a/>", Err((1, "XmlNamespace"))),
    (b"<a xmlns:p=\"\"/>", Err((3, "XmlNamespace"))),
    (b"<a xmlns:=\"u\"/>", Err((3, "XmlNamespace"))),
    (b"<a xmlns:1=\"u\"/>", Err((3, "XmlNamespace"))),
    (b"<a xmlns:xmlns=\"u\"/>", Err((3, "XmlNamespace"))),
    (b"<a xmlns:xml=\"u\"/>", Err((3, "XmlNamespace"))),
    (
        b"<a xmlns:p=\"http://www.w3.org/XML/1998/namespace\"/>",
        Err((3, "XmlNamespace")),
    ),
    (
        b"<a xmlns=\"http://www.w3.org/2000/xmlns/\"/>",
        Err((3, "XmlNamespace")),
    ),
    (
        b"<a xmlns:p=\"u\" xmlns:q=\"u\" p:x=\"1\" q:x=\"2\"/>",
        Err((35, "XmlDuplicateAttribute")),
    ),
    (b"<a xmlns:p=\"u\"></a><p:b/>", Err((19, "XmlMisplaced"))),
    (
        b"<a><b xmlns:p=\"u\"/><p:c/></a>",
        Err((20, "XmlUndeclaredPrefix")),
    ),
];

#[test]
fn accepts_what_xml_1_0_allows() {
    check_table(ACCEPTED, XmlOptions::default());
}

#[test]
fn rejects_what_xml_1_0_forbids_at_the_right_byte() {
    check_table(REJECTED, XmlOptions::default());
}

#[test]
fn without_namespaces_names_are_plain() {
    let options = XmlOptions {
        namespaces: false,
        ..XmlOptions::default()
    };
    check_table(
        &[
            (b"<p:a b:c=\"1\"/>", Ok(r#"<p:a b:c="1"> </p:a>"#)),
            (b"<a:b:c xmlns:x=''/>", Ok(r#"<a:b:c xmlns:x=""> </a:b:c>"#)),
            (b"<a><?p:q?></a>", Ok(r#"<a> ?p:q"" </a>"#)),
            (b"<a x='1' x='2'/>", Err((9, "XmlDuplicateAttribute"))),
        ],
        options,
    );
}

#[test]
fn nesting_is_limited_without_recursion() {
    testkit::check_default_depth_limit(XmlOptions::default(), "<a>", "</a>");
    // 100 000 levels: an ordinary error, not a stack overflow.
    let nested = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let (_, err) = parse(nested.as_bytes(), XmlOptions::default());
    assert!(matches!(
        err.map(|e| e.kind().clone()),
        Some(ErrorKind::TooDeep { .. })
    ));
    let shallow = XmlOptions {
        max_depth: 2,
        ..XmlOptions::default()
    };
    check_table(&[(b"<a><b><c/></b></a>", Err((6, "TooDeep")))], shallow);
}

#[test]
fn entity_bombs_hit_the_expansion_budget() {
    // "Billion laughs": ten levels of ten references, 3 GB if expanded.
    let mut doc = String::from("<!DOCTYPE lolz [<!ENTITY lol0 \"lol\">");
    for level in 1..10 {
        let previous = format!("&lol{};", level - 1);
        doc.push_str(&format!("<!ENTITY lol{level} \"{}\">", previous.repeat(10)));
    }
    doc.push_str("]><lolz>&lol9;</lolz>");
    let start = std::time::Instant::now();
    let (_, err) = parse(doc.as_bytes(), XmlOptions::default());
    let err = err.expect("the bomb is refused");
    assert_eq!(
        err.kind(),
        &ErrorKind::XmlEntityExpansionLimit {
            limit: XmlOptions::DEFAULT_MAX_ENTITY_EXPANSION
        }
    );
    assert_eq!(
        err.position().offset as usize,
        doc.find("&lol9;").unwrap_or_default()
    );
    assert!(start.elapsed().as_secs() < 5, "refused quickly");
    // The same bomb in an attribute value.
    let in_attribute = doc.replace("<lolz>&lol9;</lolz>", "<lolz a='&lol9;'/>");
    let (_, err) = parse(in_attribute.as_bytes(), XmlOptions::default());
    assert!(matches!(
        err.map(|e| e.kind().clone()),
        Some(ErrorKind::XmlEntityExpansionLimit { .. })
    ));
    // The budget is per document, across references.
    let small = XmlOptions {
        max_entity_expansion: 10,
        ..XmlOptions::default()
    };
    let doc = b"<!DOCTYPE a [<!ENTITY e \"abcd\">]><a>&e;&e;<b x='&e;'/></a>";
    let (_, err) = parse(doc, small);
    assert_eq!(err.map(|e| e.position().offset), Some(48));
    assert_eq!(parse(&doc[..], XmlOptions::default()).1, None);
    // Markup in entities is charged too, tags included: `<b>xy</b>` is 9
    // bytes, so the second reference overruns a budget of 10.
    check_table(
        &[
            (
                b"<!DOCTYPE r [<!ENTITY e \"<b>xy</b>\">]><r>&e;</r>",
                Ok(r#"doctype[r,,,<!ENTITY e "<b>xy</b>">] <r> <b> "xy" </b> </r>"#),
            ),
            (
                b"<!DOCTYPE r [<!ENTITY e \"<b>xy</b>\">]><r>&e;&e;</r>",
                Err((44, "XmlEntityExpansionLimit")),
            ),
        ],
        small,
    );
    // A bomb of elements: ten levels of ten references to `<l/>`.
    let mut doc = String::from("<!DOCTYPE r [<!ENTITY m0 \"<l/>\">");
    for level in 1..10 {
        let previous = format!("&m{};", level - 1);
        doc.push_str(&format!("<!ENTITY m{level} \"{}\">", previous.repeat(10)));
    }
    doc.push_str("]><r>&m9;</r>");
    let start = std::time::Instant::now();
    let budget = XmlOptions {
        max_entity_expansion: 64 * 1024,
        ..XmlOptions::default()
    };
    let (events, err) = parse(doc.as_bytes(), budget);
    let err = err.expect("the bomb is refused");
    assert_eq!(
        err.kind(),
        &ErrorKind::XmlEntityExpansionLimit { limit: 64 * 1024 }
    );
    assert_eq!(
        err.position().offset as usize,
        doc.find("&m9;").unwrap_or_default()
    );
    assert!(events.len() < 64 * 1024, "{} events", events.len());
    assert!(start.elapsed().as_secs() < 5, "refused quickly");
}

#[test]
fn errors_report_line_and_column_in_characters() {
    testkit::check_error_positions(
        &[
            ("<a>\n  <é>\n  </b></a>".as_bytes(), &[], (3, 5, 15)),
            // Inside a token cut by a chunk boundary, the position is the same.
            (b"<a>\n<b x='1' x='2'/></a>", &[7], (2, 10, 13)),
        ],
        XmlOptions::default(),
    );
}

#[test]
fn messages_say_what_was_wrong_and_what_to_do() {
    testkit::check_messages(
        &[
            (
                b"<a>\n</b>",
                Says::Exactly(
                    "XML error at line 2, column 3 (byte 6): end tag `</b>` does not match the open element `<a>`",
                ),
            ),
            (b"<a x='1' x='2'/>", Says::Part("duplicate attribute `x`")),
            (b"<a>]]></a>", Says::Part("write `]]&gt;`")),
            (b"<a><!-- -- --></a>", Says::Part("`--` inside a comment")),
            (b"<a>&nbsp;</a>", Says::Part("undefined entity `&nbsp;`")),
            (
                b"<a>&#0;</a>",
                Says::Part("`&#0;` does not name an allowed XML character"),
            ),
            (b"<a/><b/>", Says::Part("a second root element")),
            (b"<a x='<'/>", Says::Part("write `&lt;`")),
            (b"<p:a/>", Says::Part("undeclared namespace prefix `p`")),
            (
                b"<?xml version='1.0' encoding='latin1'?><a/>",
                Says::Part(
                    "encoding `latin1` is not supported: this parser reads UTF-8, and UTF-16",
                ),
            ),
            (
                b"<!DOCTYPE a [<!ENTITY e SYSTEM 'x'>]><a>&e;</a>",
                Says::Part("external entities are never fetched"),
            ),
            (
                b"<a>",
                Says::Part("input ended early, expected the end tags"),
            ),
        ],
        XmlOptions::default(),
    );
}

#[test]
fn errors_stick_and_finish_ends_the_input() {
    testkit::check_lifecycle(
        XmlOptions::default(),
        &Lifecycle {
            rejected: b"<a></b>",
            after_error: b"</a>",
            complete: (b"<a/>", "<a> </a>", ""),
            after_finish: b" ",
            // reset() starts over (DTD, namespaces and all).
            after_reset: (b"<x>&lt;</x>", r#"<x> "<" </x>"#, ""),
        },
    );
}

#[test]
fn events_borrow_from_the_chunk_when_they_can() {
    let chunk = b"<a x='plain' y='a&amp;b'>plain<b/>esc&lt;</a>";
    let range = chunk.as_ptr_range();
    let inside = |s: &str| range.contains(&s.as_ptr());
    let mut borrowed = Vec::new();
    let mut parser = XmlParser::new(XmlOptions::default());
    parser
        .feed(chunk, |e| match e {
            XmlEvent::Text(t) => borrowed.push(inside(t)),
            XmlEvent::StartElement(s) => {
                borrowed.push(inside(s.name));
                for a in s.attributes {
                    borrowed.push(inside(a.value));
                }
            }
            _ => {}
        })
        .expect("valid");
    // Plain text and values are slices of the input; decoded ones are not.
    assert_eq!(borrowed, [true, true, false, true, true, false]);
}

#[test]
fn attributes_are_iterated_and_looked_up_without_allocation() {
    let mut parser = XmlParser::new(XmlOptions::default());
    let mut checked = false;
    parser
        .feed(b"<a xmlns:p='urn:p' p:id='7' n='x'/>", |e| {
            if let XmlEvent::StartElement(s) = e {
                assert_eq!(s.attributes.len(), 3);
                assert_eq!(s.attributes.get("p:id"), Some("7"));
                assert_eq!(s.attributes.get("missing"), None);
                let id = s.attributes.iter().nth(1).expect("three attributes");
                assert_eq!((id.local_name(), id.namespace), ("id", Some("urn:p")));
                assert_eq!(s.local_name(), "a");
                assert_eq!(s.attributes.iter().len(), 3);
                checked = true;
            }
        })
        .expect("valid");
    assert!(checked);
}

#[test]
fn the_pull_adapter_reads_any_reader() {
    let options = XmlOptions::default();
    testkit::check_pull_adapter(&[
        (
            options,
            Reader::Trickle,
            b"<r a='1'>caf&#233;<![CDATA[x]]></r>",
            r#"<r a="1"> "café" !"x" </r>"#,
            None,
        ),
        // Two start tags, then the mismatched end tag.
        (
            options,
            Reader::Whole,
            b"<a><b></a>",
            "<a> <b>",
            Some((8, "XmlMismatchedEndTag")),
        ),
    ]);
}

#[test]
fn count_events_uses_the_fast_path_over_a_reader() {
    let input = bench_input_xml(200_000, 7);
    let summary = count_events(&input[..], XmlOptions::default()).expect("valid");
    testkit::check_count_events(&input, summary, XmlOptions::default());
}

#[test]
fn the_bench_input_is_deterministic_valid_and_varied() {
    let input = testkit::check_bench_input(
        bench_input_xml,
        &[
            "&amp;",
            "&#233;",
            "<![CDATA[",
            "<!--",
            "x:kind=",
            "/>",
            "東京",
            "\n    <",
        ],
    );
    let (events, err) = parse(&input, XmlOptions::default());
    assert_eq!(err, None);
    // quick-xml reads the same names, attribute values and text.
    assert_eq!(quick_xml_view(&input), Ok(ours_view(&events)));
    assert!(bench_input_xml(0, 1).len() > 100, "at least one record");
    // 64 KiB chunks give the same events as one chunk.
    let cuts: Vec<usize> = (1..input.len() / 65536 + 1).map(|k| k * 65536).collect();
    assert_eq!(
        parse_split(&input, &cuts, XmlOptions::default()),
        parse(&input, XmlOptions::default())
    );
}

// ---------------------------------------------------------------------------
// Generated documents.

/// A node of a generated document.
#[derive(Debug, Clone)]
enum Node {
    Element {
        name: String,
        attributes: Vec<(String, String)>,
        children: Vec<Node>,
    },
    Text {
        text: String,
        as_refs: bool,
    },
    CData(String),
    Comment(String),
    Pi {
        target: String,
        data: String,
    },
}

const NAMES: &[&str] = &["a", "b", "item", "x-y", "_z", "n.1", "été", "名前", "Ω"];

fn xml_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec!['a', 'b', ' ', '<', '>', '&', '"', '\'', ']', '\n', '\t', '\r', 'é', '東', '😀']),
            1 => any::<char>(),
        ],
        0..12,
    )
    .prop_map(|chars| chars.into_iter().filter(|&c| is_xml_char(c)).collect())
}

fn arb_node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        3 => (xml_text(), any::<bool>()).prop_map(|(text, as_refs)| Node::Text { text, as_refs }),
        1 => "[a-z <>&\\]é]{0,10}"
            .prop_filter("no ]]>", |s| !s.contains("]]>"))
            .prop_map(Node::CData),
        1 => "([a-z <>&é]|-[a-z]){0,8}".prop_map(Node::Comment),
        1 => (prop::sample::select(vec!["pi", "go", "x-y"]), "([a-z][a-z <>&]{0,8})?")
            .prop_map(|(target, data)| Node::Pi { target: target.to_owned(), data }),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| element(inner).boxed())
}

fn element(children: impl Strategy<Value = Node>) -> impl Strategy<Value = Node> {
    (
        prop::sample::select(NAMES),
        prop::collection::btree_map(prop::sample::select(NAMES), xml_text(), 0..4),
        prop::collection::vec(children, 0..6),
    )
        .prop_map(|(name, attributes, children)| Node::Element {
            name: name.to_owned(),
            attributes: attributes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            children,
        })
}

/// A whole document: an optional declaration, a root that may declare a
/// default namespace, and the epilog.
fn arb_document() -> impl Strategy<Value = (bool, Option<&'static str>, Node)> {
    (
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["urn:gen", "http://e.org/ns"])),
        element(arb_node()),
    )
}

fn escape_text(text: &str, as_refs: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if as_refs && !c.is_ascii_alphanumeric() => {
                out.push_str(&format!("&#x{:X};", u32::from(c)))
            }
            c => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Serializes `node` and appends the events it must produce (text runs
/// merged, empty text dropped).
fn write_node(node: &Node, ns: Option<&str>, out: &mut String, events: &mut Vec<OwnedXmlEvent>) {
    let push_text = |events: &mut Vec<OwnedXmlEvent>, text: &str| {
        if text.is_empty() {
            return;
        }
        if let Some(OwnedXmlEvent::Text(last)) = events.last_mut() {
            last.push_str(text);
        } else {
            events.push(OwnedXmlEvent::Text(text.to_owned()));
        }
    };
    match node {
        Node::Text { text, as_refs } => {
            escape_text(text, *as_refs, out);
            push_text(events, text);
        }
        Node::CData(text) => {
            out.push_str("<![CDATA[");
            out.push_str(text);
            out.push_str("]]>");
            events.push(OwnedXmlEvent::CData(text.clone()));
        }
        Node::Comment(text) => {
            out.push_str("<!--");
            out.push_str(text);
            out.push_str("-->");
            events.push(OwnedXmlEvent::Comment(text.clone()));
        }
        Node::Pi { target, data } => {
            out.push_str("<?");
            out.push_str(target);
            if !data.is_empty() {
                out.push(' ');
                out.push_str(data);
            }
            out.push_str("?>");
            events.push(OwnedXmlEvent::ProcessingInstruction {
                target: target.clone(),
                data: data.clone(),
            });
        }
        Node::Element {
            name,
            attributes,
            children,
        } => {
            out.push('<');
            out.push_str(name);
            for (k, v) in attributes {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape_attribute(v, out);
                out.push('"');
            }
            let namespace = ns.map(str::to_owned);
            events.push(OwnedXmlEvent::StartElement {
                name: name.clone(),
                namespace: namespace.clone(),
                attributes: attributes
                    .iter()
                    .map(|(k, v)| OwnedAttribute {
                        name: k.clone(),
                        namespace: None,
                        value: v.clone(),
                    })
                    .collect(),
            });
            if children.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for child in children {
                    write_node(child, ns, out, events);
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            events.push(OwnedXmlEvent::EndElement {
                name: name.clone(),
                namespace,
            });
        }
    }
}

/// Writes `text` as an entity value whose replacement text is `text`.
fn escape_entity_value(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '%' => out.push_str("&#37;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
}

/// The document's bytes and expected events. With `entities`, the root's
/// content is moved into two general entities — `h`, its first child, and
/// `g`, a reference to `h` then the other children — declared in a
/// DOCTYPE and referenced as `&g;`: the events must be the same as
/// inline, plus the DOCTYPE's.
fn write_document(
    (declaration, default_ns, root): &(bool, Option<&'static str>, Node),
    entities: bool,
) -> (Vec<u8>, Vec<OwnedXmlEvent>) {
    let mut out = String::new();
    let mut events = Vec::new();
    if *declaration {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        events.push(OwnedXmlEvent::Declaration {
            version: "1.0".into(),
            encoding: Some("UTF-8".into()),
            standalone: None,
        });
    }
    out.push_str("<!--prolog-->\n");
    events.push(OwnedXmlEvent::Comment("prolog".into()));
    let mut root = root.clone();
    if let (Some(uri), Node::Element { attributes, .. }) = (default_ns, &mut root) {
        attributes.retain(|(k, _)| k != "xmlns");
        attributes.insert(0, ("xmlns".into(), (*uri).into()));
    }
    let mut content = None;
    if let (true, Node::Element { name, children, .. }) = (entities, &root) {
        if let Some((first, others)) = children.split_first() {
            let mut first_text = String::new();
            write_node(first, *default_ns, &mut first_text, &mut Vec::new());
            let mut other_text = String::new();
            for child in others {
                write_node(child, *default_ns, &mut other_text, &mut Vec::new());
            }
            let mut subset = String::from("<!ENTITY g \"&h;");
            escape_entity_value(&other_text, &mut subset);
            subset.push_str("\"><!ENTITY h \"");
            escape_entity_value(&first_text, &mut subset);
            subset.push_str("\">");
            out.push_str(&format!("<!DOCTYPE {name} [{subset}]>\n"));
            events.push(OwnedXmlEvent::Doctype {
                name: name.clone(),
                public_id: None,
                system_id: None,
                internal_subset: Some(subset),
            });
            content = Some((name.len(), first_text + &other_text));
        }
    }
    let start = events.len();
    let mut root_text = String::new();
    write_node(&root, *default_ns, &mut root_text, &mut events);
    if let Some((name_len, content)) = content {
        // The root ends with its content, then `</name>`.
        let end = root_text.len() - name_len - 3;
        let start = end - content.len();
        assert_eq!(&root_text[start..end], content);
        root_text.replace_range(start..end, "&g;");
    }
    out.push_str(&root_text);
    if let Some(OwnedXmlEvent::StartElement { attributes, .. }) = events.get_mut(start) {
        if let Some(first) = attributes.first_mut().filter(|a| a.name == "xmlns") {
            first.namespace = Some(XMLNS_NAMESPACE.into());
        }
    }
    out.push_str("\n<?done?>\n");
    events.push(OwnedXmlEvent::ProcessingInstruction {
        target: "done".into(),
        data: String::new(),
    });
    (out.into_bytes(), events)
}

/// What `quick-xml` sees: elements with attributes, end tags, text (its
/// text and reference events merged) and CDATA inside the root.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Start(String, Vec<(String, String)>),
    End(String),
    Text(String),
    CData(String),
}

fn ours_view(events: &[OwnedXmlEvent]) -> Vec<Seen> {
    events
        .iter()
        .filter_map(|e| match e {
            OwnedXmlEvent::StartElement {
                name, attributes, ..
            } => Some(Seen::Start(
                name.clone(),
                attributes
                    .iter()
                    .map(|a| (a.name.clone(), a.value.clone()))
                    .collect(),
            )),
            OwnedXmlEvent::EndElement { name, .. } => Some(Seen::End(name.clone())),
            OwnedXmlEvent::Text(t) => Some(Seen::Text(t.clone())),
            OwnedXmlEvent::CData(t) => Some(Seen::CData(t.clone())),
            _ => None,
        })
        .collect()
}

fn quick_xml_view(input: &[u8]) -> Result<Vec<Seen>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    let mut depth = 0usize;
    let mut text = String::new();
    let flush = |text: &mut String, seen: &mut Vec<Seen>| {
        if !text.is_empty() {
            seen.push(Seen::Text(std::mem::take(text)));
        }
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?;
        let is_text = matches!(event, Event::Text(_) | Event::GeneralRef(_));
        if !is_text {
            flush(&mut text, &mut seen);
        }
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let mut attributes = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    let value = a.unescape_value().map_err(|e| e.to_string())?;
                    attributes.push((
                        String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                        value.into_owned(),
                    ));
                }
                seen.push(Seen::Start(name.clone(), attributes));
                if empty {
                    seen.push(Seen::End(name));
                } else {
                    depth += 1;
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                seen.push(Seen::End(
                    String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                ));
            }
            Event::Text(e) if depth > 0 => {
                text.push_str(&e.xml10_content().map_err(|e| e.to_string())?);
            }
            Event::GeneralRef(e) if depth > 0 => {
                if let Some(c) = e.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(c);
                } else {
                    let name = e.decode().map_err(|e| e.to_string())?;
                    text.push(predefined(&name).ok_or(format!("entity {name}"))?);
                }
            }
            Event::CData(e) if depth > 0 => {
                seen.push(Seen::CData(String::from_utf8_lossy(&e).into_owned()));
            }
            Event::Eof => return Ok(seen),
            _ => {}
        }
        buf.clear();
    }
}

/// XML-ish tokens, valid and not, for inputs near the grammar's edges.
const TOKENS: &[&str] = &[
    "<a>",
    "</a>",
    "<b/>",
    "<a x='1'>",
    "<a x=\"&amp;\" y='2'>",
    " ",
    "\n",
    "\r\n",
    "text",
    "&lt;",
    "&amp",
    "&#60;",
    "&#x0;",
    "&e;",
    "]]>",
    "]",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "--",
    "<?pi ",
    "?>",
    "<?xml version='1.0'?>",
    "<!DOCTYPE a [",
    "<!ENTITY e 'v'>",
    "]>",
    ">",
    "<",
    "\"",
    "'",
    "=",
    "é",
    "\u{FFFF}",
    "\u{1}",
    "xmlns:p='u'",
    "<p:a>",
    "</p:a>",
    "\u{FEFF}",
];

fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    testkit::token_soup(TOKENS, 24)
}

/// A generated document with a few random byte edits.
fn mutated_document() -> impl Strategy<Value = Vec<u8>> {
    (arb_document(), any::<bool>(), testkit::edits()).prop_map(|(doc, entities, edits)| {
        testkit::mutate(write_document(&doc, entities).0, &edits)
    })
}

proptest! {
    // 256 cases each; PROPTEST_CASES=20000 for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        // Shrunk failures become rows of the conformance tables instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn plain_text_is_skipped_eight_bytes_at_a_time_up_to_the_first_special(
        bytes in prop::collection::vec(
            prop_oneof![
                6 => any::<u8>(),
                1 => prop::sample::select(vec![b'<', b'&', b']', 0xEF, 0x00, 0x1f, 0x20, 0x21, 0x26 ^ 0x80]),
            ],
            0..40,
        ),
        start in 0usize..40,
    ) {
        let start = start.min(bytes.len());
        let naive = bytes[start..]
            .iter()
            .position(|&c| c < 0x20 || matches!(c, b'<' | b'&' | b']' | 0xEF))
            .map_or(bytes.len(), |k| start + k);
        prop_assert_eq!(skip_text(&bytes, start), naive);
    }

    #[test]
    fn generated_documents_parse_to_their_events_under_any_chunking(
        doc in arb_document(),
        entities in any::<bool>(),
        cuts in cuts(),
    ) {
        let (bytes, expected) = write_document(&doc, entities);
        prop_assert_eq!(parse(&bytes, XmlOptions::default()), (expected.clone(), None));
        prop_assert_eq!(parse_cut(&bytes, &cuts, XmlOptions::default()), (expected.clone(), None));
        prop_assert_eq!(parse_bytewise(&bytes, XmlOptions::default()), (expected, None));
    }

    #[test]
    fn quick_xml_agrees_on_names_attributes_and_text(doc in arb_document()) {
        let (bytes, expected) = write_document(&doc, false);
        let theirs = quick_xml_view(&bytes).map_err(TestCaseError::fail)?;
        prop_assert_eq!(ours_view(&expected), theirs);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_chunking_never_matters(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        cuts in cuts(),
    ) {
        check_chunking_never_matters(&bytes, &cuts, XmlOptions::default())?;
    }

    #[test]
    fn token_soup_gives_the_same_outcome_under_any_chunking(
        bytes in token_soup(),
        cuts in cuts(),
        namespaces in any::<bool>(),
    ) {
        let options = XmlOptions { namespaces, ..XmlOptions::default() };
        check_chunking_never_matters(&bytes, &cuts, options)?;
    }

    #[test]
    fn mutated_documents_give_the_same_outcome_under_any_chunking(
        bytes in mutated_document(),
        cuts in cuts(),
    ) {
        check_chunking_never_matters(&bytes, &cuts, XmlOptions::default())?;
    }
}

/// One huge token of each kind XML has.
const HUGE_TOKENS: &[HugeToken] = &[
    ("an element name", |len| around("<a", "b", "/>", len)),
    ("an end tag name", |len| {
        let name = "n".repeat(len / 2);
        format!("<{name}></{name}>").into_bytes()
    }),
    ("an attribute name", |len| {
        around("<r a", "b", "='1'/>", len)
    }),
    ("an attribute value", |len| {
        around("<r a='", "x", "'/>", len)
    }),
    ("an attribute value with references", |len| {
        around("<r a=\"", "x&amp;&#233;\t", "\"/>", len)
    }),
    ("a namespace name", |len| {
        around("<p:r xmlns:p='urn:", "x", "'/>", len)
    }),
    ("text", |len| around("<r>", "x", "</r>", len)),
    ("text with references and line ends", |len| {
        around("<r>", "a&lt;&#x65E5;\r\n", "</r>", len)
    }),
    ("non-ASCII text", |len| around("<r>", "é日😀", "</r>", len)),
    ("a comment", |len| around("<r><!--", "x-", "x--></r>", len)),
    ("a CDATA section", |len| {
        around("<r><![CDATA[", "x]]", "]]></r>", len)
    }),
    ("a processing instruction target", |len| {
        around("<?p", "i", "?><r/>", len)
    }),
    ("a processing instruction", |len| {
        around("<r><?pi ", "x?", "?></r>", len)
    }),
    ("a DOCTYPE", |len| {
        around("<!DOCTYPE r [", "<!-- x --><?p x?>", "]><r/>", len)
    }),
    ("an entity value in the DOCTYPE", |len| {
        around("<!DOCTYPE r [<!ENTITY e '", "x", "'>]><r/>", len)
    }),
];

#[test]
fn a_huge_token_costs_linear_work_in_any_chunking() {
    check_huge_tokens_cost_linear_work(HUGE_TOKENS, XmlOptions::default());
}

mod utf16;
