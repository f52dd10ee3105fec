//! An entry's keywords, parsed once at load: a plain phrase, or (written `re:…` in the TOML) a regular
//! expression compiled here, once, into the [`Pattern`] the matcher runs. A keyword that does not parse
//! (an empty phrase, a bad regex) fails the load with its file and line.

pub use super::pattern::Pattern;
use serde::Deserialize;

/// One keyword of an entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub enum Keyword {
    /// A phrase the question must contain (after normalisation).
    Plain(String),
    /// A pattern matched against the prepared question.
    Regex(Pattern),
}

/// What marks a regex keyword in `faq/entries/*.toml`.
const REGEX_PREFIX: &str = "re:";

impl Keyword {
    /// Parses a keyword as written in an entry file.
    pub fn parse(text: &str) -> Result<Keyword, String> {
        match text.strip_prefix(REGEX_PREFIX) {
            Some(re) => Pattern::new(re)
                .map(Keyword::Regex)
                .map_err(|e| format!("keyword regex `{re}`: {e}")),
            None if text.trim().is_empty() => Err("a keyword is empty".to_owned()),
            None => Ok(Keyword::Plain(text.to_owned())),
        }
    }

    /// The keyword's text: the phrase, or the pattern without its `re:` prefix.
    pub fn as_written(&self) -> &str {
        match self {
            Keyword::Plain(p) => p,
            Keyword::Regex(r) => r.as_str(),
        }
    }

    /// The phrase of a plain keyword.
    pub fn plain(&self) -> Option<&str> {
        match self {
            Keyword::Plain(p) => Some(p),
            Keyword::Regex(_) => None,
        }
    }
}

impl TryFrom<String> for Keyword {
    type Error = String;
    fn try_from(s: String) -> Result<Keyword, String> {
        Keyword::parse(&s)
    }
}

/// Two keywords are the same when they are written the same.
impl PartialEq for Keyword {
    fn eq(&self, other: &Keyword) -> bool {
        match (self, other) {
            (Keyword::Plain(a), Keyword::Plain(b)) => a == b,
            (Keyword::Regex(a), Keyword::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefixed_keyword_is_a_compiled_regex_and_any_other_a_phrase() {
        let re = Keyword::parse("re:转产.{0,4}口罩").unwrap();
        assert!(matches!(&re, Keyword::Regex(r) if r.is_match("转产做口罩")));
        assert_eq!(re.plain(), None);
        assert_eq!(Keyword::parse("环评").unwrap().plain(), Some("环评"));
    }

    #[test]
    fn a_bad_regex_or_an_empty_phrase_is_refused_with_the_reason() {
        let err = Keyword::parse("re:(口罩").unwrap_err();
        assert!(err.starts_with("keyword regex `(口罩`: "), "{err}");
        assert_eq!(Keyword::parse(" ").unwrap_err(), "a keyword is empty");
    }

    #[test]
    fn keywords_compare_by_what_is_written() {
        let k = |s: &str| Keyword::parse(s).unwrap();
        assert_eq!(k("re:a|b"), k("re:a|b"));
        assert_ne!(k("re:a|b"), k("re:b|a"));
        assert_ne!(k("a"), k("re:a"));
    }
}
