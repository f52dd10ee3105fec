//! The figures of "what people ask" over the last days: questions per day by outcome (the bot's daily
//! counts), the share answered, escalations per day and the median time from a ticket to its answer
//! (from the tickets themselves).

use crate::server::daily::{Counts, beijing_day};
use crate::store::Ticket;
use serde::Serialize;

/// The outcomes drawn, in stacking order, with their Chinese names.
pub const OUTCOMES: [(&str, &str); 4] = [
    ("answered", "已答复"),
    ("clarify", "请其选择"),
    ("escalated", "转人工"),
    ("other", "其他"),
];

/// One day of the chart.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Counts in the order of [`OUTCOMES`].
    pub counts: [u64; 4],
    /// Tickets opened that day.
    pub escalations: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub days: Vec<Day>,
    pub questions: u64,
    /// Answered among the questions that were not small talk, in percent (none when there were none).
    pub answered_pct: Option<u64>,
    pub escalations: u64,
    /// Median minutes from a ticket's creation to its first answer, over the period's answered tickets.
    pub median_answer_minutes: Option<u64>,
    pub answered_tickets: usize,
}

/// The summary of the `n` days up to the day of `now_ms`.
pub fn summary(counts: &Counts, tickets: &[Ticket], now_ms: i64, n: u64) -> Summary {
    let day_ms = 86_400_000;
    let days: Vec<String> = (0..n as i64)
        .rev()
        .map(|i| beijing_day(now_ms - i * day_ms))
        .collect();
    let first = days.first().cloned().unwrap_or_default();
    let in_period: Vec<&Ticket> = tickets
        .iter()
        .filter(|t| beijing_day(t.created_ms) >= first)
        .collect();
    let days: Vec<Day> = days
        .into_iter()
        .map(|d| day(&d, counts, &in_period))
        .collect();
    let questions: u64 = days.iter().flat_map(|d| d.counts).sum();
    let smalltalk: u64 = days.iter().map(|d| smalltalk(counts, &d.day)).sum();
    let answered: u64 = days.iter().map(|d| d.counts[0]).sum();
    let asked = questions - smalltalk.min(questions);
    let mut waits: Vec<i64> = in_period.iter().filter_map(|t| answer_wait_ms(t)).collect();
    waits.sort_unstable();
    Summary {
        questions,
        answered_pct: (asked > 0).then(|| (answered * 100 + asked / 2) / asked),
        escalations: days.iter().map(|d| d.escalations).sum(),
        median_answer_minutes: median(&waits).map(|ms| (ms / 60_000) as u64),
        answered_tickets: waits.len(),
        days,
    }
}

fn day(d: &str, counts: &Counts, tickets: &[&Ticket]) -> Day {
    let of = counts.get(d);
    let get = |k: &str| of.and_then(|m| m.get(k)).copied().unwrap_or(0);
    let total: u64 = of.map_or(0, |m| m.values().sum());
    let known = get("answered") + get("clarify") + get("escalated");
    Day {
        day: d.to_owned(),
        counts: [
            get("answered"),
            get("clarify"),
            get("escalated"),
            total - known,
        ],
        escalations: tickets
            .iter()
            .filter(|t| beijing_day(t.created_ms) == d)
            .count() as u64,
    }
}

fn smalltalk(counts: &Counts, d: &str) -> u64 {
    counts
        .get(d)
        .and_then(|m| m.get("smalltalk"))
        .copied()
        .unwrap_or(0)
}

/// From creation to the first "answered" event of the ticket's history.
fn answer_wait_ms(t: &Ticket) -> Option<i64> {
    let answered = t.history.iter().find(|e| e.action == "answered")?;
    Some((answered.at_ms - t.created_ms).max(0))
}

fn median(sorted: &[i64]) -> Option<i64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[1, 3, 10]), Some(3));
        assert_eq!(median(&[1, 3, 5, 10]), Some(4));
    }

    #[test]
    fn the_share_answered_leaves_small_talk_out() {
        let now = 1_585_670_400_000; // 2020-04-01 00:00 Beijing
        let mut counts = Counts::new();
        let day = counts.entry("2020-04-01".into()).or_default();
        day.insert("answered".into(), 3);
        day.insert("escalated".into(), 1);
        day.insert("smalltalk".into(), 4);
        let s = summary(&counts, &[], now, 7);
        assert_eq!(s.days.len(), 7);
        assert_eq!(s.days[6].day, "2020-04-01");
        assert_eq!(s.days[6].counts, [3, 0, 1, 4]);
        assert_eq!(s.questions, 8);
        assert_eq!(s.answered_pct, Some(75));
        assert_eq!(s.median_answer_minutes, None);
    }
}
