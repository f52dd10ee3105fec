//! `policybot faq check`: proves the base is fit to serve. Every problem is reported as
//! `file:line: entry `id`: message`, and any problem makes the command fail.
//!
//! Checks beyond loading (schema, unique ids, known sources and related ids): each policy answer is found
//! verbatim in its source (white space ignored); each entry's question and alternates are answered with
//! that entry (or one quoting the very same measure, or the city report / provincial measure of the same
//! rule); no alternate belongs to two entries; the scope
//! lexicon, places, city reports and synonyms are consistent ([`super::lexicon`]); the thesaurus groups are
//! well formed ([`super::thesaurus`]); whom each entry applies to, its note and its review trail are
//! consistent ([`super::applies`]).

use super::FaqBase;
pub use super::problem::{Problem, squeeze};
use crate::matcher::{Matcher, Outcome, Thresholds, normalize::normalize};
use std::collections::HashMap;

/// Runs every content check; an empty result means the base is good.
pub fn check(base: &FaqBase, thresholds: Thresholds) -> Vec<Problem> {
    let mut problems = verbatim_problems(base);
    problems.extend(shared_alternates(base));
    problems.extend(super::lexicon::check(base));
    problems.extend(super::applies::check(base));
    problems.extend(super::thesaurus::check(&base.thesaurus));
    problems.extend(self_match_problems(base, &Matcher::build(base, thresholds)));
    problems
}

fn problem(e: &super::Entry, message: String) -> Problem {
    Problem::entry(e, message)
}

fn verbatim_problems(base: &FaqBase) -> Vec<Problem> {
    let bodies: HashMap<&str, String> = base
        .sources
        .iter()
        .map(|(k, s)| (k.as_str(), squeeze(&s.body)))
        .collect();
    base.entries
        .iter()
        .filter(|e| !e.officer_authored)
        .filter(|e| {
            !bodies
                .get(e.source.as_str())
                .is_some_and(|b| b.contains(&squeeze(&e.answer)))
        })
        .map(|e| {
            problem(
                e,
                format!("answer is not found verbatim in sources/{}.txt", e.source),
            )
        })
        .collect()
}

fn shared_alternates(base: &FaqBase) -> Vec<Problem> {
    let mut owner: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::new();
    for e in &base.entries {
        for p in std::iter::once(&e.question).chain(&e.alternates) {
            let key = normalize(p);
            match owner.get(&key) {
                Some(other) if *other != e.id => out.push(problem(
                    e,
                    format!("phrasing `{p}` is also used by entry `{other}`"),
                )),
                _ => {
                    owner.insert(key, &e.id);
                }
            }
        }
    }
    out
}

fn self_match_problems(base: &FaqBase, matcher: &Matcher) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, e) in base
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.officer_authored)
    {
        for p in std::iter::once(&e.question).chain(&e.alternates) {
            let whole = matcher.decide(p);
            // A phrasing that asks two questions may be answered by this entry for the second one.
            let d = match whole.other.as_deref() {
                Some(o) if o.best().map(|c| c.entry) == Some(i) => o.clone(),
                _ => whole,
            };
            let got = d.best().map(|c| c.entry);
            // An entry quoting the very same measure gives the same answer; that is fine.
            let same_answer = got.is_some_and(|j| {
                squeeze(&base.entries[j].answer) == squeeze(&e.answer) || matcher.same_rule(i, j)
            });
            if d.outcome != Outcome::Answered || !same_answer {
                let what = match got {
                    Some(j) if j != i => {
                        format!("{} with `{}`", d.outcome.as_str(), base.entries[j].id)
                    }
                    _ => d.outcome.as_str().to_owned(),
                };
                out.push(problem(
                    e,
                    format!("phrasing `{p}` is {what}, not answered with this entry"),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::{Entry, fixtures};

    fn entry(id: &str, q: &str, alts: &[&str], answer: &str) -> Entry {
        fixtures::entry(id, q, alts, &[], answer)
    }

    fn base(entries: Vec<Entry>) -> FaqBase {
        fixtures::base(
            entries,
            "可豁免环评\n手续。辐射安全许可证到期可以自动顺延。",
        )
    }

    #[test]
    fn answers_match_the_source_ignoring_white_space() {
        let b = base(vec![entry(
            "a",
            "转产口罩要环评吗",
            &[],
            "可豁免环评手续。",
        )]);
        assert!(verbatim_problems(&b).is_empty());
    }

    #[test]
    fn an_altered_quote_is_reported_with_its_origin() {
        let b = base(vec![entry(
            "a",
            "转产口罩要环评吗",
            &[],
            "可以豁免环评手续。",
        )]);
        let p = verbatim_problems(&b);
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].to_string(),
            "e.toml:1: entry `a`: answer is not found verbatim in sources/s.txt"
        );
    }

    #[test]
    fn a_phrasing_shared_by_two_entries_is_reported() {
        let b = base(vec![
            entry(
                "a",
                "转产口罩要环评吗",
                &["许可证到期怎么办"],
                "可豁免环评手续。",
            ),
            entry(
                "b",
                "辐射安全许可证到期",
                &["许可证到期怎么办"],
                "可以自动顺延。",
            ),
        ]);
        assert_eq!(shared_alternates(&b).len(), 1);
    }

    #[test]
    fn distinct_entries_answer_their_own_phrasings() {
        let b = base(vec![
            entry(
                "a",
                "转产口罩要办环评吗",
                &["临时转产口罩环评"],
                "可豁免环评手续。",
            ),
            entry(
                "b",
                "辐射安全许可证到期怎么办",
                &["辐射安全许可证过期"],
                "可以自动顺延。",
            ),
        ]);
        let problems = self_match_problems(&b, &Matcher::build(&b, Thresholds::default()));
        assert!(problems.is_empty(), "{problems:?}");
    }
}
