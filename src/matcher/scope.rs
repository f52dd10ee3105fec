//! The scope guard: which objects (licences, taxes, funds…) and places a question names, whether an entry
//! may answer a question that names them, and which of a city report and its provincial measure stands.
//!
//! An entry covers an object when its own text (question, alternates, keywords, answer, clause) names it.
//! It applies to a place when its text names the place, when its source is national (names no place), or
//! when its own place (`applies_to.place`, else its source's) contains the named one. Built once from the base; queries are a single
//! Aho-Corasick pass over the question plus small sorted-list look-ups.
//!
//! A group configured as one place's (its home) asks as if each question named that place, unless the
//! question names a place itself ([`Scope::at_home`]): the same guard and the same report folding apply.

use super::analyze::Analyzer;
use super::index::prepare;
use crate::faq::{FaqBase, Keyword};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

/// Something a question names: an object or a place, by index into the base's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Named {
    Object(u16),
    Place(u16),
}

/// How far a city report must out-score its provincial measure to answer, as the city's practice, a
/// question that names no place. Below it the two are one rule and the provincial text answers. At 0.1
/// a question put in the report's words about the rule itself (达标企业免检查) went to the city's text.
const REPORT_LEAD: f32 = 0.2;

/// A city report of a provincial measure, by entry index.
struct Link {
    report: usize,
    place: u16,
    measure: usize,
}

pub struct Scope {
    names: Option<AhoCorasick>,
    owner: Vec<Named>,
    /// Per entry: what its own text names, sorted.
    covered: Vec<Vec<Named>>,
    /// Per entry: the most specific places its source belongs to (empty: national).
    source_places: Vec<Vec<u16>>,
    parent: Vec<Option<u16>>,
    links: Vec<Link>,
    /// Each place's name and aliases, exactly as in places.toml: how a configured group names its place.
    by_name: HashMap<String, u16>,
}

