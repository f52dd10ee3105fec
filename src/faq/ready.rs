//! Whether each entry is finished enough to be served: the rules that keep a draft (`faq build` output,
//! an officer's `入库` draft from `faq drafts`) out of what enterprises read. Checked at load, so neither
//! `serve`, `ask` nor `faq check` accepts a base holding a draft, and every message says what to write.
//!
//! - No draft marker (`TODO`, `FIXME`, `YYYY`) in any field; a placeholder `date` is reported by
//!   [`super::validity`] with [`is_placeholder_date`]'s wording.
//! - At least [`MIN_ALTERNATES`] alternate phrasings besides the question (one equal to it does not count).
//! - An officer-authored entry is reviewed (`reviewed_by`, `reviewed_on`) and its citation is public: no
//!   internal ticket number (`工单 #12`) in what enterprises see, and no officer named in the clause.

use super::Entry;
use super::problem::Problem;
use crate::text::squeeze;
use regex::Regex;
use std::sync::LazyLock;

/// Alternates an entry needs besides its question: how enterprise contacts actually ask.
pub const MIN_ALTERNATES: usize = 4;

/// Words a draft leaves for its editor to replace (matched ignoring ASCII case).
const MARKERS: [&str; 3] = ["TODO", "FIXME", "YYYY"];

/// An internal ticket reference: 工单, or `#12` / `＃１２`.
static TICKET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"工单\s*[#＃]?\s*[0-9０-９]+|[#＃]\s*[0-9０-９]+").expect("static regex")
});

/// A person named by a staff title (刘干事, 王科长, 张老师…).
static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\p{Han}{0,3}(?:干事|科长|处长|局长|主任|科员|股长|所长|站长|队长|专员|同志|老师)")
        .expect("static regex")
});

/// Every problem that keeps an entry of `entries` from being served.
pub fn check(entries: &[Entry]) -> Vec<Problem> {
    let mut out = Vec::new();
    for e in entries {
        out.extend(markers(e));
        out.extend(phrasings(e));
        if e.officer_authored {
            out.extend(officer_citation(e));
        }
    }
    out
}

/// True for a `date` left as a placeholder (`YYYY-MM-DD`, `TODO`, `待定`): it holds no digit, or letters.
pub fn is_placeholder_date(s: &str) -> bool {
    !s.chars().any(|c| c.is_ascii_digit()) || s.chars().any(|c| c.is_ascii_alphabetic())
}

/// The draft marker in `text`, if any.
fn marker(text: &str) -> Option<&'static str> {
    let upper = text.to_ascii_uppercase();
    MARKERS.into_iter().find(|m| upper.contains(m))
}

/// The text fields of an entry an editor writes, with what to write there.
fn fields(e: &Entry) -> Vec<(&'static str, &str, &'static str)> {
    let rewrite = "replace it with the real value, or remove the line";
    let mut out = vec![
        (
            "question",
            e.question.as_str(),
            "write the question as an enterprise contact would ask it",
        ),
        (
            "answer",
            e.answer.as_str(),
            "quote the measure verbatim from the source",
        ),
        ("clause", e.clause.as_str(), clause_hint(e)),
    ];
    let lists = [("alternates", &e.alternates), ("limited_by", &e.limited_by)];
    for (name, list) in lists {
        out.extend(list.iter().map(|v| (name, v.as_str(), rewrite)));
    }
    out.extend(
        e.keywords
            .iter()
            .map(|k| ("keywords", k.as_written(), rewrite)),
    );
    let optional = [
        ("validity", &e.validity),
        ("note", &e.note),
        ("period", &e.period),
        ("superseded_by", &e.superseded_by),
        ("reviewed_by", &e.reviewed_by),
        ("applies_to.place", &e.applies_to.place),
        ("applies_to.enterprise", &e.applies_to.enterprise),
    ];
    for (name, value) in optional {
        out.extend(value.as_deref().map(|v| (name, v, rewrite)));
    }
    out
}

/// What a clause should say: where the quote stands, or for an officer's answer what enterprises may read.
fn clause_hint(e: &Entry) -> &'static str {
    if e.officer_authored {
        "write the topic or the policy the answer rests on (enterprises read it in the citation)"
    } else {
        "write the clause number or heading the answer stands under"
    }
}

fn markers(e: &Entry) -> Vec<Problem> {
    fields(e)
        .into_iter()
        .filter_map(|(name, value, hint)| {
            let m = marker(value)?;
            Some(Problem::entry(
                e,
                format!("`{name}` still holds the draft marker `{m}` (`{value}`): {hint}"),
            ))
        })
        .collect()
}

/// Alternates that differ from the question and from each other (white space aside).
fn distinct_alternates(e: &Entry) -> usize {
    let mut seen = vec![squeeze(&e.question)];
    for a in &e.alternates {
        let a = squeeze(a);
        if !seen.contains(&a) {
            seen.push(a);
        }
    }
    seen.len() - 1
}

fn phrasings(e: &Entry) -> Vec<Problem> {
    let n = distinct_alternates(e);
    if n >= MIN_ALTERNATES {
        return Vec::new();
    }
    let repeated = if n < e.alternates.len() {
        " (an alternate equal to the question or to another one does not count)"
    } else {
        ""
    };
    vec![Problem::entry(
        e,
        format!(
            "has {n} alternate phrasing(s){repeated}: write at least {MIN_ALTERNATES} in `alternates`, \
             as enterprise contacts actually ask (colloquial, varied)"
        ),
    )]
}

