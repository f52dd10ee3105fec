//! The matcher: a question in, one [`Decision`] out. Built once from the FAQ base; [`Matcher::decide`] is a
//! pure function (no I/O, no clock) so it can be tested, benchmarked and run in request handlers.
//!
//! Scoring, per entry, all in [0, 1]:
//! - `phrase`: the best IDF-weighted Dice overlap between the question and one phrasing (standard question or
//!   an alternate): how close the question is to a way people ask this;
//! - `cover`: the IDF-weighted share of the question's terms the entry knows (phrasings and keywords in full,
//!   answer words at half weight): unknown words make a question out of scope;
//! - `keyword`: keyword and regex hits.
//!
//! The weighted sum decides: confident and clearly ahead → answered; several close → clarify; otherwise
//! escalated. Small talk and specific-case questions are recognised before scoring.

mod analyze;
mod index;
pub mod intent;
pub mod normalize;

use crate::faq::FaqBase;
pub use analyze::Analyzer;
use index::{Index, TermId, prepare};
use serde::{Deserialize, Serialize};

/// Decision thresholds, from `[matcher]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Minimum score to answer.
    pub answer: f32,
    /// Minimum lead of the best entry over the runner-up to answer without asking.
    pub margin: f32,
    /// Minimum score for an entry to be offered as a numbered suggestion.
    pub clarify: f32,
    /// A lower score that still answers when the best entry is far ahead of the runner-up (by at least
    /// `lead_margin`): one entry clearly owns the question's words even if it is phrased unlike any
    /// alternate.
    pub lead_answer: f32,
    /// Lead over the runner-up needed to answer with a score between `lead_answer` and `answer`.
    pub lead_margin: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            answer: 0.50,
            margin: 0.04,
            clarify: 0.38,
            lead_answer: 0.38,
            lead_margin: 0.12,
        }
    }
}

/// What the bot does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Answered,
    Clarify,
    Escalated,
    Smalltalk,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Clarify => "clarify",
            Outcome::Escalated => "escalated",
            Outcome::Smalltalk => "smalltalk",
        }
    }
}

/// An entry and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Index into `FaqBase::entries`.
    pub entry: usize,
    pub score: f32,
}

/// The matcher's verdict on one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub outcome: Outcome,
    /// The normalised question (what officers see next to the raw text).
    pub normalized: String,
    /// Best candidates, best first (at most 3); for `Answered` the first is the answer.
    pub candidates: Vec<Candidate>,
    /// Why it was escalated, for officers and logs.
    pub reason: Option<&'static str>,
}

impl Decision {
    pub fn best(&self) -> Option<Candidate> {
        self.candidates.first().copied()
    }
}

/// The prepared FAQ index plus thresholds.
pub struct Matcher {
    index: Index,
    thresholds: Thresholds,
}

const W_PHRASE: f32 = 0.45;
const W_COVER: f32 = 0.35;
const W_KEYWORD: f32 = 0.20;

impl Matcher {
    /// Builds the index (segmenter, term weights, keyword automata). Call once at start-up.
    pub fn build(base: &FaqBase, thresholds: Thresholds) -> Self {
        Matcher {
            index: Index::build(base),
            thresholds,
        }
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Decides what to do with one question.
    pub fn decide(&self, question: &str) -> Decision {
        let normalized = normalize::normalize(question);
        if intent::is_smalltalk(&normalized) {
            return decision(Outcome::Smalltalk, normalized, vec![], None);
        }
        let prepared = prepare(&self.index.analyzer, question);
        let ranked = self.rank(&prepared);
        if intent::is_specific_case(&normalized) {
            return decision(
                Outcome::Escalated,
                normalized,
                ranked,
                Some("specific case"),
            );
        }
        let t = self.thresholds;
        let top = ranked.first().map_or(0.0, |c| c.score);
        let second = ranked.get(1).map_or(0.0, |c| c.score);
        let lead = top - second;
        let clear_lead = top >= t.lead_answer && lead >= t.lead_margin;
        if (top >= t.answer && lead >= t.margin) || clear_lead {
            return decision(Outcome::Answered, normalized, ranked, None);
        }
        if top >= t.clarify && second >= t.clarify {
            let close: Vec<Candidate> = ranked
                .into_iter()
                .filter(|c| c.score >= t.clarify)
                .collect();
            return decision(Outcome::Clarify, normalized, close, None);
        }
        let reason = if top >= t.answer {
            "ambiguous"
        } else {
            "no confident match"
        };
        decision(Outcome::Escalated, normalized, ranked, Some(reason))
    }

    /// Scores every entry that shares a term or keyword with the question; best three, best first.
    fn rank(&self, prepared: &str) -> Vec<Candidate> {
        let idx = &self.index;
        let words = idx.analyzer.terms(prepared);
        let query: Vec<(Option<TermId>, f32)> = words
            .iter()
            .map(|w| {
                let id = idx.terms.get(w).copied();
                (id, idx.weight(w, id))
            })
            .collect();
        let total: f32 = query.iter().map(|q| q.1).sum();
        // Dense question-term weights: scoring a phrasing is then a sum over its own terms.
        let mut qw = vec![0.0f32; idx.idf.len()];
        for (id, w) in &query {
            if let Some(id) = id {
                qw[*id as usize] = *w;
            }
        }
        let mut scored: Vec<Candidate> = idx
            .candidates(prepared, &query)
            .into_iter()
            .filter_map(|(i, kw)| {
                let score = score_entry(&idx.entries[i], &qw, total, kw);
                (score > 0.0).then_some(Candidate { entry: i, score })
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        scored.truncate(3);
        scored
    }
}

fn decision(
    outcome: Outcome,
    normalized: String,
    candidates: Vec<Candidate>,
    reason: Option<&'static str>,
) -> Decision {
    Decision {
        outcome,
        normalized,
        candidates,
        reason,
    }
}

/// The entry's score for a question given as dense term weights `qw` summing to `total`.
fn score_entry(e: &index::IndexedEntry, qw: &[f32], total: f32, keyword_hits: usize) -> f32 {
    let known = |set: &[TermId]| -> f32 { set.iter().map(|t| qw[*t as usize]).sum() };
    let in_vocab = known(&e.vocabulary);
    if in_vocab <= 0.0 && keyword_hits == 0 {
        return 0.0;
    }
    let phrase = e
        .phrasings
        .iter()
        .zip(&e.phrasing_weight)
        .map(|(p, pw)| 2.0 * known(p) / (total + pw).max(f32::EPSILON))
        .fold(0.0f32, f32::max);
    let cover = if total > 0.0 {
        ((in_vocab + 0.5 * known(&e.answer_only)) / total).min(1.0)
    } else {
        0.0
    };
    let keyword = if e.keyword_count == 0 {
        0.0
    } else {
        (keyword_hits as f32 / 2.0).min(1.0)
    };
    W_PHRASE * phrase + W_COVER * cover + W_KEYWORD * keyword
}
