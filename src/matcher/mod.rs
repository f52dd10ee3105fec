//! The matcher: a question in, one [`Decision`] out. Built once from the FAQ base; [`Matcher::decide`] is a
//! pure function (no I/O, no clock) so it can be tested, benchmarked and run in request handlers.
//!
//! Scoring, per entry, all in [0, 1]:
//! - `phrase`: the best IDF-weighted Dice overlap between the question and one phrasing (standard question or
//!   an alternate): how close the question is to a way people ask this;
//! - `cover`: the IDF-weighted share of the question's terms the entry knows (phrasings and keywords in full,
//!   answer words at half weight): unknown words make a question out of scope, except for the share an
//!   everyday word earns as a general-vocabulary synonym of a word the base uses ([`thesaurus`]);
//! - `keyword`: keyword and regex hits.
//!
//! The weighted sum decides: confident and clearly ahead → answered; several close → clarify; otherwise
//! escalated. Small talk, stray numbers and command words (small talk: never an answer, never a ticket)
//! and specific-case questions are recognised before scoring; a bare topic ("环评", "危废证？") is never
//! answered, only offered as suggestions. The scope guard
//! ([`scope`]) removes entries that do not cover an object or place the question names, and the city report
//! or provincial measure that does not stand; a question asking for a detail the best quote does not state
//! ([`detail`]) is escalated with that quote attached for reference.

mod analyze;
mod asker;
pub mod detail;
mod home;
mod index;
pub mod intent;
mod scope;
mod score;
mod sound;
mod split;
mod thesaurus;

use crate::faq::{EntryId, FaqBase};
pub use analyze::Analyzer;
pub use home::Home;
use index::{Index, prepare_normalized};
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
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: EntryId,
    pub score: f32,
}

/// A candidate as people see it: the entry's id and standard question, and its score. The one shape
/// for officers (kept with an escalated ticket as a head start) and for `ask --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guess {
    pub faq_id: String,
    pub question: String,
    pub score: f32,
}

/// An entry (its position in the base the matcher was built from) and its score, while ranking.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    entry: usize,
    score: f32,
}

/// The matcher's verdict on one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub outcome: Outcome,
    /// The normalised question (what officers see next to the raw text).
    pub normalized: String,
    /// Best candidates, best first (at most 3); for `Answered` the first is the answer.
    pub candidates: Vec<Candidate>,
    /// Why it was escalated, or not answered ([`NOT_A_QUESTION`], [`BARE_TOPIC`]), for officers and logs.
    pub reason: Option<&'static str>,
    /// For an escalation about a measure that does not state what was asked: that measure, quoted for
    /// reference (供参考), and what an officer will confirm.
    pub reference: Option<Reference>,
    /// For a message asking two questions: the decision on the other one (never itself split). The
    /// outcome above is then `Answered`, and this one is answered with another entry or escalated.
    pub other: Option<Box<Decision>>,
    /// The place of the group the message came from, when it is configured as one place's.
    pub home: Option<Home>,
}

/// The reason of the small talk outcome for a stray number, ordinal or command word.
pub const NOT_A_QUESTION: &str = "not a question";

/// The reason of the small talk outcome for thanks and acknowledgements ("谢谢", "收到"): a short reply.
pub const THANKS: &str = "thanks";

/// The reason of the clarify (or escalated) outcome for a one-word message: a topic, nothing asked.
pub const BARE_TOPIC: &str = "a topic alone";

/// The reason of the escalated outcome for a message longer than [`MAX_MATCHED_CHARS`].
pub const TOO_LONG: &str = "too long to match";

/// Longest message matched, in characters after normalisation. A longer one (a forwarded notice, a pasted
/// document) is not a question one quote answers, and matching costs in proportion to its length (0.35 s
/// of CPU for 20,000 characters): it goes to the officers whole. The labelled questions are at most 50
/// characters long.
pub const MAX_MATCHED_CHARS: usize = 1000;

/// A measure quoted for reference with an escalation.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub id: EntryId,
    pub detail: detail::Detail,
}

impl Decision {
    pub fn best(&self) -> Option<&Candidate> {
        self.candidates.first()
    }
}

