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
//!
//! The parser sees unauthenticated bytes (the WeCom envelope must be read to
//! find the `Encrypt` that the signature covers), so its cost is linear in
//! the input: nesting deeper than [`MAX_DEPTH`] is refused at once, and the
//! current path is kept as one string that grows and shrinks with the open
//! elements instead of being rebuilt per element (which was quadratic).

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;

/// Deepest nesting accepted, root included. WeCom's deepest path is
/// `xml/MixedMessage/MsgItem/Text/Content` (5).
pub(crate) const MAX_DEPTH: usize = 8;

/// Why a document was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum XmlError {
    #[error(transparent)]
    Syntax(#[from] quick_xml::Error),
    #[error("nested deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("element <{0}> is not closed")]
    Unclosed(String),
}

/// The open elements: their names, the root-relative path of the innermost
/// one, and the text gathered for each.
#[derive(Default)]
struct Open {
    /// (name, length of `path` before this element was pushed, text).
    stack: Vec<(String, usize, String)>,
    path: String,
}

impl Open {
    fn push(&mut self, name: String) -> Result<(), XmlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(XmlError::TooDeep);
        }
        let before = self.path.len();
        if !self.stack.is_empty() {
            if self.stack.len() > 1 {
                self.path.push('/');
            }
            self.path.push_str(&name);
        }
        self.stack.push((name, before, String::new()));
        Ok(())
    }

    /// Pops the innermost element: its path (`None` for the root) and text.
    fn pop(&mut self) -> Option<(Option<String>, String)> {
        let (_, before, text) = self.stack.pop()?;
        let path = (!self.stack.is_empty()).then(|| self.path.clone());
        self.path.truncate(before);
        Some((path, text))
    }

    fn append(&mut self, text: &str) {
        if let Some((_, _, buffer)) = self.stack.last_mut() {
            buffer.push_str(text);
        }
    }
}

/// Leaf texts of a document keyed by their root-relative path.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    values: HashMap<String, Vec<String>>,
}

impl Fields {
    /// The text of the first element at `path`, if any (possibly empty).
    pub(crate) fn get(&self, path: &str) -> Option<&str> {
        self.all(path).next()
    }

    /// The texts of every element at `path`, in document order.
    pub(crate) fn all(&self, path: &str) -> impl Iterator<Item = &str> {
        self.values
            .get(path)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The trimmed text at `path`, or `None` if absent or blank.
    pub(crate) fn non_empty(&self, path: &str) -> Option<&str> {
        self.get(path).map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Parses `doc` into its leaf texts. Fails on malformed XML, unbalanced or
/// unclosed tags, nesting deeper than [`MAX_DEPTH`], invalid UTF-8 and
/// undefined entities.
pub(crate) fn flatten(doc: &[u8]) -> Result<Fields, XmlError> {
    let mut reader = Reader::from_reader(doc);
    let mut open = Open::default();
    let mut fields = Fields::default();
    loop {
        match reader.read_event()? {
            Event::Start(e) => open.push(name_of(e.name().as_ref()))?,
            Event::Empty(e) => {
                open.push(name_of(e.name().as_ref()))?;
                close(&mut open, &mut fields);
            }
            Event::Text(e) => open.append(&e.unescape()?),
            Event::CData(e) => open.append(&e.decode().map_err(quick_xml::Error::from)?),
            Event::End(_) => close(&mut open, &mut fields),
            Event::Eof => break,
            _ => {}
        }
    }
    match open.stack.last() {
        Some((name, _, _)) => Err(XmlError::Unclosed(name.clone())),
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

/// Pops the innermost element and records its text under its path. The
/// root itself is not recorded (its path would be empty).
fn close(open: &mut Open, fields: &mut Fields) {
    if let Some((Some(path), text)) = open.pop() {
        fields.values.entry(path).or_default().push(text);
    }
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
    fn nesting_beyond_the_cap_is_refused_and_within_it_parsed() {
        let nested = |depth: usize| {
            format!(
                "<xml>{}x{}</xml>",
                "<a>".repeat(depth - 1),
                "</a>".repeat(depth - 1)
            )
        };
        let ok = flatten(nested(MAX_DEPTH).as_bytes()).unwrap();
        let deepest = ["a"; MAX_DEPTH - 1].join("/");
        assert_eq!(ok.get(&deepest), Some("x"));
        assert!(matches!(
            flatten(nested(MAX_DEPTH + 1).as_bytes()),
            Err(XmlError::TooDeep)
        ));
        // The attack of the hardening review: 64 KiB of open tags, refused at the cap.
        let hostile = format!("<xml>{}", "<a>".repeat(21_000));
        assert!(matches!(
            flatten(hostile.as_bytes()),
            Err(XmlError::TooDeep)
        ));
    }

    #[test]
    fn wide_documents_cost_one_path_per_element() {
        // Many siblings at the cap's depth: every element is recorded once under its full path.
        let inner = "<b><c><d>t</d></c></b>".repeat(5_000);
        let doc = format!("<xml><a>{inner}</a></xml>");
        let fields = flatten(doc.as_bytes()).unwrap();
        assert_eq!(fields.all("a/b/c/d").count(), 5_000);
        assert_eq!(fields.all("a/b").count(), 5_000);
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
