//! How the base is ageing, as text for officers: `policybot faq status` (counts by status and the entries
//! that are not plainly in force, grouped by why) and the lines `faq check` adds (entries expiring within
//! 30 days or expired).

use super::validity::{Status, counts};
use super::{Date, FaqBase, Timeline};
use std::collections::BTreeMap;

/// Ids per line in the grouped lists.
const IDS_PER_LINE: usize = 6;

/// Counts by status on `on`, then the expiring, upcoming, lapsed and superseded entries.
pub fn status(base: &FaqBase, on: Date) -> String {
    let mut out = format!("faq status as of {on}: {} entries\n", base.entries.len());
    for (s, n) in counts(base, on) {
        out.push_str(&format!("  {:<11}{n:>5}\n", s.as_str()));
    }
    for s in [
        Status::Expiring,
        Status::Upcoming,
        Status::Lapsed,
        Status::Superseded,
    ] {
        out.push_str(&details(base, on, s));
    }
    out
}

/// The entries expiring within the window or expired on `on` (empty when there are none).
pub fn ageing(base: &FaqBase, on: Date) -> String {
    details(base, on, Status::Expiring) + &details(base, on, Status::Lapsed)
}

/// `status (n):` and one group per reason, with the ids.
fn details(base: &FaqBase, on: Date, status: Status) -> String {
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for e in base
        .entries
        .iter()
        .filter(|e| e.timeline.status(on) == status)
    {
        groups
            .entry(why(&e.timeline, status, on))
            .or_default()
            .push(&e.id);
    }
    if groups.is_empty() {
        return String::new();
    }
    let n: usize = groups.values().map(Vec::len).sum();
    let mut out = format!("{} ({n}) as of {on}:\n", status.as_str());
    for (why, ids) in groups {
        out.push_str(&format!("  {why} ({}):\n", ids.len()));
        for chunk in ids.chunks(IDS_PER_LINE) {
            out.push_str(&format!("    {}\n", chunk.join(" ")));
        }
    }
    out
}

/// Why an entry has `status`, as a group heading.
fn why(t: &Timeline, status: Status, on: Date) -> String {
    let end = t.end.as_ref();
    let period = |label: Option<&String>| label.map_or_else(String::new, |l| format!(", {l}"));
    let replaced = t.superseded.as_ref().map(|s| (s.title.as_str(), s.from));
    match (status, end, replaced) {
        (Status::Upcoming, ..) => format!("takes effect on {}", show(t.effective)),
        (Status::Superseded, _, Some((title, from))) => {
            format!("replaced by 《{title}》 since {}", show(from))
        }
        (Status::Expiring, _, Some((title, Some(f)))) if end.is_none_or(|e| f <= e.on) => {
            format!(
                "replaced by 《{title}》 on {f} (in {} days)",
                on.days_until(f)
            )
        }
        (Status::Expiring, Some(e), _) => format!(
            "ends on {} (in {} days{})",
            e.on,
            on.days_until(e.on),
            period(e.period.as_ref())
        ),
        (_, Some(e), _) => format!("ended on {}{}", e.on, period(e.period.as_ref())),
        _ => status.as_str().to_owned(),
    }
}

fn show(d: Option<Date>) -> String {
    d.map_or_else(|| "always".to_owned(), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::{Period, fixtures, validity::resolve};

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn status_counts_and_groups_entries_by_reason() {
        let mut a = fixtures::entry("a", "qa", &[], &[], "x");
        a.period = Some("epidemic".into());
        let mut b = fixtures::entry("b", "qb", &[], &[], "y");
        b.superseded_by = Some("《新办法》".into());
        let c = fixtures::entry("c", "qc", &[], &[], "z");
        let mut base = fixtures::base(vec![a, b, c], "xyz");
        base.periods.push(Period {
            id: "epidemic".into(),
            label: "疫情期间".into(),
            ends: day("2023-01-08"),
        });
        assert!(resolve(&mut base).is_empty());

        let text = status(&base, day("2022-12-20"));
        assert!(text.contains("  in_force       1\n"), "{text}");
        assert!(text.contains("  expiring       1\n"), "{text}");
        assert!(
            text.contains("expiring (1) as of 2022-12-20:\n  ends on 2023-01-08 (in 19 days, 疫情期间) (1):\n    a\n"),
            "{text}"
        );
        assert!(
            text.contains("replaced by 《新办法》 since 2020-02-21 (1):\n    b\n"),
            "{text}"
        );

        let later = ageing(&base, day("2024-01-01"));
        assert_eq!(
            later,
            "lapsed (1) as of 2024-01-01:\n  ended on 2023-01-08, 疫情期间 (1):\n    a\n"
        );
    }
}
