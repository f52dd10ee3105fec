//! The side-effect-free answer to one question, as `policybot ask --json` and `POST /api/v1/ask` print it.

use crate::faq::{Date, FaqBase, Status};
use crate::knowledge::{self, Knowledge};
use crate::matcher::{Decision, Matcher};
use crate::reply;
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
    pub candidates: Vec<CandidateView>,
    /// On the as-of day, the status (`in_force`, `expiring`, `upcoming`, `lapsed`, `superseded`) of the
    /// measure the reply is about: the answer, or the measure an escalation was made for because it is not
    /// in force. `null` otherwise.
    pub status: Option<Status>,
    /// For a message with two questions: what became of the other one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<OtherView>,
}

/// The other question of a two-question message: `answered` with its entry, or `escalated`.
#[derive(Debug, Clone, Serialize)]
pub struct OtherView {
    pub question: String,
    pub outcome: &'static str,
    pub faq_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CandidateView {
    pub faq_id: String,
    pub question: String,
    pub score: f32,
}

impl AskResult {
    /// The result of decision `d` with measures judged on day `on`.
    pub fn new(base: &FaqBase, question: &str, d: &Decision, on: Date) -> Self {
        let answered = d.outcome == crate::matcher::Outcome::Answered;
        AskResult {
            question: question.to_owned(),
            outcome: d.outcome.as_str(),
            faq_id: d
                .best()
                .filter(|_| answered)
                .map(|c| c.entry)
                .or(d.reference.map(|r| r.entry))
                .map(|i| base.entries[i].id.clone()),
            score: round3(d.best().map_or(0.0, |c| c.score)),
            reply: reply::render(base, d, None, on),
            candidates: candidates(base, d),
            status: knowledge::status_of(base, d, on),
            other: d.other.as_deref().map(|o| OtherView {
                question: o.normalized.clone(),
                outcome: o.outcome.as_str(),
                faq_id: o
                    .best()
                    .filter(|_| o.outcome == crate::matcher::Outcome::Answered)
                    .map(|c| base.entries[c.entry].id.clone()),
            }),
        }
    }
}

/// The decision's candidates as ids, standard questions and rounded scores.
pub fn candidates(base: &FaqBase, d: &Decision) -> Vec<CandidateView> {
    d.candidates
        .iter()
        .map(|c| CandidateView {
            faq_id: base.entries[c.entry].id.clone(),
            question: base.entries[c.entry].question.clone(),
            score: round3(c.score),
        })
        .collect()
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Answers one question without side effects, judging measures as `k` says.
pub fn ask(base: &FaqBase, matcher: &Matcher, k: Knowledge, question: &str) -> AskResult {
    let on = k.as_of.day();
    let d = knowledge::review(k, base, matcher.decide(question), on);
    AskResult::new(base, question, &d, on)
}