/// The prepared FAQ index plus thresholds.
pub struct Matcher {
    index: Index,
    scope: scope::Scope,
    sound: sound::Sound,
    thesaurus: thesaurus::Thesaurus,
    /// Each entry's answer, normalised, to see whether it states an asked detail.
    quotes: Vec<String>,
    /// Each entry's id: what a decision names.
    ids: Vec<EntryId>,
    /// Per entry: its measure is limited to a place, a kind of firm or project, or a setting
    /// (`applies_to`), so whether it holds for others is an officer's question ([`detail::Detail::Beyond`]).
    limited: Vec<bool>,
    /// Per entry: the kind of firm or setting it is written for, to tell a question from someone else.
    limits: Vec<asker::Limit>,
    /// Per entry: the entries whose (different) quote its own quote contains ([`Matcher::merge_nested`]).
    nested: Vec<Vec<usize>>,
    thresholds: Thresholds,
}

impl Matcher {
    /// Builds the index (segmenter, term weights, keyword automata). Call once at start-up.
    pub fn build(base: &FaqBase, thresholds: Thresholds) -> Self {
        let index = Index::build(base);
        Matcher {
            scope: scope::Scope::build(base, &index.analyzer),
            sound: sound::Sound::build(domain_vocabulary(base)),
            thesaurus: thesaurus::Thesaurus::build(base, &index.terms),
            quotes: base
                .entries
                .iter()
                .map(|e| crate::text::normalize(&e.answer))
                .collect(),
            ids: base.entries.iter().map(|e| e.id.as_str().into()).collect(),
            limited: base.entries.iter().map(limited).collect(),
            limits: base.entries.iter().map(asker::Limit::of).collect(),
            nested: nested_quotes(base),
            index,
            thresholds,
        }
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// True when one entry is a city's report of the other's provincial measure: the same rule. `a` and
    /// `b` are positions in the base the matcher was built from.
    pub(crate) fn same_rule(&self, a: usize, b: usize) -> bool {
        self.scope.linked(a, b)
    }

    /// Decides what to do with one message. A message asking two questions is answered for the one the
    /// base answers, with the other answered too or escalated (see [`Decision::other`]).
    pub fn decide(&self, question: &str) -> Decision {
        self.decide_in(question, None)
    }

    /// [`Matcher::decide`] for a message from a group configured as `home`'s (see [`Home`]): a question
    /// naming no place is decided as if it named `home`.
    pub fn decide_in(&self, question: &str, home: Option<Home>) -> Decision {
        Decision {
            home,
            ..self.decide_message(question, home)
        }
    }

    /// True when the measure of the entry at `entry` (its position in the base the matcher was built
    /// from) applies in the place `home`: it is that place's, a place's containing it, or not local.
    pub fn applies_at(&self, entry: usize, home: Home) -> bool {
        self.scope.applies_to(entry, home.index() as u16)
    }

    fn decide_message(&self, question: &str, home: Option<Home>) -> Decision {
        let normalized = crate::text::normalize(question);
        if normalized.chars().count() > MAX_MATCHED_CHARS {
            return self.decision(Outcome::Escalated, normalized, vec![], Some(TOO_LONG));
        }
        if intent::is_smalltalk(&normalized) {
            let reason = intent::is_thanks(&normalized).then_some(THANKS);
            return self.decision(Outcome::Smalltalk, normalized, vec![], reason);
        }
        if intent::is_stray(&normalized) {
            return self.decision(Outcome::Smalltalk, normalized, vec![], Some(NOT_A_QUESTION));
        }
        let parts = split::questions(&normalized);
        if parts.len() > 1
            && let Some(d) = self.decide_parts(&parts, home)
        {
            return d;
        }
        self.decide_one(normalized, home)
    }

    /// The first answered question of a message, with the first other question that is not answered by
    /// the same entry; `None` when no question alone is answered.
    fn decide_parts(&self, parts: &[String], home: Option<Home>) -> Option<Decision> {
        let mut decided: Vec<Decision> = parts
            .iter()
            .filter(|p| !intent::is_smalltalk(p))
            .map(|p| self.decide_one(p.clone(), home))
            .collect();
        let first = decided
            .iter()
            .position(|d| d.outcome == Outcome::Answered)?;
        let mut main = decided.remove(first);
        let entry = main.best().map(|c| c.id.clone());
        let other = decided.into_iter().find(|d| {
            !(d.outcome == Outcome::Answered && d.best().map(|c| &c.id) == entry.as_ref())
        })?;
        main.other = Some(Box::new(match other.outcome {
            Outcome::Answered | Outcome::Escalated => other,
            _ => Decision {
                outcome: Outcome::Escalated,
                reason: Some("second question of a message"),
                ..other
            },
        }));
        Some(main)
    }

    /// Decides what to do with one (normalised) question.
    fn decide_one(&self, normalized: String, home: Option<Home>) -> Decision {
        let analyzer = &self.index.analyzer;
        let heard = self.sound.correct(&normalized, |w| analyzer.is_word(w));
        let prepared = prepare_normalized(analyzer, &heard);
        let named = self.scope.named(&prepared);
        let home::Ranking {
            ranked,
            blocked,
            elsewhere,
        } = self.rank_in(&prepared, &named, home);
        let ranked = self.merge_nested(ranked);
        if intent::is_specific_case(&self.without_quoted_documents(&normalized)) {
            return self.decision(
                Outcome::Escalated,
                normalized,
                ranked,
                Some("specific case"),
            );
        }
        let t = self.thresholds;
        let top = ranked.first().map_or(0.0, |c| c.score);
        let second = ranked.get(1).map_or(0.0, |c| c.score);
        if let Some(e) = elsewhere.filter(|_| !self.is_bare_topic(&prepared)) {
            return self.referred_elsewhere(normalized, ranked, e);
        }
        if let Some(r) = self.reference(&normalized, &ranked) {
            let mut d = self.decision(
                Outcome::Escalated,
                normalized,
                ranked,
                Some("asks for a detail the measure does not state"),
            );
            d.reference = Some(r);
            return d;
        }
        if self.is_bare_topic(&prepared) {
            return self.suggest(normalized, ranked);
        }
        let lead = top - second;
        let clear_lead = top >= t.lead_answer && lead >= t.lead_margin;
        if (top >= t.answer && lead >= t.margin) || clear_lead {
            return self.decision(Outcome::Answered, normalized, ranked, None);
        }
        if top >= t.clarify && second >= t.clarify {
            let close: Vec<Ranked> = ranked
                .into_iter()
                .filter(|c| c.score >= t.clarify)
                .collect();
            return self.decision(Outcome::Clarify, normalized, close, None);
        }
        let reason = if blocked {
            "names something the matching entries do not cover"
        } else if top >= t.answer {
            "ambiguous"
        } else {
            "no confident match"
        };
        self.decision(Outcome::Escalated, normalized, ranked, Some(reason))
    }

    /// The question without the document numbers the base's quotes name (〔2020〕14号): asking what a
    /// published document says is no look-up of one's own case, as a case or file number would be.
    fn without_quoted_documents<'a>(&self, normalized: &'a str) -> std::borrow::Cow<'a, str> {
        let mut text = std::borrow::Cow::Borrowed(normalized);
        for (number, key) in intent::document_numbers(normalized) {
            let quoted = |q: &String| intent::document_numbers(q).any(|(_, k)| k == key);
            if self.quotes.iter().any(quoted) {
                text = text.replace(number, "").into();
            }
        }
        text
    }

    /// When the best two candidates are close and one's quote contains the other's (an entry quoting a
    /// passage, another quoting one sentence of it), they are one answer, not a choice: the one quoting
    /// the whole passage stands for both, with the better score.
    fn merge_nested(&self, mut ranked: Vec<Ranked>) -> Vec<Ranked> {
        if let [a, b, ..] = ranked[..]
            && a.score - b.score < self.thresholds.lead_margin
        {
            let whole = if self.nested[a.entry].contains(&b.entry) {
                Some(a.entry)
            } else {
                self.nested[b.entry].contains(&a.entry).then_some(b.entry)
            };
            if let Some(entry) = whole {
                ranked[0] = Ranked {
                    entry,
                    score: a.score,
                };
                ranked.remove(1);
            }
        }
        ranked
    }

    /// A decision naming the ranked entries by id.
    fn decision(
        &self,
        outcome: Outcome,
        normalized: String,
        ranked: Vec<Ranked>,
        reason: Option<&'static str>,
    ) -> Decision {
        let candidates = ranked
            .iter()
            .map(|r| Candidate {
                id: self.ids[r.entry].clone(),
                score: r.score,
            })
            .collect();
        Decision {
            outcome,
            normalized,
            candidates,
            reason,
            reference: None,
            other: None,
            home: None,
        }
    }

    /// True for a short message that is one word and particles: a topic named, nothing asked about it.
    fn is_bare_topic(&self, prepared: &str) -> bool {
        prepared.chars().count() <= 12 && self.index.analyzer.is_bare_term(prepared)
    }

    /// The candidates good enough to suggest, however many (even one), or an escalation when none is.
    fn suggest(&self, normalized: String, ranked: Vec<Ranked>) -> Decision {
        let floor = self.thresholds.clarify;
        if ranked.first().is_some_and(|c| c.score >= floor) {
            let close = ranked.into_iter().filter(|c| c.score >= floor).collect();
            return self.decision(Outcome::Clarify, normalized, close, Some(BARE_TOPIC));
        }
        self.decision(Outcome::Escalated, normalized, ranked, Some(BARE_TOPIC))
    }

    /// The measure to quote for reference when the question asks for a detail the best candidate's quote
    /// does not state, or speaks for a kind of firm or setting the measure is not written for ([`asker`])
    /// (and the candidate is at least good enough to be offered as a suggestion).
    fn reference(&self, normalized: &str, ranked: &[Ranked]) -> Option<Reference> {
        let best = ranked
            .first()
            .filter(|c| c.score >= self.thresholds.clarify)?;
        if self.limits[best.entry].excludes(normalized) {
            return Some(Reference {
                id: self.ids[best.entry].clone(),
                detail: detail::Detail::Beyond,
            });
        }
        let detail = detail::asked(normalized)?;
        if detail == detail::Detail::Beyond && !self.limited[best.entry] {
            return None;
        }
        (!detail::stated(detail, &self.quotes[best.entry])).then(|| Reference {
            id: self.ids[best.entry].clone(),
            detail,
        })
    }
}

