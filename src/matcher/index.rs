//! The prepared index: every entry's phrasings (standard question + alternates), keywords and answer as
//! weighted term sets, with IDF weights computed over the entries. Built once; read-only afterwards.

use super::analyze::Analyzer;
use super::normalize::{normalize, strip_fillers};
use crate::faq::FaqBase;
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::collections::HashMap;

/// Term id, an index into [`Index::idf`].
pub type TermId = u32;

/// One entry as the scorer sees it.
pub struct IndexedEntry {
    /// Sorted, unique term ids of each phrasing (standard question first).
    pub phrasings: Vec<Vec<TermId>>,
    /// Sum of weights per phrasing, aligned with `phrasings`.
    pub phrasing_weight: Vec<f32>,
    /// Sorted, unique ids of every phrasing and keyword term.
    pub vocabulary: Vec<TermId>,
    /// Sorted, unique ids of answer terms that are not in `vocabulary`.
    pub answer_only: Vec<TermId>,
    /// Number of keywords, to normalise hits.
    pub keyword_count: usize,
}

/// Everything the scorer needs, built from a [`FaqBase`].
pub struct Index {
    pub analyzer: Analyzer,
    pub terms: HashMap<String, TermId>,
    pub idf: Vec<f32>,
    /// Weight given to a question term that no entry uses: such terms are often what makes a question
    /// out of scope, so they count as much as the rarest known term.
    pub unknown_weight: f32,
    pub entries: Vec<IndexedEntry>,
    /// Plain keywords of all entries, and for each pattern the entry it belongs to.
    plain_keywords: Option<AhoCorasick>,
    plain_owner: Vec<usize>,
    /// Regex keywords per entry. Run only for candidate entries: evaluating all of them (or one
    /// `RegexSet`, which falls back to the PikeVM at this size) dominated matching time.
    regex_keywords: Vec<Vec<Regex>>,
    /// Inverted index: term id → entries whose vocabulary holds it.
    postings: Vec<Vec<u32>>,
}

/// The text every question and phrasing goes through before segmentation.
pub fn prepare(analyzer: &Analyzer, raw: &str) -> String {
    analyzer.rewrite(&strip_fillers(&normalize(raw)))
}

impl Index {
    pub fn build(base: &FaqBase) -> Self {
        let analyzer = Analyzer::build(base);
        let mut terms: HashMap<String, TermId> = HashMap::new();
        let mut intern = |t: String| -> TermId {
            let next = terms.len() as TermId;
            *terms.entry(t).or_insert(next)
        };
        let mut raw_entries = Vec::with_capacity(base.entries.len());
        for e in &base.entries {
            let phrasings: Vec<Vec<TermId>> = std::iter::once(&e.question)
                .chain(&e.alternates)
                .map(|p| {
                    sorted(
                        analyzer
                            .terms(&prepare(&analyzer, p))
                            .into_iter()
                            .map(&mut intern),
                    )
                })
                .collect();
            let kw_terms = e
                .keywords
                .iter()
                .filter(|k| !k.starts_with("re:"))
                .flat_map(|k| analyzer.terms(&prepare(&analyzer, k)))
                .map(&mut intern);
            let vocabulary = sorted(phrasings.iter().flatten().copied().chain(kw_terms));
            let answer_only: Vec<TermId> = sorted(
                analyzer
                    .terms(&prepare(&analyzer, &e.answer))
                    .into_iter()
                    .map(&mut intern),
            )
            .into_iter()
            .filter(|t| vocabulary.binary_search(t).is_err())
            .collect();
            raw_entries.push((phrasings, vocabulary, answer_only, e.keywords.len()));
        }
        let idf = idf_weights(terms.len(), raw_entries.iter().map(|r| &r.1));
        let n = raw_entries.len().max(1) as f32;
        let unknown_weight = (1.0 + (n + 0.5) / 0.5).ln();
        let entries: Vec<IndexedEntry> = raw_entries
            .into_iter()
            .map(
                |(phrasings, vocabulary, answer_only, keyword_count)| IndexedEntry {
                    phrasing_weight: phrasings
                        .iter()
                        .map(|p| p.iter().map(|t| idf[*t as usize]).sum())
                        .collect(),
                    phrasings,
                    vocabulary,
                    answer_only,
                    keyword_count,
                },
            )
            .collect();
        let (plain_keywords, plain_owner, regex_keywords) = keyword_matchers(base, &analyzer);
        let mut postings = vec![Vec::new(); terms.len()];
        for (i, e) in entries.iter().enumerate() {
            for t in &e.vocabulary {
                postings[*t as usize].push(i as u32);
            }
        }
        Index {
            analyzer,
            terms,
            idf,
            unknown_weight,
            entries,
            plain_keywords,
            plain_owner,
            regex_keywords,
            postings,
        }
    }

