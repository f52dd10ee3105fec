//! When a measure is in force. At load every entry gets a [`Timeline`] from its own date fields, else its
//! source's header, else the document's date, and the shared periods of `faq/periods.toml`; on any day the
//! timeline gives a [`Status`] with a few comparisons, so a running bot moves on at midnight by itself.
//!
//! Problems (a document date that is not a date, an unknown period, an end before the start, a
//! `superseded_by` naming nothing, a loop of replacements) refuse the load and are all listed.

use super::date::Date;
use super::problem::Problem;
use super::{Entry, FaqBase, Source};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Days before its end during which a measure in force is reported as expiring.
pub const EXPIRING_DAYS: i32 = 30;

/// The date fields an entry or a source header may carry; an entry's own win over its source's.
#[derive(Debug, Clone, Default)]
pub struct Terms {
    /// First day in force; default: the document's date.
    pub effective: Option<Date>,
    /// First day no longer in force.
    pub expires: Option<Date>,
    /// Id of a shared period (`faq/periods.toml`) whose end is this measure's end.
    pub period: Option<String>,
    /// The entry id or document title that replaced this measure.
    pub superseded_by: Option<String>,
}

/// A named stretch of time that temporary measures share, e.g. the epidemic period.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub id: String,
    /// How the notice names it: 疫情期间 → 该措施为疫情期间的阶段性措施.
    pub label: String,
    /// First day the period's measures no longer apply.
    pub ends: Date,
}

/// An entry's life: when it takes effect, ends, or is replaced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// `None`: in force since ever (only in-code test bases lack a date).
    pub effective: Option<Date>,
    pub end: Option<End>,
    pub superseded: Option<Supersession>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct End {
    /// First day no longer in force.
    pub on: Date,
    /// Label of the shared period that ended, if the end is a period's.
    pub period: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Supersession {
    /// First day the replacement applies; `None`: already replaced whenever this one is in effect.
    pub from: Option<Date>,
    /// Title of the replacing document, without 《》.
    pub title: String,
    /// Standard question of the replacing entry, when the replacement is an entry.
    pub question: Option<String>,
}

/// Where a measure stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InForce,
    /// In force, but ends or is replaced within [`EXPIRING_DAYS`].
    Expiring,
    /// Takes effect later.
    Upcoming,
    Lapsed,
    Superseded,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::InForce,
        Status::Expiring,
        Status::Upcoming,
        Status::Lapsed,
        Status::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::InForce => "in_force",
            Status::Expiring => "expiring",
            Status::Upcoming => "upcoming",
            Status::Lapsed => "lapsed",
            Status::Superseded => "superseded",
        }
    }

    /// In force (possibly expiring soon).
    pub fn in_force(self) -> bool {
        matches!(self, Status::InForce | Status::Expiring)
    }
}

impl Timeline {
    /// The status on day `on`.
    pub fn status(&self, on: Date) -> Status {
        if self.effective.is_some_and(|e| on < e) {
            return Status::Upcoming;
        }
        let replaced_from = self.superseded.as_ref().map(|s| s.from);
        if replaced_from.is_some_and(|from| from.is_none_or(|f| f <= on)) {
            return Status::Superseded;
        }
        let ends = self.end.as_ref().map(|e| e.on);
        match ends.into_iter().chain(replaced_from.flatten()).min() {
            Some(d) if d <= on => Status::Lapsed,
            Some(d) if on.days_until(d) <= EXPIRING_DAYS => Status::Expiring,
            _ => Status::InForce,
        }
    }
}

/// How many entries have each status on day `on`, in [`Status::ALL`] order.
pub fn counts(base: &FaqBase, on: Date) -> [(Status, usize); 5] {
    Status::ALL.map(|s| {
        let n = base
            .entries
            .iter()
            .filter(|e| e.timeline.status(on) == s)
            .count();
        (s, n)
    })
}

/// An entry's own date fields.
fn own_terms(e: &Entry) -> Terms {
    Terms {
        effective: e.effective,
        expires: e.expires,
        period: e.period.clone(),
        superseded_by: e.superseded_by.clone(),
    }
}

/// Sets every entry's timeline; returns the problems found (any problem means the base is unfit).
pub fn resolve(base: &mut FaqBase) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut timelines = Vec::with_capacity(base.entries.len());
    for e in &base.entries {
        let src = &base.sources[&e.source];
        let span = span(e, src, &base.periods).unwrap_or_else(|m| {
            problems.push(problem(e, m));
            Timeline::default()
        });
        timelines.push(span);
    }
    let effective: HashMap<&str, Option<Date>> = base
        .entries
        .iter()
        .zip(&timelines)
        .map(|(e, t)| (e.id.as_str(), t.effective))
        .collect();
    let mut superseded = Vec::with_capacity(base.entries.len());
    for (e, t) in base.entries.iter().zip(&timelines) {
        let by = e
            .superseded_by
            .as_deref()
            .or(base.sources[&e.source].terms.superseded_by.as_deref());
        let s = by.map(|by| replacement(base, &effective, e, t, by));
        superseded.push(s.transpose().unwrap_or_else(|m| {
            problems.push(problem(e, m));
            None
        }));
    }
    problems.extend(replacement_loops(base));
    for ((e, mut t), s) in base.entries.iter_mut().zip(timelines).zip(superseded) {
        t.superseded = s;
        e.timeline = t;
    }
    problems
}

