//! Scoring: each entry that shares a term or keyword with the question gets the weighted sum of its
//! `phrase`, `cover` and `keyword` parts (see the [module doc](super)), and the best three are selected:
//! city reports folded into their measures, the scope guard applied, one entry per quoted measure.

use super::index::{self, Index, TermId};
use super::{Matcher, Ranked, scope};

const W_PHRASE: f32 = 0.45;
const W_COVER: f32 = 0.35;
const W_KEYWORD: f32 = 0.20;

impl Matcher {
    /// The lowest score any decision looks at: below it a candidate is only an officer's hint.
    pub(super) fn floor(&self) -> f32 {
        let t = self.thresholds;
        t.clarify.min(t.lead_answer).min(t.answer)
    }

    /// Every entry that shares a term or keyword with the question, with its score; what the question
    /// names (places, objects) plays no part yet, so a group's place can be tried on the same scores.
    pub(super) fn score(&self, prepared: &str) -> Vec<(usize, f32)> {
        let idx = &self.index;
        let words = idx.analyzer.terms(prepared);
        let mut query: Vec<(Option<TermId>, f32)> = Vec::with_capacity(words.len() + 4);
        for w in &words {
            let id = idx.terms.get(w).copied();
            let weight = idx.weight(w, id);
            match id {
                Some(_) => query.push((id, weight)),
                None => self
                    .thesaurus
                    .expand(w, weight, |t| idx.idf[t as usize], &mut query),
            }
        }
        let total: f32 = query.iter().map(|q| q.1).sum();
        let sums = idx.accumulate(&query);
        // A candidate's regex keywords (the costliest part of matching) run only if they could lift it
        // to the floor.
        let floor = self.floor();
        idx.candidates(prepared, &query)
            .into_iter()
            .filter_map(|(i, plain)| {
                let e = &idx.entries[i];
                let base = base_score(idx, i, &sums, total, plain)?;
                let regexes = idx.regex_count(i);
                let hits = if regexes > 0 && base + keyword_score(e, plain + regexes) >= floor {
                    plain + idx.regex_hits(i, prepared)
                } else {
                    plain
                };
                let score = base + keyword_score(e, hits);
                (score > 0.0).then_some((i, score))
            })
            .collect()
    }

    /// The best three of `scored` (entry, score) for a question naming `named`: city reports folded into
    /// their provincial measures, the scope guard applied, one entry per quoted measure; and whether the
    /// guard removed a candidate that would have been offered.
    pub(super) fn select(
        &self,
        mut pairs: Vec<(usize, f32)>,
        named: &[scope::Named],
    ) -> (Vec<Ranked>, bool) {
        let idx = &self.index;
        let floor = self.floor();
        self.scope.fold_reports(named, &mut pairs);
        let mut scored: Vec<Ranked> = pairs
            .into_iter()
            .map(|(entry, score)| Ranked { entry, score })
            .collect();
        let mut blocked = false;
        if !named.is_empty() {
            scored.retain(|c| {
                let ok = self.scope.uncovered(c.entry, named).is_none();
                blocked |= !ok && c.score >= floor;
                ok
            });
        }
        let by_rank =
            |a: &Ranked, b: &Ranked| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry));
        if scored.len() > 6 {
            scored.select_nth_unstable_by(5, by_rank);
            scored.truncate(6);
        }
        scored.sort_by(by_rank);
        // Entries quoting the same measure are one answer, not a choice: keep the best of each.
        let mut seen = Vec::with_capacity(3);
        scored.retain(|c| {
            let g = idx.entries[c.entry].answer_group;
            let first = !seen.contains(&g);
            seen.push(g);
            first
        });
        scored.truncate(3);
        (scored, blocked)
    }
}

/// The phrasing and coverage part of an entry's score, from the question's term weight sums (whose
/// total is `total`); `None` when the entry shares nothing with the question.
fn base_score(
    idx: &Index,
    entry: usize,
    sums: &index::Sums,
    total: f32,
    keyword_hits: usize,
) -> Option<f32> {
    let in_vocab = sums.vocabulary[entry];
    if in_vocab <= 0.0 && keyword_hits == 0 {
        return None;
    }
    let phrase = idx.entries[entry]
        .phrasings
        .clone()
        .map(|p| 2.0 * sums.phrasings[p] / (total + idx.phrasing_weight[p]).max(f32::EPSILON))
        .fold(0.0f32, f32::max);
    let cover = if total > 0.0 {
        ((in_vocab + 0.5 * sums.answer_only[entry]) / total).min(1.0)
    } else {
        0.0
    };
    Some(W_PHRASE * phrase + W_COVER * cover)
}

/// The keyword part of an entry's score: two hits give the full weight.
fn keyword_score(e: &index::IndexedEntry, hits: usize) -> f32 {
    if e.keyword_count == 0 {
        0.0
    } else {
        W_KEYWORD * (hits as f32 / 2.0).min(1.0)
    }
}
