//! The side-effect-free answer to one question, as `policybot ask --json` and `POST /api/v1/ask` print it.

use crate::faq::{Date, Status};
use crate::knowledge::{self, Knowledge};
use crate::matcher::{Decision, Guess, Home, Outcome};
use crate::reply;
use crate::snapshot::Snapshot;
use serde::Serialize;

/// One line of `ask --json`.
#[derive(Debug, Clone, Serialize)]
pub struct AskResult {
    pub question: String,
    pub outcome: &'static str,
    /// The answering entry, or for an escalation with a reference the entry quoted 供参考; else `null`.
    pub faq_id: Option<String>,
    /// Score of the best candidate (0 when there is none).
    pub score: f32,
    pub reply: String,
    pub candidates: Vec<Guess>,
    /// Why the matcher decided so, when it says (e.g. `no confident match`, `specific case`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// On the as-of day, the status (`in_force`, `expiring`, `upcoming`, `lapsed`, `superseded`) of the
    /// measure the reply is about: the answer, or the measure an escalation was made for because it is not
    /// in force. `null` otherwise.
    pub status: Option<Status>,
    /// For a message with two questions: what became of the other one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<OtherView>,
    /// The place (its name in `places.toml`) whose group the question was decided as, when one was
    /// given (`ask --place`, `{"place"}`); absent for a province-wide group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
}

/// The other question of a two-question message: `answered` with its entry, or `escalated`.
#[derive(Debug, Clone, Serialize)]
pub struct OtherView {
    pub question: String,
    pub outcome: &'static str,
    pub faq_id: Option<String>,
}

impl AskResult {
    /// The result of decision `d` (made by `kb`) with measures judged on day `on`.
    pub fn new(kb: &Snapshot, question: &str, d: &Decision, on: Date) -> Self {
        let answered = d.outcome == Outcome::Answered;
        AskResult {
            question: question.to_owned(),
            outcome: d.outcome.as_str(),
            faq_id: d
                .best()
                .filter(|_| answered)
                .map(|c| &c.id)
                .or(d.reference.as_ref().map(|r| &r.id))
                .map(ToString::to_string),
            score: round3(d.best().map_or(0.0, |c| c.score)),
            reply: reply::render(kb, d, None, on),
            candidates: candidates(kb, d),
            reason: d.reason,
            status: knowledge::status_of(kb, d, on),
            other: d.other.as_deref().map(|o| OtherView {
                question: o.normalized.clone(),
                outcome: o.outcome.as_str(),
                faq_id: o
                    .best()
                    .filter(|_| o.outcome == Outcome::Answered)
                    .map(|c| c.id.to_string()),
            }),
            place: None,
        }
    }
}

/// The decision's candidates as ids, standard questions and rounded scores.
pub fn candidates(kb: &Snapshot, d: &Decision) -> Vec<Guess> {
    d.candidates
        .iter()
        .filter_map(|c| {
            Some(Guess {
                faq_id: c.id.to_string(),
                question: kb.entry(c.id.as_str())?.question.clone(),
                score: round3(c.score),
            })
        })
        .collect()
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Answers one question from snapshot `kb` without side effects, judging measures as `k` says.
pub fn ask(kb: &Snapshot, k: Knowledge, question: &str) -> AskResult {
    ask_in(kb, k, question, None)
}

/// [`ask`] as in a group configured as `home`'s (see [`Snapshot::home`]).
pub fn ask_in(kb: &Snapshot, k: Knowledge, question: &str, home: Option<Home>) -> AskResult {
    let on = k.as_of.day();
    let d = knowledge::review(k, kb, kb.decide_in(question, home), on);
    AskResult {
        place: home.map(|h| kb.place_name(h).to_owned()),
        ..AskResult::new(kb, question, &d, on)
    }
}
