//! The prepared index: every entry's phrasings (standard question + alternates), keywords and answer as
//! weighted term sets, with IDF weights computed over the entries. Built once; read-only afterwards.

use super::analyze::Analyzer;
use crate::faq::{FaqBase, Keyword, Pattern};
use crate::text::{normalize, strip_fillers};
use aho_corasick::AhoCorasick;
use std::collections::HashMap;

/// Term id, an index into [`Index::idf`].
pub type TermId = u32;

/// One entry as the scorer sees it.
pub struct IndexedEntry {
    /// Entries quoting the same answer share this id: offering a choice between them is pointless.
    pub answer_group: usize,
    /// Its phrasings (standard question first) as indices into [`Index::phrasing_weight`].
    pub phrasings: std::ops::Range<usize>,
    /// Number of keywords, to normalise hits.
    pub keyword_count: usize,
}

/// Where a term occurs. Scoring adds each question term's weight along these lists, so its cost
/// follows the question's terms, not the size of the base.
#[derive(Default, Clone)]
pub struct Posting {
    /// Entries whose phrasings or keywords use the term.
    pub vocabulary: Vec<u32>,
    /// Entries whose answer (only) uses the term.
    pub answer_only: Vec<u32>,
    /// Phrasings (global indices) that use the term.
    pub phrasings: Vec<u32>,
}

/// Per-question sums of matched term weight, filled by [`Index::accumulate`].
pub struct Sums {
    pub vocabulary: Vec<f32>,
    pub answer_only: Vec<f32>,
    pub phrasings: Vec<f32>,
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
    /// Sum of term weights of every phrasing, by global phrasing index.
    pub phrasing_weight: Vec<f32>,
    /// Plain keywords of all entries, and for each pattern the entry it belongs to.
    plain_keywords: Option<AhoCorasick>,
    plain_owner: Vec<usize>,
    /// Regex keywords per entry. Run only for candidate entries: evaluating all of them (or one
    /// `RegexSet`, which falls back to the PikeVM at this size) dominated matching time.
    regex_keywords: Vec<Vec<Pattern>>,
    /// Inverted index by term id.
    postings: Vec<Posting>,
}

/// The text every question and phrasing goes through before segmentation.
pub fn prepare(analyzer: &Analyzer, raw: &str) -> String {
    prepare_normalized(analyzer, &normalize(raw))
}

/// [`prepare`] for text that is already normalised (the question, which `decide` normalises first).
pub fn prepare_normalized(analyzer: &Analyzer, normalized: &str) -> String {
    analyzer.rewrite(&strip_fillers(normalized))
}

/// One entry's terms, before weighting: each phrasing's, the union with its plain keywords', and the
/// terms only its quote and clause use.
struct EntryTerms {
    phrasings: Vec<Vec<TermId>>,
    vocabulary: Vec<TermId>,
    answer_only: Vec<TermId>,
    keyword_count: usize,
}

/// Interns every term of the base's entries, in entry order.
fn entry_terms(base: &FaqBase, analyzer: &Analyzer) -> (HashMap<String, TermId>, Vec<EntryTerms>) {
    let mut terms: HashMap<String, TermId> = HashMap::new();
    let mut intern = |t: String| -> TermId {
        let next = terms.len() as TermId;
        *terms.entry(t).or_insert(next)
    };
    let mut cut = |text: &str| -> Vec<TermId> {
        let words = analyzer.terms(&prepare(analyzer, text));
        words.into_iter().map(&mut intern).collect()
    };
    let entries = base
        .entries
        .iter()
        .map(|e| {
            let phrasings: Vec<Vec<TermId>> = std::iter::once(&e.question)
                .chain(&e.alternates)
                .map(|p| sorted(cut(p).into_iter()))
                .collect();
            let keywords: Vec<TermId> = e
                .keywords
                .iter()
                .filter_map(Keyword::plain)
                .flat_map(&mut cut)
                .collect();
            let vocabulary = sorted(phrasings.iter().flatten().copied().chain(keywords));
            let mut quoted = cut(&e.answer);
            quoted.extend(cut(&e.clause));
            let answer_only = sorted(quoted.into_iter())
                .into_iter()
                .filter(|t| vocabulary.binary_search(t).is_err())
                .collect();
            EntryTerms {
                phrasings,
                vocabulary,
                answer_only,
                keyword_count: e.keywords.len(),
            }
        })
        .collect();
    (terms, entries)
}

