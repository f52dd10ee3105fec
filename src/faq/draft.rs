//! `policybot faq build SOURCE_FILE`: drafts FAQ entries from a new policy document for an officer to
//! curate. The document is split at its headings and numbered clauses; each clause becomes one draft entry
//! whose answer is the clause's opening sentences (verbatim) and whose keywords are the clause's top TF-IDF
//! terms against the other clauses. Questions and alternates are left for the officer to write.
//!
//! When the document replaces existing entries (`--supersedes ID,...`), the draft opens with the
//! `superseded_by` line for each of them and where they are, ready to paste.
//!
//! The words of a clause come from the caller (the matcher's segmenter, in the CLI): the base's own
//! module does not depend on the matcher built from it.

use super::FaqBase;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// `一、…`, `（一）…`, `1. …`, `第一条…`: where a clause starts.
static CLAUSE_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\(\d+\)|\d+[.、．]|第[一二三四五六七八九十百]+条)")
        .expect("static regex")
});

/// Words of policy prose that say nothing about what a clause is about.
const GENERIC: &[&str] = &[
    "关于",
    "工作",
    "按照",
    "进行",
    "加强",
    "推进",
    "建立",
    "完善",
    "开展",
    "推动",
    "坚持",
    "实施",
    "落实",
    "强化",
    "健全",
    "提高",
    "提升",
    "全面",
    "进一步",
    "有关",
    "相关",
    "各级",
    "各地",
    "部门",
    "要求",
    "意见",
    "制度",
    "体系",
    "机制",
];

/// One clause of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub heading: String,
    pub text: String,
}

/// Splits a document into clauses at numbered starts and at short heading lines.
pub fn split_clauses(body: &str) -> Vec<Clause> {
    let mut clauses: Vec<Clause> = Vec::new();
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let is_heading =
            CLAUSE_START.is_match(line) || (line.chars().count() <= 30 && !ends_sentence(line));
        if is_heading || clauses.is_empty() {
            let heading: String = line
                .split(['。', '：'])
                .next()
                .unwrap_or(line)
                .chars()
                .take(40)
                .collect();
            clauses.push(Clause {
                heading,
                text: String::new(),
            });
        }
        let standalone_heading = is_heading && !ends_sentence(line) && line.chars().count() <= 30;
        if !standalone_heading {
            clauses
                .last_mut()
                .expect("pushed above")
                .text
                .push_str(line);
        }
    }
    clauses.retain(|c| c.text.chars().count() > 10);
    clauses
}

fn ends_sentence(line: &str) -> bool {
    line.ends_with(['。', '！', '？', '；', '.', '!', '?'])
}

/// The first sentences of a clause, up to about `max_chars`, as a verbatim quote.
fn opening(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for sentence in text.split_inclusive('。') {
        if !out.is_empty() && out.chars().count() + sentence.chars().count() > max_chars {
            break;
        }
        out.push_str(sentence);
    }
    out
}

/// Top `k` TF-IDF terms of each clause, with clauses as the documents; `terms` segments a text.
pub fn tfidf_keywords(
    terms: impl Fn(&str) -> Vec<String>,
    clauses: &[Clause],
    k: usize,
) -> Vec<Vec<String>> {
    let docs: Vec<Vec<String>> = clauses
        .iter()
        .map(|c| {
            terms(&c.text)
                .into_iter()
                .filter(|t| t.chars().count() >= 2 && !GENERIC.contains(&t.as_str()))
                .collect()
        })
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for d in &docs {
        let mut uniq: Vec<&str> = d.iter().map(String::as_str).collect();
        uniq.sort_unstable();
        uniq.dedup();
        for t in uniq {
            *df.entry(t).or_default() += 1;
        }
    }
    let n = docs.len() as f32;
    docs.iter()
        .map(|d| {
            let mut tf: HashMap<&str, f32> = HashMap::new();
            for t in d {
                *tf.entry(t).or_default() += 1.0;
            }
            let mut scored: Vec<(&str, f32)> = tf
                .into_iter()
                .map(|(t, f)| (t, f * ((n + 1.0) / (df[t] as f32 + 1.0)).ln()))
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            scored
                .into_iter()
                .take(k)
                .map(|(t, _)| t.to_owned())
                .collect()
        })
        .collect()
}

