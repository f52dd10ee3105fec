//! `policybot faq build SOURCE_FILE`: drafts FAQ entries from a new policy document for an officer to
//! curate. The letter around the measures (salutation, announcement, closing formulas, contacts,
//! signature: [`body`]) is left out; the rest is split at its headings and numbered clauses; each clause
//! becomes one draft entry whose answer is the clause's opening sentences (verbatim) and whose keywords are
//! the clause's top TF-IDF terms against the other clauses (never a number, a date or a word of time).
//! What the document says about its own time in force ([`terms`]) becomes each draft's `validity`,
//! `effective` and `expires`. Questions and alternates are left for the officer to write: the drafts carry
//! `TODO` markers and no alternates, so `faq check` refuses them until they are written.
//!
//! When the document replaces existing entries (`--supersedes ID,...`), the draft opens with the
//! `superseded_by` line for each of them and where they are, ready to paste.
//!
//! The words of a clause come from the caller (the matcher's segmenter, in the CLI): the base's own
//! module does not depend on the matcher built from it.

pub mod body;
pub mod terms;

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

/// Words of time that say nothing about what a clause is about (期间 would match every epidemic question).
const TIME_WORDS: &[&str] = &[
    "期间",
    "日前",
    "日内",
    "以内",
    "之前",
    "之后",
    "以前",
    "以后",
    "以来",
    "当日",
    "当天",
    "年度",
    "月底",
    "年底",
    "目前",
    "当前",
    "届时",
    "工作日",
    "同时",
];

/// Characters of numbers, dates and counts: a word made only of them is no keyword (2026, 50, 31日, 第一).
const NUMBER_CHARS: &str = "0123456789０１２３４５６７８９.．%％一二三四五六七八九十百千万亿零〇两年月日号时分秒天个项条款次第元";

/// A term that can say what a clause is about.
fn is_keyword(t: &str) -> bool {
    t.chars().count() >= 2
        && !GENERIC.contains(&t)
        && !TIME_WORDS.contains(&t)
        && !t.chars().all(|c| NUMBER_CHARS.contains(c))
}

/// One clause of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub heading: String,
    pub text: String,
}

