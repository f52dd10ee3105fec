//! General-vocabulary synonyms (`faq/thesaurus/`, strict groups of 同义词词林扩展版): a question word the base
//! never uses may stand, at a low weight, for a word of its group that the base does use (惩罚 for 处罚).
//! Never over domain terms: a word the base uses, a dictionary word or a synonym form of `faq/` is never
//! taken for another, so the domain's own vocabulary keeps its meaning.

use super::index::TermId;
use crate::faq::FaqBase;
use std::collections::{HashMap, HashSet};

/// Share of a word's weight that a thesaurus match carries; the rest stays unmatched, so a question
/// resting on a thesaurus match alone is not answered with confidence.
const SHARE: f32 = 0.3;

pub struct Thesaurus {
    /// An everyday word → the base's terms of its groups.
    targets: HashMap<String, Box<[TermId]>>,
}

impl Thesaurus {
    /// Links each group's words that the base does not know to the group's words it uses as terms.
    pub fn build(base: &FaqBase, terms: &HashMap<String, TermId>) -> Self {
        let domain: HashSet<&str> = base
            .dict
            .iter()
            .map(|(w, _)| w.as_str())
            .chain(
                base.synonyms
                    .iter()
                    .flat_map(|s| std::iter::once(&s.canonical).chain(&s.variants))
                    .map(String::as_str),
            )
            .collect();
        let mut targets: HashMap<String, Vec<TermId>> = HashMap::new();
        for g in &base.thesaurus {
            let known: Vec<TermId> = g
                .words
                .iter()
                .filter_map(|w| terms.get(w).copied())
                .collect();
            if known.is_empty() {
                continue;
            }
            let everyday = g
                .words
                .iter()
                .filter(|w| !terms.contains_key(*w) && !domain.contains(w.as_str()));
            for w in everyday {
                let t = targets.entry(w.clone()).or_default();
                t.extend(&known);
                t.sort_unstable();
                t.dedup();
            }
        }
        Thesaurus {
            targets: targets
                .into_iter()
                .map(|(w, t)| (w, t.into_boxed_slice()))
                .collect(),
        }
    }

    /// Adds to `query` the terms for an unknown word of weight `weight`: its share spread over the base's
    /// terms of its groups (each at most that term's own weight), and the rest unmatched; just the
    /// unmatched word when the thesaurus does not know it.
    pub fn expand(
        &self,
        word: &str,
        weight: f32,
        term_weight: impl Fn(TermId) -> f32,
        query: &mut Vec<(Option<TermId>, f32)>,
    ) {
        let Some(targets) = self.targets.get(word) else {
            query.push((None, weight));
            return;
        };
        let each = SHARE / targets.len() as f32;
        query.push((None, weight * (1.0 - SHARE)));
        query.extend(
            targets
                .iter()
                .map(|t| (Some(*t), each * weight.min(term_weight(*t)))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::thesaurus::Group;

    fn base(dict: &[&str]) -> FaqBase {
        FaqBase {
            thesaurus: vec![Group {
                origin: "t.txt:1".into(),
                code: "Hc22A01=".into(),
                words: vec!["处罚".into(), "惩罚".into(), "责罚".into()],
            }],
            dict: dict.iter().map(|w| (w.to_string(), None)).collect(),
            ..FaqBase::default()
        }
    }

    /// The query terms of `word` at weight 4, every base term weighing 2.
    fn expanded(t: &Thesaurus, word: &str) -> Vec<(Option<TermId>, f32)> {
        let mut q = Vec::new();
        t.expand(word, 4.0, |_| 2.0, &mut q);
        q
    }

    fn terms() -> HashMap<String, TermId> {
        HashMap::from([("处罚".to_string(), 7)])
    }

    #[test]
    fn an_everyday_word_stands_for_the_base_word_at_a_low_weight() {
        let t = Thesaurus::build(&base(&[]), &terms());
        let q = expanded(&t, "惩罚");
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].0, None);
        assert!((q[0].1 - 4.0 * (1.0 - SHARE)).abs() < 1e-6);
        assert_eq!(q[1].0, Some(7));
        assert!(
            (q[1].1 - 2.0 * SHARE).abs() < 1e-6,
            "at most the term's own weight"
        );
    }

    #[test]
    fn domain_words_and_unknown_words_are_never_mapped() {
        let t = Thesaurus::build(&base(&["惩罚"]), &terms());
        assert_eq!(expanded(&t, "惩罚"), vec![(None, 4.0)]);
        assert_eq!(expanded(&t, "责罚").len(), 2);
        assert_eq!(expanded(&t, "罚单"), vec![(None, 4.0)]);
    }
}
