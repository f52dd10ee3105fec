//! Why a candidate matched, in words an officer can check: the entry's phrasing closest to the question
//! (shared character pairs) and the entry's keywords the question contains. An explanation for the
//! try-it pane and the ticket page, not the matcher's score itself.

use crate::faq::Entry;
use crate::faq::Keyword;
use crate::text::normalize;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize)]
pub struct Why {
    /// The entry's standard question or alternate sharing the most with the question.
    pub phrasing: String,
    /// Share (0..1) of that phrasing's character pairs found in the question.
    pub overlap: f32,
    /// The entry's keywords (as written, `re:` patterns included) found in the question.
    pub keywords: Vec<String>,
}

/// Why `entry` came up for `question`.
pub fn why(entry: &Entry, question: &str) -> Why {
    let q = pairs(&normalize(question));
    let (phrasing, overlap) = std::iter::once(&entry.question)
        .chain(&entry.alternates)
        .map(|p| (p, share(&pairs(&normalize(p)), &q)))
        .fold((&entry.question, -1.0f32), |best, c| {
            if c.1 > best.1 { c } else { best }
        });
    let normalized = normalize(question);
    let keywords = entry
        .keywords
        .iter()
        .filter(|k| keyword_found(k, &normalized))
        .map(written)
        .collect();
    Why {
        phrasing: phrasing.clone(),
        overlap: (overlap.max(0.0) * 100.0).round() / 100.0,
        keywords,
    }
}

fn keyword_found(keyword: &Keyword, normalized: &str) -> bool {
    match keyword {
        Keyword::Regex(re) => re.is_match(normalized),
        Keyword::Plain(p) => normalized.contains(&normalize(p)),
    }
}

/// A keyword as written in the entry file.
pub fn written(keyword: &Keyword) -> String {
    match keyword {
        Keyword::Regex(re) => format!("re:{}", re.as_str()),
        Keyword::Plain(p) => p.clone(),
    }
}

/// Adjacent character pairs.
fn pairs(s: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Share of `of`'s pairs found in `in_`.
fn share(of: &HashSet<(char, char)>, in_: &HashSet<(char, char)>) -> f32 {
    if of.is_empty() {
        return 0.0;
    }
    of.intersection(in_).count() as f32 / of.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        let toml = r#"
id = "x"
question = "生态环境网校是什么？"
alternates = ["环保网校是个什么平台", "网校面向哪些人"]
keywords = ["网上学校", "re:网校.{0,10}(面向|对象)"]
answer = "a"
source = "s"
clause = "c"
date = "2020-03-06"
"#;
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn the_closest_phrasing_and_the_keywords_found_are_named() {
        let w = why(&entry(), "网校面向哪些人群");
        assert_eq!(w.phrasing, "网校面向哪些人");
        assert_eq!(w.overlap, 1.0);
        assert_eq!(w.keywords, vec!["re:网校.{0,10}(面向|对象)".to_owned()]);
        let w = why(&entry(), "有没有网上学校");
        assert_eq!(w.keywords, vec!["网上学校".to_owned()]);
    }
}