/// Splits a document's measures into clauses at numbered starts and at short heading lines.
pub fn split_clauses(text: &str) -> Vec<Clause> {
    let mut clauses: Vec<Clause> = Vec::new();
    for line in body::measure_lines(text) {
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
    for c in &mut clauses {
        c.text = body::trim_tail(&c.text).to_owned();
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
                .filter(|t| is_keyword(t))
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
    #[serde(skip_serializing_if = "Option::is_none")]
    validity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

/// The document a draft is made from.
pub struct Document<'a> {
    /// The file as the officer named it, for the draft's header.
    pub path: &'a str,
    /// The source slug the entries cite (the file's stem).
    pub slug: &'a str,
    /// The issue date from its header; `None` for plain text (then the signature's date, if any).
    pub date: Option<&'a str>,
    /// The text (after the header, if it has one).
    pub body: &'a str,
}

/// What to do with the drafts, atop them.
fn header(doc: &Document, terms: &terms::DocumentTerms) -> String {
    let mut out = format!(
        "# Drafts from {}: write each question and at least 4 alternates, trim the answer to the words \
         that answer it; `faq check` refuses the drafts until then.\n",
        doc.path
    );
    if doc.date.is_none() {
        out.push_str(&format!(
            "# Plain text: copy it to faq/sources/{}.txt under a header (title:, issuer:, date:, kind:, a \
             line ---) so the entries can cite it.\n",
            doc.slug
        ));
    }
    if let Some(v) = &terms.validity {
        out.push_str(&format!(
            "# The document says it is in force {v}: each draft carries it as `validity`, `effective` and \
             `expires` (the first day no longer in force).\n"
        ));
    }
    out
}

/// TOML drafts for every clause of the document, citing its slug.
/// `words` segments a text (the matcher's segmenter, in the CLI).
pub fn draft_toml(words: impl Fn(&str) -> Vec<String>, doc: &Document) -> String {
    let clauses = split_clauses(doc.body);
    let keywords = tfidf_keywords(words, &clauses, 5);
    let terms = terms::find(doc.body);
    let signed = body::signature_date(doc.body).map(|d| d.to_string());
    let date = doc.date.or(signed.as_deref()).unwrap_or("YYYY-MM-DD");
    let mut out = header(doc, &terms);
    for (i, (c, kw)) in clauses.iter().zip(keywords).enumerate() {
        let entry = DraftEntry {
            id: format!("{}-{:02}", doc.slug, i + 1),
            question: format!("TODO: {}", c.heading),
            alternates: vec![],
            keywords: kw,
            answer: opening(&c.text, 200),
            source: doc.slug,
            clause: &c.heading,
            date,
            validity: terms.validity.as_deref(),
            effective: terms.effective.map(|d| d.to_string()),
            expires: terms.expires.map(|d| d.to_string()),
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
        let doc = Document {
            path: "faq/sources/new-doc.txt",
            slug: "new-doc",
            date: Some("2020-03-01"),
            body: DOC,
        };
        let toml_text = draft_toml(|t| a.all_terms(t), &doc);
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

    /// A notice written for these tests: salutation, announcement, three clauses, its time in force glued
    /// to the last clause, a closing formula, a contact line and the signature.
    const NOTICE: &str = "各县（市、区）生态环境分局，各有关企业：\n\
        为方便企业办理排污许可证延续，现将有关事项通知如下：\n\
        一、提前申请\n\
        排污许可证有效期届满需要延续的，企业应当在届满前60日提出申请。2026年12月31日前届满的，可推迟至2027年3月31日前提出。\n\
        二、网上办理\n\
        延续申请一律通过排污许可管理平台在线提交，审批部门在10个工作日内办结，期间不要求提交纸质材料。\n\
        三、简化材料\n\
        排放情况未发生变化的企业，只需提交延续申请表和承诺书。本通知自2026年10月1日起施行，有效期至2027年9月30日。特此通知。\n\
        联系人：赵某，电话：0000-1234567\n\
        某市生态环境局\n\
        2026年9月20日\n";

    fn notice_drafts(path: &str) -> (String, Vec<toml::Value>) {
        let a = crate::matcher::Analyzer::build(&crate::faq::FaqBase::default());
        let doc = Document {
            path,
            slug: "permit-renewal",
            date: None,
            body: NOTICE,
        };
        let text = draft_toml(|t| a.all_terms(t), &doc);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let entries = parsed["entry"].as_array().unwrap().clone();
        (text, entries)
    }

    #[test]
    fn a_notice_s_letter_is_left_out_and_its_clauses_drafted() {
        let (_, entries) = notice_drafts("inbox/permit-renewal.txt");
        let clauses: Vec<&str> = entries
            .iter()
            .map(|e| e["clause"].as_str().unwrap())
            .collect();
        assert_eq!(clauses, ["一、提前申请", "二、网上办理", "三、简化材料"]);
        assert_eq!(
            entries[2]["answer"].as_str(),
            Some("排放情况未发生变化的企业，只需提交延续申请表和承诺书。")
        );
    }

    #[test]
    fn a_notice_s_time_in_force_becomes_each_draft_s_validity() {
        let (text, entries) = notice_drafts("inbox/permit-renewal.txt");
        for e in &entries {
            assert_eq!(
                e["validity"].as_str(),
                Some("2026年10月1日起施行，有效期至2027年9月30日"),
                "{e}"
            );
            assert_eq!(e["effective"].as_str(), Some("2026-10-01"));
            assert_eq!(e["expires"].as_str(), Some("2027-10-01"));
            assert_eq!(
                e["date"].as_str(),
                Some("2026-09-20"),
                "the signature's date"
            );
        }
        assert!(text.contains("in force 2026年10月1日起施行"), "{text}");
    }

    #[test]
    fn keywords_are_never_numbers_dates_or_words_of_time() {
        let (_, entries) = notice_drafts("inbox/permit-renewal.txt");
        for e in &entries {
            for k in e["keywords"].as_array().unwrap() {
                let k = k.as_str().unwrap();
                let numeric = k.chars().all(|c| NUMBER_CHARS.contains(c));
                assert!(!numeric && !TIME_WORDS.contains(&k), "{k} in {e}");
            }
        }
        assert!(!is_keyword("2026") && !is_keyword("60") && !is_keyword("31日"));
        assert!(!is_keyword("期间") && !is_keyword("工作日") && is_keyword("纸质"));
    }

    #[test]
    fn the_header_names_the_file_given_and_the_drafts_are_refused_until_written() {
        let (text, _) = notice_drafts("inbox/permit-renewal.txt");
        assert!(
            text.starts_with("# Drafts from inbox/permit-renewal.txt: "),
            "{text}"
        );
        assert!(text.contains("faq/sources/permit-renewal.txt"), "{text}");
        let entries =
            crate::faq::load::parse_entries(std::path::Path::new("d.toml"), &text).unwrap();
        let refused: Vec<String> = crate::faq::ready::check(&entries)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(refused.len(), 6, "{refused:?}");
        assert!(
            refused[0].contains("`question` still holds the draft marker `TODO`"),
            "{refused:?}"
        );
        assert!(
            refused[1].contains("has 0 alternate phrasing(s)"),
            "{refused:?}"
        );
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
