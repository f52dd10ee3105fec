//! The full `policybot faq check`: the base's own checks ([`crate::faq::check`]) and the one that needs
//! the matcher built from it: each entry's question and alternates are answered with that entry (or
//! one quoting the very same measure, or the city report / provincial measure of the same rule).
//! Every problem is reported as `file:line: entry `id`: message`; any problem refuses the base.

use super::Snapshot;
use crate::faq::{self, problem::Problem};
use crate::matcher::Outcome;
use crate::text::squeeze;

/// Every problem of the snapshot's base; empty when it is fit to serve.
pub fn problems(s: &Snapshot) -> Vec<Problem> {
    let mut problems = faq::check::check(&s.base);
    problems.extend(self_match_problems(s));
    problems
}

fn self_match_problems(s: &Snapshot) -> Vec<Problem> {
    let entries = &s.base.entries;
    let mut out = Vec::new();
    for (i, e) in entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.officer_authored)
    {
        for p in std::iter::once(&e.question).chain(&e.alternates) {
            let whole = s.decide(p);
            // A phrasing that asks two questions may be answered by this entry for the second one.
            let d = match whole.other.as_deref() {
                Some(o) if o.best().is_some_and(|c| c.id.as_str() == e.id) => o.clone(),
                _ => whole,
            };
            let got = d.best().and_then(|c| s.position(c.id.as_str()));
            // An entry quoting the very same measure gives the same answer; that is fine.
            let same_answer = got.is_some_and(|j| {
                squeeze(&entries[j].answer) == squeeze(&e.answer) || s.matcher.same_rule(i, j)
            });
            if d.outcome != Outcome::Answered || !same_answer {
                let what = match got {
                    Some(j) if j != i => format!("{} with `{}`", d.outcome.as_str(), entries[j].id),
                    _ => d.outcome.as_str().to_owned(),
                };
                out.push(Problem::entry(
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
    use crate::faq::{Entry, FaqBase, fixtures};
    use crate::matcher::Thresholds;

    fn entry(id: &str, q: &str, alts: &[&str], answer: &str) -> Entry {
        fixtures::entry(id, q, alts, &[], answer)
    }

    fn snapshot(entries: Vec<Entry>) -> Snapshot {
        let base: FaqBase = fixtures::base(
            entries,
            "可豁免环评\n手续。辐射安全许可证到期可以自动顺延。",
        );
        Snapshot::build(base, Thresholds::default())
    }

    #[test]
    fn distinct_entries_answer_their_own_phrasings() {
        let s = snapshot(vec![
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
        let problems = self_match_problems(&s);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_phrasing_two_entries_answer_alike_is_reported_for_each() {
        let s = snapshot(vec![
            entry("a", "转产口罩要办环评吗", &[], "可豁免环评手续。"),
            entry(
                "b",
                "辐射安全许可证到期怎么办",
                &["转产口罩要办环评吗"],
                "可以自动顺延。",
            ),
        ]);
        let problems: Vec<String> = self_match_problems(&s)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            vec![
                "e.toml:1: entry `a`: phrasing `转产口罩要办环评吗` is clarify, not answered with this entry",
                "e.toml:1: entry `b`: phrasing `转产口罩要办环评吗` is clarify with `a`, not answered with this entry",
            ]
        );
    }
}