fn problem(e: &super::Entry, message: String) -> Problem {
    Problem::entry(e, message)
}

/// Effective date and end of an entry, from its own fields, else its source's.
fn span(e: &Entry, src: &Source, periods: &[Period]) -> Result<Timeline, String> {
    let own = own_terms(e);
    let document_date = Date::parse_document_date(&e.date).ok_or_else(|| bad_date(&e.date))?;
    let effective = own
        .effective
        .or(src.terms.effective)
        .unwrap_or(document_date);
    let end = match end_of(&own, periods)? {
        Some(end) => Some(end),
        None => end_of(&src.terms, periods).map_err(|m| format!("source `{}`: {m}", src.slug))?,
    };
    if let Some(end) = end.as_ref().filter(|end| end.on <= effective) {
        return Err(format!(
            "ends on {} but takes effect only on {effective}",
            end.on
        ));
    }
    Ok(Timeline {
        effective: Some(effective),
        end,
        superseded: None,
    })
}

/// Why `date` is not a document date: a placeholder a draft left, or a date written wrongly.
fn bad_date(date: &str) -> String {
    if super::ready::is_placeholder_date(date) {
        format!(
            "`date` is still the placeholder `{date}`: write the document's issue date (YYYY-MM-DD, or \
             YYYY-MM when only the month is known)"
        )
    } else {
        format!("`date` `{date}` is not a date (YYYY-MM-DD or YYYY-MM)")
    }
}

/// The end named by one level's `expires` or `period` (not both).
fn end_of(t: &Terms, periods: &[Period]) -> Result<Option<End>, String> {
    match (t.expires, t.period.as_deref()) {
        (Some(_), Some(_)) => Err("give `expires` or `period`, not both".into()),
        (Some(on), None) => Ok(Some(End { on, period: None })),
        (None, Some(id)) => {
            let p = periods
                .iter()
                .find(|p| p.id == id)
                .ok_or_else(|| format!("period `{id}` is not defined in periods.toml"))?;
            Ok(Some(End {
                on: p.ends,
                period: Some(p.label.clone()),
            }))
        }
        (None, None) => Ok(None),
    }
}