/// A draft in the field order of `faq/entries/*.toml`.
#[derive(serde::Serialize)]
struct DraftEntry<'a> {
    id: String,
    question: String,
    alternates: Vec<String>,
    keywords: Vec<String>,
    answer: String,
    source: &'a str,
    clause: &'a str,
    date: &'a str,
}

/// TOML drafts for every clause of `body`, citing `source_slug`; `terms` segments a text.
pub fn draft_toml(
    terms: impl Fn(&str) -> Vec<String>,
    source_slug: &str,
    date: &str,
    body: &str,
) -> String {
    let clauses = split_clauses(body);
    let keywords = tfidf_keywords(terms, &clauses, 5);
    let mut out = format!(
        "# Drafts from sources/{source_slug}.txt: write the question and alternates, trim the answer.\n"
    );
    for (i, (c, kw)) in clauses.iter().zip(keywords).enumerate() {
        let entry = DraftEntry {
            id: format!("{source_slug}-{:02}", i + 1),
            question: format!("TODO: {}", c.heading),
            alternates: vec![],
            keywords: kw,
            answer: opening(&c.text, 200),
            source: source_slug,
            clause: &c.heading,
            date,
        };
        out.push_str("\n[[entry]]\n");
        out.push_str(&toml::to_string(&entry).unwrap_or_default());
    }
    out
}

/// The note atop a draft: the entries `ids` that the document titled `title` replaces, each with its file
/// and line, and the `superseded_by` line to add to them. An id not in `base` is an error.
pub fn superseded_note(base: &FaqBase, ids: &[String], title: &str) -> Result<String, String> {
    let link = toml::Value::String(title.to_owned());
    let mut out = format!(
        "# This document replaces the entries below: add this line to each of them (after its `id`).\n\
         # From the document's date they are answered as superseded (`policybot faq status` lists them).\n\
         superseded_by = {link}\n"
    );
    for id in ids {
        let e = base
            .entry(id)
            .ok_or_else(|| format!("--supersedes: no entry `{id}` in the FAQ base"))?;
        out.push_str(&format!("#   {}  {id}  {}\n", e.origin, e.question));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "一、总体要求\n坚持问题导向。加强环境监管。\n二、强化风险管控\n（一）开展风险排查。化工园区按照导则开展安全风险排查，建立台账。\n（二）加强源头管控。严格新建化工项目准入，禁止异地落户。\n";

    #[test]
    fn clauses_split_at_numbered_headings() {
        let c = split_clauses(DOC);
        let heads: Vec<&str> = c.iter().map(|c| c.heading.as_str()).collect();
        assert_eq!(
            heads,
            vec!["一、总体要求", "（一）开展风险排查", "（二）加强源头管控"]
        );
    }

    #[test]
    fn drafts_quote_the_clause_and_parse_as_entries() {
        let a = crate::matcher::Analyzer::build(&crate::faq::FaqBase::default());
        let toml_text = draft_toml(|t| a.all_terms(t), "new-doc", "2020-03-01", DOC);
        let parsed: toml::Table = toml::from_str(&toml_text).unwrap();
        let entries = parsed["entry"].as_array().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[2]["answer"].as_str(),
            Some("（二）加强源头管控。严格新建化工项目准入，禁止异地落户。")
        );
        let kws = entries[2]["keywords"].as_array().unwrap();
        assert!(kws.iter().any(|k| k.as_str() == Some("异地")), "{kws:?}");
    }

    #[test]
    fn the_superseded_note_names_each_replaced_entry_and_the_link() {
        use crate::faq::fixtures;
        let base = fixtures::base(vec![fixtures::entry("old-a", "旧问题", &[], &[], "x")], "x");
        let note = superseded_note(&base, &["old-a".into()], "新办法").unwrap();
        assert!(note.contains("\nsuperseded_by = \"新办法\"\n"), "{note}");
        assert!(note.contains("#   e.toml:1  old-a  旧问题\n"), "{note}");
        let err = superseded_note(&base, &["nope".into()], "新办法").unwrap_err();
        assert!(err.contains("`nope`"), "{err}");
    }
}