    /// Weight of a question term; `None` ids are terms no entry uses. Single characters count half.
    pub fn weight(&self, term: &str, id: Option<TermId>) -> f32 {
        let w = id.map_or(self.unknown_weight, |i| self.idf[i as usize]);
        if term.chars().count() == 1 {
            w * 0.5
        } else {
            w
        }
    }

    /// Entries worth scoring: those sharing a known term with the question or hit by a plain keyword,
    /// with their keyword hit counts (plain hits plus their own regex keywords), in entry order.
    pub fn candidates(
        &self,
        prepared: &str,
        query: &[(Option<TermId>, f32)],
    ) -> Vec<(usize, usize)> {
        // usize::MAX: not a candidate; otherwise the number of plain keyword hits.
        let mut hits = vec![usize::MAX; self.entries.len()];
        let mark = |i: usize, add: usize, hits: &mut Vec<usize>| {
            hits[i] = if hits[i] == usize::MAX {
                add
            } else {
                hits[i] + add
            };
        };
        for id in query.iter().filter_map(|q| q.0) {
            for e in &self.postings[id as usize] {
                mark(*e as usize, 0, &mut hits);
            }
        }
        if let Some(ac) = &self.plain_keywords {
            let mut seen = Vec::new();
            for m in ac.find_overlapping_iter(prepared) {
                let p = m.pattern().as_usize();
                if !seen.contains(&p) {
                    seen.push(p);
                    mark(self.plain_owner[p], 1, &mut hits);
                }
            }
        }
        hits.iter()
            .enumerate()
            .filter(|(_, h)| **h != usize::MAX)
            .map(|(i, h)| {
                (
                    i,
                    h + self.regex_keywords[i]
                        .iter()
                        .filter(|re| re.is_match(prepared))
                        .count(),
                )
            })
            .collect()
    }
}

fn sorted(ids: impl Iterator<Item = TermId>) -> Vec<TermId> {
    let mut v: Vec<TermId> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// BM25-style IDF over entries: ln(1 + (N - df + 0.5) / (df + 0.5)).
fn idf_weights<'a>(n_terms: usize, docs: impl Iterator<Item = &'a Vec<TermId>>) -> Vec<f32> {
    let mut df = vec![0u32; n_terms];
    let mut n = 0u32;
    for d in docs {
        n += 1;
        for t in d {
            df[*t as usize] += 1;
        }
    }
    df.iter()
        .map(|&d| (1.0 + (n as f32 - d as f32 + 0.5) / (d as f32 + 0.5)).ln())
        .collect()
}

type KeywordMatchers = (Option<AhoCorasick>, Vec<usize>, Vec<Vec<Regex>>);

/// One automaton for all plain keywords and the regex keywords, each mapping back to its entry.
fn keyword_matchers(base: &FaqBase, analyzer: &Analyzer) -> KeywordMatchers {
    let (mut plain, mut plain_owner) = (vec![], vec![]);
    let mut res: Vec<Vec<Regex>> = vec![Vec::new(); base.entries.len()];
    for (i, e) in base.entries.iter().enumerate() {
        for k in &e.keywords {
            if let Some(re) = k.strip_prefix("re:") {
                // Loading validated each regex.
                res[i].push(Regex::new(re).expect("validated at load"));
            } else {
                let p = analyzer.rewrite(&normalize(k));
                if !p.is_empty() {
                    plain.push(p);
                    plain_owner.push(i);
                }
            }
        }
    }
    let ac = (!plain.is_empty()).then(|| AhoCorasick::new(&plain).expect("literal keywords"));
    (ac, plain_owner, res)
}