/// Looks like an entry id rather than a document title.
fn is_id_like(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// What `superseded_by = by` names: an entry (replaced from its effective date), a source of the base by
/// title (from that document's date), or another document (from this entry's end, else always).
fn replacement(
    base: &FaqBase,
    effective: &HashMap<&str, Option<Date>>,
    e: &Entry,
    t: &Timeline,
    by: &str,
) -> Result<Supersession, String> {
    if by == e.id {
        return Err("`superseded_by` names the entry itself".into());
    }
    if let Some(r) = base.entry(by) {
        return Ok(Supersession {
            from: effective[by],
            title: base.sources[&r.source].title.clone(),
            question: Some(r.question.clone()),
        });
    }
    if is_id_like(by) {
        return Err(format!(
            "`superseded_by` `{by}` is no entry id (nor a document title)"
        ));
    }
    let title = by.trim().trim_start_matches('《').trim_end_matches('》');
    let from = match base.sources.values().find(|s| s.title == title) {
        Some(s) => s.terms.effective.or(Date::parse_document_date(&s.date)),
        None => t.end.as_ref().map(|end| end.on).or(t.effective),
    };
    Ok(Supersession {
        from,
        title: title.to_owned(),
        question: None,
    })
}

/// Entries whose chain of `superseded_by` entry ids comes back to them (a self-link is reported apart).
fn replacement_loops(base: &FaqBase) -> Vec<Problem> {
    let next = |id: &str| {
        base.entry(id)
            .and_then(|e| e.superseded_by.as_deref())
            .filter(|by| *by != id && base.entry(by).is_some())
    };
    let mut out = Vec::new();
    for e in &base.entries {
        let mut at = next(&e.id);
        for _ in 0..base.entries.len() {
            match at {
                Some(id) if id == e.id => {
                    out.push(problem(e, "`superseded_by` links form a loop".into()));
                    break;
                }
                Some(id) => at = next(id),
                None => break,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::fixtures;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn epidemic() -> Period {
        Period {
            id: "epidemic".into(),
            label: "疫情期间".into(),
            ends: day("2023-01-08"),
        }
    }

    /// Entries `a` and `b` citing source `s` (dated 2020-02-21), with the epidemic period defined.
    fn base_with(edit: impl FnOnce(&mut Entry, &mut Entry)) -> FaqBase {
        let mut a = fixtures::entry("a", "qa", &[], &[], "x");
        let mut b = fixtures::entry("b", "qb", &[], &[], "y");
        edit(&mut a, &mut b);
        let mut base = fixtures::base(vec![a, b], "xy");
        base.periods.push(epidemic());
        base
    }

    fn messages(base: &mut FaqBase) -> Vec<String> {
        resolve(base).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_period_measure_is_in_force_then_expiring_then_lapsed() {
        let mut b = base_with(|a, _| a.period = Some("epidemic".into()));
        assert!(resolve(&mut b).is_empty());
        let t = &b.entries[0].timeline;
        assert_eq!(t.status(day("2020-02-20")), Status::Upcoming);
        assert_eq!(t.status(day("2020-03-01")), Status::InForce);
        assert_eq!(t.status(day("2022-12-09")), Status::Expiring);
        assert_eq!(t.status(day("2023-01-08")), Status::Lapsed);
        assert_eq!(
            b.entries[1].timeline.status(day("2030-01-01")),
            Status::InForce
        );
    }

    #[test]
    fn an_entry_replaced_by_another_is_superseded_from_the_replacements_start() {
        let mut b = base_with(|a, b| {
            a.superseded_by = Some("b".into());
            b.effective = Some(day("2021-06-01"));
        });
        assert!(resolve(&mut b).is_empty());
        let t = &b.entries[0].timeline;
        assert_eq!(t.status(day("2021-05-31")), Status::Expiring);
        assert_eq!(t.status(day("2021-06-01")), Status::Superseded);
        let s = t.superseded.as_ref().unwrap();
        assert_eq!((s.title.as_str(), s.question.as_deref()), ("T", Some("qb")));
    }

    #[test]
    fn a_replacement_by_an_outside_document_counts_from_the_expiry_if_given() {
        let mut b = base_with(|a, b| {
            a.superseded_by = Some("《新办法》".into());
            b.superseded_by = Some("新办法".into());
            b.expires = Some(day("2022-01-01"));
        });
        assert!(resolve(&mut b).is_empty());
        assert_eq!(
            b.entries[0].timeline.status(day("2020-03-01")),
            Status::Superseded
        );
        assert_eq!(
            b.entries[1].timeline.status(day("2021-12-31")),
            Status::Expiring
        );
        assert_eq!(
            b.entries[1].timeline.status(day("2022-01-01")),
            Status::Superseded
        );
        assert_eq!(
            b.entries[0].timeline.superseded.as_ref().unwrap().title,
            "新办法"
        );
    }

    #[test]
    fn dangling_and_self_references_are_reported() {
        let mut b = base_with(|a, b| {
            a.superseded_by = Some("no-such-entry".into());
            b.superseded_by = Some("b".into());
        });
        assert_eq!(
            messages(&mut b),
            vec![
                "e.toml:1: entry `a`: `superseded_by` `no-such-entry` is no entry id (nor a document title)",
                "e.toml:1: entry `b`: `superseded_by` names the entry itself",
            ]
        );
    }

    #[test]
    fn a_loop_of_replacements_is_reported() {
        let mut b = base_with(|a, b| {
            a.superseded_by = Some("b".into());
            b.superseded_by = Some("a".into());
        });
        let m = messages(&mut b);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m.iter().all(|m| m.ends_with("links form a loop")), "{m:?}");
    }

    #[test]
    fn bad_dates_unknown_periods_and_inverted_spans_are_reported() {
        let mut b = base_with(|a, b| {
            a.date = "2020-02-30".into();
            b.period = Some("flood".into());
        });
        assert_eq!(
            messages(&mut b),
            vec![
                "e.toml:1: entry `a`: `date` `2020-02-30` is not a date (YYYY-MM-DD or YYYY-MM)",
                "e.toml:1: entry `b`: period `flood` is not defined in periods.toml",
            ]
        );
        let mut b = base_with(|a, b| {
            a.expires = Some(day("2020-01-01"));
            b.expires = Some(day("2021-01-01"));
            b.period = Some("epidemic".into());
        });
        assert_eq!(
            messages(&mut b),
            vec![
                "e.toml:1: entry `a`: ends on 2020-01-01 but takes effect only on 2020-02-21",
                "e.toml:1: entry `b`: give `expires` or `period`, not both",
            ]
        );
    }

    #[test]
    fn a_draft_placeholder_date_says_what_to_write() {
        let mut b = base_with(|a, _| a.date = "YYYY-MM-DD".into());
        assert_eq!(
            messages(&mut b),
            vec![
                "e.toml:1: entry `a`: `date` is still the placeholder `YYYY-MM-DD`: write the document's \
                 issue date (YYYY-MM-DD, or YYYY-MM when only the month is known)"
            ]
        );
    }

    #[test]
    fn entries_inherit_their_sources_terms_and_their_own_win() {
        let mut b = base_with(|_, b| b.expires = Some(day("2021-01-01")));
        b.sources.get_mut("s").unwrap().terms.period = Some("epidemic".into());
        assert!(resolve(&mut b).is_empty());
        let ends: Vec<_> = b
            .entries
            .iter()
            .map(|e| e.timeline.end.clone().unwrap())
            .collect();
        assert_eq!(ends[0].on, day("2023-01-08"));
        assert_eq!(ends[0].period.as_deref(), Some("疫情期间"));
        assert_eq!(
            (ends[1].on, ends[1].period.as_deref()),
            (day("2021-01-01"), None)
        );
    }
}
