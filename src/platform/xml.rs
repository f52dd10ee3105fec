//! The small XML subset WeCom speaks: a root element (`<xml>`) whose
//! children are text/CDATA leaves or one level of nesting (`<From><UserId>`).
//!
//! [`flatten`] turns a document into `(path, text)` pairs, with paths
//! relative to the root (`"Encrypt"`, `"From/UserId"`) and text and CDATA
//! concatenated. A repeated path (`MixedMessage/MsgItem/Text/Content`)
//! keeps every occurrence in document order; [`Fields::get`] gives the first.
//! quick-xml never expands DTD/external entities, so hostile bodies cannot
//! trigger XXE; unknown entity references are reported as errors.
//! [`cdata`] is the writing side.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::errors::{Error, IllFormedError};
use quick_xml::events::Event;

/// Leaf texts of a document keyed by their root-relative path.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    values: HashMap<String, Vec<String>>,
}

impl Fields {
    /// The text of the first element at `path`, if any (possibly empty).
    pub fn get(&self, path: &str) -> Option<&str> {
        self.all(path).next()
    }

    /// The texts of every element at `path`, in document order.
    pub fn all(&self, path: &str) -> impl Iterator<Item = &str> {
        self.values
            .get(path)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The trimmed text at `path`, or `None` if absent or blank.
    pub fn non_empty(&self, path: &str) -> Option<&str> {
        self.get(path).map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Parses `doc` into its leaf texts. Fails on malformed XML, unbalanced or
/// unclosed tags, invalid UTF-8 and undefined entities.
pub(crate) fn flatten(doc: &[u8]) -> Result<Fields, Error> {
    let mut reader = Reader::from_reader(doc);
    let mut open: Vec<(String, String)> = Vec::new();
    let mut fields = Fields::default();
    loop {
        match reader.read_event()? {
            Event::Start(e) => open.push((name_of(e.name().as_ref()), String::new())),
            Event::Empty(e) => {
                let path = child_path(&open, &name_of(e.name().as_ref()));
                insert(&mut fields, path, String::new());
            }
            Event::Text(e) => append(&mut open, &e.unescape()?),
            Event::CData(e) => append(&mut open, &e.decode()?),
            Event::End(_) => close(&mut open, &mut fields),
            Event::Eof => break,
            _ => {}
        }
    }
    match open.last() {
        Some((name, _)) => Err(IllFormedError::MissingEndTag(name.clone()).into()),
        None => Ok(fields),
    }
}

/// Wraps `text` in CDATA, splitting any `]]>` so the section cannot be
/// closed early by content.
pub(crate) fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

fn name_of(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

fn append(open: &mut [(String, String)], text: &str) {
    if let Some((_, buffer)) = open.last_mut() {
        buffer.push_str(text);
    }
}

/// Pops the innermost element and records its text under its path. The
/// root itself is not recorded (its path would be empty).
fn close(open: &mut Vec<(String, String)>, fields: &mut Fields) {
    if let Some((name, text)) = open.pop()
        && !open.is_empty()
    {
        let path = child_path(open, &name);
        insert(fields, path, text);
    }
}

/// The root-relative path of a child `name` of the innermost open element.
fn child_path(open: &[(String, String)], name: &str) -> String {
    let mut parts: Vec<&str> = open.iter().skip(1).map(|(n, _)| n.as_str()).collect();
    parts.push(name);
    parts.join("/")
}

fn insert(fields: &mut Fields, path: String, text: String) {
    fields.values.entry(path).or_default().push(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_cdata_leaves_are_keyed_by_root_relative_path() {
        let doc = b"<xml><A>1</A><B><![CDATA[two]]></B><From><UserId>u</UserId></From></xml>";
        let fields = flatten(doc).unwrap();
        assert_eq!(fields.get("A"), Some("1"));
        assert_eq!(fields.get("B"), Some("two"));
        assert_eq!(fields.get("From/UserId"), Some("u"));
        assert_eq!(fields.get("From"), Some(""));
    }

    #[test]
    fn entities_are_unescaped_and_empty_elements_recorded() {
        let fields = flatten(b"<xml><A>a &lt;&amp;&gt; &#x4F60;</A><E/></xml>").unwrap();
        assert_eq!(fields.get("A"), Some("a <&> 你"));
        assert_eq!(fields.get("E"), Some(""));
    }

    #[test]
    fn repeated_paths_keep_every_occurrence_in_order() {
        let fields = flatten(b"<xml><A>first</A><A>second</A></xml>").unwrap();
        assert_eq!(fields.get("A"), Some("first"));
        assert_eq!(fields.all("A").collect::<Vec<_>>(), ["first", "second"]);
        assert_eq!(fields.all("B").count(), 0);
    }

    #[test]
    fn malformed_documents_are_errors() {
        let bad: [&[u8]; 6] = [
            b"<xml><A>1</B></xml>",
            b"<xml><A>1</A>",
            b"<xml><A",
            b"<xml><A>&unknown;</A></xml>",
            b"<xml><A>\xff\xfe</A></xml>",
            b"<xml><A><![CDATA[x</A></xml>",
        ];
        for doc in bad {
            assert!(flatten(doc).is_err(), "{}", String::from_utf8_lossy(doc));
        }
    }

    #[test]
    fn doctype_entities_are_not_expanded() {
        let doc =
            b"<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><A>&x;</A></xml>";
        assert!(flatten(doc).is_err());
    }

    #[test]
    fn cdata_survives_content_that_contains_the_terminator() {
        let text = "a]]>b]]>";
        let doc = format!("<xml><C>{}</C></xml>", cdata(text));
        assert_eq!(flatten(doc.as_bytes()).unwrap().get("C"), Some(text));
    }
}
