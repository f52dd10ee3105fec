//! The content checks of `policybot faq check` that need only the base itself. Every problem is
//! reported as `file:line: entry `id`: message`, and any problem makes the command fail.
//!
//! Checks beyond loading (schema, unique ids, known sources and related ids): each policy answer is found
//! verbatim in its source (white space ignored); no alternate belongs to two entries; the scope
//! lexicon, places, city reports and synonyms are consistent ([`super::lexicon`]); the thesaurus groups are
//! well formed ([`super::thesaurus`]); whom each entry applies to, its note and its review trail are
//! consistent ([`super::applies`]). That each entry's phrasings are answered with that entry needs the
//! matcher built from the base: `crate::snapshot` checks it, above both.

use super::FaqBase;
use super::problem::Problem;
use crate::text::{normalize, squeeze};
use std::collections::HashMap;

/// Runs every check of the base alone; an empty result means it is good.
pub fn check(base: &FaqBase) -> Vec<Problem> {
    let mut problems = verbatim_problems(base);
    problems.extend(shared_alternates(base));
    problems.extend(super::lexicon::check(base));
    problems.extend(super::applies::check(base));
    problems.extend(super::thesaurus::check(&base.thesaurus));
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
}