/// The base's own words: dictionary words, synonyms (canonical forms and variants) and the names of the
/// scope lexicon's objects of three characters or more, so a mistyped licence the base does not cover (药品经营许克证) is still
/// recognised as that licence and kept away from the ones it does.
fn domain_vocabulary(base: &FaqBase) -> impl Iterator<Item = &str> {
    let dict = base.dict.iter().map(|(w, _)| w.as_str());
    let synonyms = base
        .synonyms
        .iter()
        .flat_map(|s| std::iter::once(&s.canonical).chain(&s.variants))
        .map(String::as_str);
    // Two-character names are left out: too many everyday words sound like one (连续戴 → 续贷).
    let objects = base
        .objects
        .iter()
        .flat_map(|o| &o.names)
        .map(String::as_str)
        .filter(|n| n.chars().count() >= 3);
    dict.chain(synonyms).chain(objects)
}

/// True when an entry's measure is written for one place, one kind of firm or project, or households.
fn limited(e: &crate::faq::Entry) -> bool {
    let a = &e.applies_to;
    a.place.is_some() || a.enterprise.is_some() || e.is_household()
}

/// For each entry, the entries whose quote is a strict part of its own (white space ignored).
fn nested_quotes(base: &FaqBase) -> Vec<Vec<usize>> {
    let quotes: Vec<String> = base
        .entries
        .iter()
        .map(|e| crate::text::squeeze(&e.answer))
        .collect();
    quotes
        .iter()
        .map(|whole| {
            (0..quotes.len())
                .filter(|&j| {
                    !quotes[j].is_empty()
                        && quotes[j] != *whole
                        && whole.contains(quotes[j].as_str())
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests;