impl Scope {
    pub fn build(base: &FaqBase, analyzer: &Analyzer) -> Self {
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (i, o) in base.objects.iter().enumerate() {
            for n in &o.names {
                patterns.push(prepare(analyzer, n));
                owner.push(Named::Object(i as u16));
            }
        }
        let place_ids: HashMap<&str, u16> = base
            .places
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i as u16))
            .collect();
        for (i, p) in base.places.iter().enumerate() {
            for n in p.names() {
                patterns.push(prepare(analyzer, n));
                owner.push(Named::Place(i as u16));
            }
        }
        let keep: Vec<bool> = patterns.iter().map(|p| !p.is_empty()).collect();
        let owner: Vec<Named> = owner
            .into_iter()
            .zip(&keep)
            .filter(|x| *x.1)
            .map(|x| x.0)
            .collect();
        patterns.retain(|p| !p.is_empty());
        let names = (!patterns.is_empty()).then(|| {
            // A contiguous NFA: a DFA over ~700 Chinese names costs megabytes for no measurable speed.
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .expect("literal names")
        });
        let parent = base
            .places
            .iter()
            .map(|p| p.parent.as_deref().and_then(|n| place_ids.get(n).copied()))
            .collect();
        let mut scope = Scope {
            names,
            owner,
            covered: Vec::new(),
            source_places: Vec::new(),
            parent,
            links: Vec::new(),
            by_name: base
                .places
                .iter()
                .enumerate()
                .flat_map(|(i, p)| p.names().map(move |n| (n.clone(), i as u16)))
                .collect(),
        };
        scope.index_entries(base, analyzer);
        scope.links = links(base, &place_ids);
        scope
    }

    fn index_entries(&mut self, base: &FaqBase, analyzer: &Analyzer) {
        for e in &base.entries {
            let plain = e.keywords.iter().filter_map(Keyword::plain);
            let text: Vec<String> = std::iter::once(e.question.as_str())
                .chain(e.alternates.iter().map(String::as_str))
                .chain(plain)
                .chain([e.answer.as_str(), e.clause.as_str()])
                .map(|t| prepare(analyzer, t))
                .collect();
            self.covered.push(self.named(&text.join("\n")));
            // The entry's own place (平桥 for a 信阳 item's district measure) is the most precise.
            if let Some(own) = e.place().and_then(|p| self.place(p)) {
                self.source_places.push(vec![own]);
                continue;
            }
            let source = base
                .source_of(e)
                .map(|s| prepare(analyzer, &s.place_text()))
                .unwrap_or_default();
            let places: Vec<u16> = self.places_in(&source);
            let specific = places
                .iter()
                .copied()
                .filter(|p| !places.iter().any(|q| q != p && self.within(*q, *p)))
                .collect();
            self.source_places.push(specific);
        }
    }

    fn places_in(&self, text: &str) -> Vec<u16> {
        self.named(text)
            .into_iter()
            .filter_map(|n| match n {
                Named::Place(p) => Some(p),
                Named::Object(_) => None,
            })
            .collect()
    }

    /// What a prepared text names, sorted and de-duplicated.
    pub fn named(&self, prepared: &str) -> Vec<Named> {
        let Some(ac) = &self.names else {
            return Vec::new();
        };
        let mut out: Vec<Named> = ac
            .find_iter(prepared)
            .map(|m| self.owner[m.pattern().as_usize()])
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// True when `inner` is `outer` or lies inside it.
    fn within(&self, inner: u16, outer: u16) -> bool {
        let mut p = Some(inner);
        for _ in 0..8 {
            match p {
                Some(x) if x == outer => return true,
                Some(x) => p = self.parent[x as usize],
                None => return false,
            }
        }
        false
    }

    /// The first thing the question names that the entry does not cover or apply to.
    pub fn uncovered(&self, entry: usize, named: &[Named]) -> Option<Named> {
        let covered = &self.covered[entry];
        named.iter().copied().find(|n| {
            covered.binary_search(n).is_err()
                && match n {
                    Named::Object(_) => true,
                    Named::Place(p) => !self.applies_to(entry, *p),
                }
        })
    }

    pub fn applies_to(&self, entry: usize, place: u16) -> bool {
        let own = &self.source_places[entry];
        own.is_empty() || own.iter().any(|o| self.within(place, *o))
    }

    /// Folds each city report and its provincial measure into one candidate with the better score of
    /// the two: the provincial measure, unless the question names the report's place (or a place inside
    /// it), or names no place and is carried by the report's own words (it out-scores the measure by
    /// [`REPORT_LEAD`]: it asks for a detail only the city's text states, such as 现场照片 for a remote
    /// review). Candidates are (entry, score).
    pub fn fold_reports(&self, named: &[Named], scored: &mut Vec<(usize, f32)>) {
        let names_place = named.iter().any(|n| matches!(n, Named::Place(_)));
        let find = |scored: &[(usize, f32)], e: usize| scored.iter().position(|c| c.0 == e);
        for l in &self.links {
            let (report, measure) = (find(scored, l.report), find(scored, l.measure));
            let score = |p: Option<usize>| p.map_or(0.0, |i| scored[i].1);
            let local = named.iter().any(|n| match n {
                Named::Place(p) => self.within(*p, l.place),
                Named::Object(_) => false,
            });
            let carried = !names_place && score(report) >= score(measure) + REPORT_LEAD;
            let ((keep, kept), dropped) = if local || carried {
                ((l.report, report), measure)
            } else {
                ((l.measure, measure), report)
            };
            let Some(d) = dropped else {
                continue;
            };
            match kept {
                Some(k) => {
                    scored[k].1 = scored[k].1.max(scored[d].1);
                    scored.swap_remove(d);
                }
                None => scored[d].0 = keep,
            }
        }
    }

    /// The place with this name or alias.
    pub fn place(&self, name: &str) -> Option<u16> {
        self.by_name.get(name.trim()).copied()
    }

    /// What a question asked in a group whose home is `home` names: what it names, with `home` added;
    /// `None` when it names a place itself (then that place, not the group's, judges it).
    pub fn at_home(&self, named: &[Named], home: u16) -> Option<Vec<Named>> {
        if named.iter().any(|n| matches!(n, Named::Place(_))) {
            return None;
        }
        let mut homed = named.to_vec();
        homed.push(Named::Place(home));
        homed.sort_unstable();
        Some(homed)
    }

    /// True when the entry is another place's measure as seen from `home`: the guard would keep it from
    /// answering a question that named `home`.
    pub fn elsewhere(&self, entry: usize, home: u16) -> bool {
        self.uncovered(entry, &[Named::Place(home)]).is_some()
    }

    /// True when a city report links the two entries (either way round).
    pub fn linked(&self, a: usize, b: usize) -> bool {
        self.links
            .iter()
            .any(|l| (l.report, l.measure) == (a, b) || (l.report, l.measure) == (b, a))
    }
}

fn links(base: &FaqBase, place_ids: &HashMap<&str, u16>) -> Vec<Link> {
    let index: HashMap<&str, usize> = base
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    base.reports
        .iter()
        .filter_map(|r| {
            Some(Link {
                report: *index.get(r.entry.as_str())?,
                place: *place_ids.get(r.place.as_str())?,
                measure: *index.get(r.measure.as_str())?,
            })
        })
        .collect()
}
