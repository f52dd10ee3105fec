//! An entry's keywords, parsed once at load: a plain phrase, or (written `re:…` in the TOML) a regular
//! expression compiled here, once, with the bounded cache the matcher needs. A keyword that does not
//! parse (an empty phrase, a bad regex) fails the load with its file and line.

use regex::Regex;
use serde::Deserialize;

/// One keyword of an entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub enum Keyword {
    /// A phrase the question must contain (after normalisation).
    Plain(String),
    /// A pattern matched against the prepared question.
    Regex(Regex),
}

/// What marks a regex keyword in `faq/entries/*.toml`.
const REGEX_PREFIX: &str = "re:";

impl Keyword {
    /// Parses a keyword as written in an entry file.
    pub fn parse(text: &str) -> Result<Keyword, String> {
        match text.strip_prefix(REGEX_PREFIX) {
            Some(re) => bounded_regex(re)
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

/// A keyword regex with a bounded lazy-DFA cache: ~230 of them each grew a default-size cache over a batch
/// of questions. At 2 KB the caches thrash (perf: a tenth of decide rebuilding DFA states, the rest in the
/// backtracker) and decide p50 rose 16 -> 24 µs; at 32 KB p50 is 17-20 µs (`match_latency`) for about
/// 5 MB more peak RSS than at 2 KB (`bench_ask.sh`: 58.5 -> 65.6 MB over 20k questions). The matcher
/// clones it (a clone shares the compiled program and starts its own, empty cache).
fn bounded_regex(re: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(re).dfa_size_limit(1 << 15).build()
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
