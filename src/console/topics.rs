//! The unanswered questions of the last days grouped into topics by shared terms, so officers see which
//! entries to write next. A term here is a run of Chinese characters that several questions share:
//! greedily, the character pair found in the most still-ungrouped questions opens a topic of those
//! questions, labelled with the longest run around it they all contain. Pairs made only of question
//! words (什么, 怎么, 可以…) never open a topic. Deterministic: ties go to the smaller pair.

use crate::text::normalize;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Characters of question words and fillers: a pair of two of them is not a term.
const FILLER: &str = "什么怎样如何哪些吗呢吧啊的了是否可以能不会要需请问我们你们他这那个有没还和与或在对为就都也一下些";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Topic {
    pub label: String,
    pub count: usize,
    /// Up to three of its questions.
    pub examples: Vec<String>,
    pub tickets: Vec<u64>,
}

/// Groups `(ticket, question)` into topics, biggest first; questions sharing no term with another
/// end in a last topic `其他`.
pub fn topics(questions: &[(u64, String)]) -> Vec<Topic> {
    let texts: Vec<String> = questions.iter().map(|(_, q)| normalize(q)).collect();
    let pairs: Vec<BTreeSet<String>> = texts.iter().map(|t| term_pairs(t)).collect();
    let mut left: BTreeSet<usize> = (0..questions.len()).collect();
    let mut out = Vec::new();
    while let Some((pair, members)) = best_pair(&pairs, &left) {
        let label = label(
            &pair,
            &members
                .iter()
                .map(|&i| texts[i].as_str())
                .collect::<Vec<_>>(),
        );
        out.push(topic(label, &members, questions));
        for i in members {
            left.remove(&i);
        }
    }
    if !left.is_empty() {
        out.push(topic(
            "其他".into(),
            &left.into_iter().collect::<Vec<_>>(),
            questions,
        ));
    }
    out
}

fn topic(label: String, members: &[usize], questions: &[(u64, String)]) -> Topic {
    Topic {
        label,
        count: members.len(),
        examples: members
            .iter()
            .take(3)
            .map(|&i| questions[i].1.clone())
            .collect(),
        tickets: members.iter().map(|&i| questions[i].0).collect(),
    }
}

/// The pair found in the most questions of `left` (at least two), with those questions.
fn best_pair(pairs: &[BTreeSet<String>], left: &BTreeSet<usize>) -> Option<(String, Vec<usize>)> {
    let mut by_pair: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in left {
        for p in &pairs[i] {
            by_pair.entry(p).or_default().push(i);
        }
    }
    let (pair, members) = by_pair
        .into_iter()
        .fold(None::<(&str, Vec<usize>)>, |best, c| match &best {
            Some(b) if b.1.len() >= c.1.len() => best,
            _ => Some(c),
        })?;
    (members.len() >= 2).then(|| (pair.to_owned(), members))
}

/// Pairs of adjacent Chinese characters that are not both fillers.
fn term_pairs(text: &str) -> BTreeSet<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(2)
        .filter(|w| w.iter().all(|c| is_han(*c)) && !w.iter().all(|c| FILLER.contains(*c)))
        .map(|w| w.iter().collect())
        .collect()
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The longest run of Chinese characters containing `pair` that every text contains.
fn label(pair: &str, texts: &[&str]) -> String {
    let Some(first) = texts.first() else {
        return pair.to_owned();
    };
    let chars: Vec<char> = first.chars().collect();
    let mut best = pair.to_owned();
    for start in 0..chars.len() {
        for end in start + 2..=chars.len() {
            let run: String = chars[start..end].iter().collect();
            if !chars[start..end].iter().all(|c| is_han(*c)) {
                break;
            }
            let longer = run.chars().count() > best.chars().count();
            if longer && run.contains(pair) && texts.iter().all(|t| t.contains(&run)) {
                best = run;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(list: &[&str]) -> Vec<(u64, String)> {
        list.iter()
            .enumerate()
            .map(|(i, s)| (i as u64 + 1, s.to_string()))
            .collect()
    }

    #[test]
    fn questions_sharing_a_term_form_a_topic_labelled_with_it() {
        let t = topics(&q(&[
            "危化品仓库能复工吗",
            "网校怎么报名",
            "危化品仓库复工要什么手续",
            "网校面向哪些人",
            "口罩去哪买",
            "危化品仓库要备案吗",
        ]));
        let labels: Vec<(&str, usize)> = t.iter().map(|t| (t.label.as_str(), t.count)).collect();
        assert_eq!(labels, vec![("危化品仓库", 3), ("网校", 2), ("其他", 1)]);
        assert_eq!(t[0].tickets, vec![1, 3, 6]);
        assert_eq!(t[2].examples, vec!["口罩去哪买".to_owned()]);
    }

    #[test]
    fn question_words_alone_make_no_topic() {
        let t = topics(&q(&["怎么可以吗", "可以怎么样"]));
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].label.as_str(), t[0].count), ("其他", 2));
    }
}