/// An officer's answer reaches enterprises only reviewed, citing something public.
fn officer_citation(e: &Entry) -> Vec<Problem> {
    let mut out = Vec::new();
    if !e.is_reviewed() {
        out.push(Problem::entry(
            e,
            "an officer-authored entry needs `reviewed_by` and `reviewed_on` before it is served"
                .into(),
        ));
    }
    let seen = [
        ("clause", Some(e.clause.as_str())),
        ("answer", Some(e.answer.as_str())),
        ("validity", e.validity.as_deref()),
        ("note", e.note.as_deref()),
    ];
    for (name, text) in seen {
        if let Some(m) = text.and_then(|t| TICKET.find(t)) {
            out.push(Problem::entry(
                e,
                format!(
                    "`{name}` names an internal ticket (`{}`), which enterprises would see: cite the \
                     policy or the topic instead",
                    m.as_str().trim()
                ),
            ));
        }
    }
    if let Some(m) = PERSON.find(&e.clause) {
        out.push(Problem::entry(
            e,
            format!(
                "`clause` names a person (`{}`): the citation is shown to enterprises; name the policy \
                 or the topic the answer is about, not the officer",
                m.as_str()
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::{Date, fixtures};

    const ALTS: [&str; 4] = [
        "排污证到期了怎么续",
        "许可证延续去哪里申请",
        "排污许可证快过期了咋办",
        "延续排污许可要交纸质材料吗",
    ];

    fn finished() -> Entry {
        fixtures::entry(
            "permit-renewal",
            "排污许可证到期怎么延续？",
            &ALTS,
            &["延续"],
            "延续申请通过网上平台提交。",
        )
    }

    fn officer() -> Entry {
        let mut e = finished();
        e.officer_authored = true;
        e.source = "officer-answers".into();
        e.clause = "排污许可证延续的办理方式".into();
        e.reviewed_by = Some("编辑部".into());
        e.reviewed_on = Some(Date::parse("2026-12-02").unwrap());
        e
    }

    fn messages(e: Entry) -> Vec<String> {
        check(&[e]).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_finished_entry_and_a_reviewed_officer_answer_pass() {
        assert_eq!(messages(finished()), Vec::<String>::new());
        assert_eq!(messages(officer()), Vec::<String>::new());
    }

    #[test]
    fn a_todo_marker_fails_naming_the_field_and_what_to_write() {
        let mut e = finished();
        e.question = "TODO: 一、延续申请时限".into();
        assert_eq!(
            messages(e),
            [
                "e.toml:1: entry `permit-renewal`: `question` still holds the draft marker `TODO` \
              (`TODO: 一、延续申请时限`): write the question as an enterprise contact would ask it"
            ]
        );
        let mut e = finished();
        e.validity = Some("有效期至YYYY年MM月DD日".into());
        e.keywords.push(crate::faq::Keyword::parse("todo").unwrap());
        let m = messages(e);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].contains("`keywords` still holds the draft marker `TODO`"),
            "{m:?}"
        );
        assert!(
            m[1].contains("`validity` still holds the draft marker `YYYY`"),
            "{m:?}"
        );
    }

    #[test]
    fn placeholder_dates_are_told_from_wrong_ones() {
        for placeholder in ["YYYY-MM-DD", "TODO", "待定", "2026-MM-DD"] {
            assert!(is_placeholder_date(placeholder), "{placeholder}");
        }
        for wrong in ["2026-02-30", "2026/12/02", "20261202"] {
            assert!(!is_placeholder_date(wrong), "{wrong}");
        }
    }

    #[test]
    fn fewer_than_the_minimum_alternates_fail_and_repeats_do_not_count() {
        let mut e = finished();
        e.alternates.clear();
        assert_eq!(
            messages(e),
            [
                "e.toml:1: entry `permit-renewal`: has 0 alternate phrasing(s): write at least 4 in \
              `alternates`, as enterprise contacts actually ask (colloquial, varied)"
            ]
        );
        let mut e = finished();
        e.alternates = vec![
            "排污许可证到期怎么延续？".into(),
            ALTS[0].into(),
            ALTS[1].into(),
            format!(" {} ", ALTS[1]),
        ];
        let m = messages(e);
        assert!(
            m[0].contains("has 2 alternate phrasing(s) (an alternate equal to the question"),
            "{m:?}"
        );
    }

    #[test]
    fn an_unreviewed_officer_answer_fails() {
        let mut e = officer();
        e.reviewed_on = None;
        assert_eq!(
            messages(e),
            [
                "e.toml:1: entry `permit-renewal`: an officer-authored entry needs `reviewed_by` and \
              `reviewed_on` before it is served"
            ]
        );
    }

    #[test]
    fn an_officer_answer_citing_a_ticket_or_an_officer_fails() {
        let mut e = officer();
        e.clause = "工单 #12 工作人员答复（刘干事）".into();
        let m = messages(e);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].contains("`clause` names an internal ticket (`工单 #12`)"),
            "{m:?}"
        );
        assert!(m[1].contains("`clause` names a person (`刘干事`)"), "{m:?}");
        let mut e = officer();
        e.answer = "已按＃１２号工单办理，可网上提交。".into();
        let m = messages(e);
        assert!(
            m[0].contains("`answer` names an internal ticket (`＃１２`)"),
            "{m:?}"
        );
    }

    #[test]
    fn staff_titles_in_a_policy_quote_are_not_an_officer_citation() {
        let mut e = finished();
        e.clause = "三、局长接待日".into();
        assert_eq!(messages(e), Vec::<String>::new());
    }
}
