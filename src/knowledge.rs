//! `[knowledge]` of the config: the day that decides what is in force (`as_of`, default today) and what the
//! bot does when the best answer to a question is a measure not in force that day (`lapsed`): answer with
//! a notice, or escalate with the measure as a reference. [`review`] applies that to a matcher decision.

use crate::faq::{Date, Status};
use crate::matcher::{Decision, Outcome};
use crate::snapshot::Snapshot;
use serde::Deserialize;

/// The escalation reason of a question whose answer is not in force (under `lapsed = "escalate"`).
pub const NOT_IN_FORCE: &str = "answer not in force";

#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Knowledge {
    pub as_of: AsOf,
    pub lapsed: Lapsed,
}

/// The day the status of measures is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum AsOf {
    /// The current day in China Standard Time, read when asked.
    #[default]
    Today,
    Day(Date),
}

impl AsOf {
    pub fn day(self) -> Date {
        match self {
            AsOf::Today => Date::today_in_china(),
            AsOf::Day(d) => d,
        }
    }
}

impl TryFrom<String> for AsOf {
    type Error = String;
    fn try_from(s: String) -> Result<AsOf, String> {
        match s.as_str() {
            "today" => Ok(AsOf::Today),
            _ => Date::parse(&s).map(AsOf::Day).ok_or_else(|| {
                format!("knowledge.as_of: `{s}` is neither \"today\" nor YYYY-MM-DD")
            }),
        }
    }
}

/// What to do with an answer that is not in force (lapsed, superseded or not yet in effect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lapsed {
    /// Answer, opening with a plain statement of the status, quoting the measure as history.
    #[default]
    AnswerWithNotice,
    /// Hand the question to the officers, with the measure among the bot's guesses.
    Escalate,
}

/// The status, on `on`, of the entry a decision is about (its best candidate), if it answers or was
/// escalated for not being in force. `kb` is the snapshot that made the decision.
pub fn status_of(kb: &Snapshot, d: &Decision, on: Date) -> Option<Status> {
    let about = d.outcome == Outcome::Answered || d.reason == Some(NOT_IN_FORCE);
    d.best()
        .filter(|_| about)
        .and_then(|c| kb.entry(c.id.as_str()))
        .map(|e| e.timeline.status(on))
}

/// `d`, escalated instead when it answers with a measure not in force on `on` and `k` says so.
pub fn review(k: Knowledge, kb: &Snapshot, d: Decision, on: Date) -> Decision {
    let lapsed = status_of(kb, &d, on).is_some_and(|s| !s.in_force());
    if k.lapsed == Lapsed::Escalate && lapsed {
        return Decision {
            outcome: Outcome::Escalated,
            reason: Some(NOT_IN_FORCE),
            ..d
        };
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::{fixtures, validity::End};
    use crate::matcher::{Candidate, Thresholds};

    fn lapsed_base() -> Snapshot {
        let mut e = fixtures::entry("a", "q", &[], &[], "x");
        e.timeline.end = Some(End {
            on: Date::parse("2023-01-08").unwrap(),
            period: None,
        });
        Snapshot::build(fixtures::base(vec![e], "x"), Thresholds::default())
    }

    fn answered() -> Decision {
        Decision {
            outcome: Outcome::Answered,
            normalized: "q".into(),
            candidates: vec![Candidate {
                id: "a".into(),
                score: 0.9,
            }],
            reason: None,
            reference: None,
            other: None,
            home: None,
        }
    }

    #[test]
    fn as_of_is_today_or_a_date() {
        assert_eq!(AsOf::try_from("today".to_owned()), Ok(AsOf::Today));
        let d = AsOf::try_from("2020-03-01".to_owned()).unwrap();
        assert_eq!(d.day().to_string(), "2020-03-01");
        assert!(AsOf::try_from("2020-02-30".to_owned()).is_err());
    }

    #[test]
    fn escalate_turns_only_answers_not_in_force_into_escalations() {
        let (b, before, after) = (
            lapsed_base(),
            Date::parse("2022-01-01").unwrap(),
            Date::parse("2023-01-08").unwrap(),
        );
        let esc = Knowledge {
            lapsed: Lapsed::Escalate,
            ..Knowledge::default()
        };
        assert_eq!(review(esc, &b, answered(), before), answered());
        let d = review(esc, &b, answered(), after);
        assert_eq!(
            (d.outcome, d.reason),
            (Outcome::Escalated, Some(NOT_IN_FORCE))
        );
        assert_eq!(status_of(&b, &d, after), Some(Status::Lapsed));
        assert_eq!(
            review(Knowledge::default(), &b, answered(), after),
            answered()
        );
    }
}