impl Index {
    pub fn build(base: &FaqBase) -> Self {
        let analyzer = Analyzer::build(base);
        let (terms, raw_entries) = entry_terms(base, &analyzer);
        let idf = idf_weights(terms.len(), raw_entries.iter().map(|r| &r.vocabulary));
        let n = raw_entries.len().max(1) as f32;
        let unknown_weight = (1.0 + (n + 0.5) / 0.5).ln();
        let mut postings = vec![Posting::default(); terms.len()];
        let mut phrasing_weight = Vec::new();
        let mut entries = Vec::with_capacity(raw_entries.len());
        let mut groups: HashMap<String, usize> = HashMap::new();
        for (i, raw) in raw_entries.into_iter().enumerate() {
            let start = phrasing_weight.len();
            for p in raw.phrasings {
                for t in &p {
                    postings[*t as usize]
                        .phrasings
                        .push(phrasing_weight.len() as u32);
                }
                phrasing_weight.push(p.iter().map(|t| idf[*t as usize]).sum());
            }
            for t in raw.vocabulary {
                postings[t as usize].vocabulary.push(i as u32);
            }
            for t in raw.answer_only {
                postings[t as usize].answer_only.push(i as u32);
            }
            let quote = crate::text::squeeze(&base.entries[i].answer);
            let next = groups.len();
            entries.push(IndexedEntry {
                answer_group: *groups.entry(quote).or_insert(next),
                phrasings: start..phrasing_weight.len(),
                keyword_count: raw.keyword_count,
            });
        }
        let (plain_keywords, plain_owner, regex_keywords) = keyword_matchers(base, &analyzer);
        Index {
            analyzer,
            terms,
            idf,
            unknown_weight,
            entries,
            phrasing_weight,
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
    /// with their plain keyword hit counts, in entry order. Regex keywords are left to the caller
    /// ([`Index::regex_hits`]), which runs them only where they can change a decision.
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
            for e in &self.postings[id as usize].vocabulary {
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
            .map(|(i, h)| (i, *h))
            .collect()
    }

    /// Adds each known question term's weight to every entry and phrasing that uses it.
    pub fn accumulate(&self, query: &[(Option<TermId>, f32)]) -> Sums {
        let mut sums = Sums {
            vocabulary: vec![0.0; self.entries.len()],
            answer_only: vec![0.0; self.entries.len()],
            phrasings: vec![0.0; self.phrasing_weight.len()],
        };
        for (id, w) in query {
            let Some(p) = id.map(|id| &self.postings[id as usize]) else {
                continue;
            };
            for e in &p.vocabulary {
                sums.vocabulary[*e as usize] += w;
            }
            for e in &p.answer_only {
                sums.answer_only[*e as usize] += w;
            }
            for ph in &p.phrasings {
                sums.phrasings[*ph as usize] += w;
            }
        }
        sums
    }

    /// Number of regex keywords an entry has.
    pub fn regex_count(&self, entry: usize) -> usize {
        self.regex_keywords[entry].len()
    }

    /// Number of an entry's regex keywords that match the prepared question.
    pub fn regex_hits(&self, entry: usize, prepared: &str) -> usize {
        self.regex_keywords[entry]
            .iter()
            .filter(|re| re.is_match(prepared))
            .count()
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

type KeywordMatchers = (Option<AhoCorasick>, Vec<usize>, Vec<Vec<Pattern>>);

/// One automaton for all plain keywords and the regex keywords, each mapping back to its entry.
fn keyword_matchers(base: &FaqBase, analyzer: &Analyzer) -> KeywordMatchers {
    let (mut plain, mut plain_owner) = (vec![], vec![]);
    let mut res: Vec<Vec<Pattern>> = vec![Vec::new(); base.entries.len()];
    for (i, e) in base.entries.iter().enumerate() {
        for k in &e.keywords {
            match k {
                // Compiled at load (`faq::Pattern`); a clone shares the program and its caches.
                Keyword::Regex(re) => res[i].push(re.clone()),
                Keyword::Plain(k) => {
                    let p = analyzer.rewrite(&normalize(k));
                    if !p.is_empty() {
                        plain.push(p);
                        plain_owner.push(i);
                    }
                }
            }
        }
    }
    let ac = (!plain.is_empty()).then(|| AhoCorasick::new(&plain).expect("literal keywords"));
    (ac, plain_owner, res)
}
