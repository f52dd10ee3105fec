//! Same-sound typing errors. People type with pinyin input methods, so a policy word often arrives as
//! another word that sounds the same (环平 for 环评, 许克证 for 许可证). Built from the base's own
//! vocabulary (every term of two to six Han characters in the entries, keywords, dictionary and
//! synonyms): a span of the question that is not a word itself, sounds exactly like one vocabulary term
//! (tones ignored) and shares a character with it in the same place is replaced by that term.

use pinyin::ToPinyin;
use std::collections::HashMap;

/// Longest span looked at, in characters.
const MAX_LEN: usize = 6;

pub struct Sound {
    /// Toneless pinyin key of a span → the vocabulary term (`None`: several terms sound alike).
    terms: HashMap<u64, Option<Box<[char]>>>,
}

impl Sound {
    pub fn build<'a>(vocabulary: impl Iterator<Item = &'a str>) -> Self {
        let mut terms: HashMap<u64, Option<Box<[char]>>> = HashMap::new();
        for w in vocabulary {
            let chars: Vec<char> = w.chars().collect();
            if !(2..=MAX_LEN).contains(&chars.len()) {
                continue;
            }
            let Some(k) = key(&chars) else { continue };
            terms
                .entry(k)
                .and_modify(|t| {
                    if t.as_deref() != Some(chars.as_slice()) {
                        *t = None;
                    }
                })
                .or_insert_with(|| Some(chars.into_boxed_slice()));
        }
        Sound { terms }
    }

    /// `text` with same-sound spans replaced by the vocabulary term; `is_word` tells real words, which
    /// are never replaced.
    pub fn correct(&self, text: &str, is_word: impl Fn(&str) -> bool) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            match self.replacement(&chars, i, &is_word) {
                Some((len, term)) => {
                    out.extend(term.iter());
                    i += len;
                }
                None => {
                    out.push(chars[i]);
                    i += 1;
                }
            }
        }
        out
    }

    /// The longest span starting at `i` that sounds like a vocabulary term, with that term.
    fn replacement(
        &self,
        chars: &[char],
        i: usize,
        is_word: &impl Fn(&str) -> bool,
    ) -> Option<(usize, &[char])> {
        let run = chars[i..].iter().take_while(|c| is_han(**c)).count();
        (2..=run.min(MAX_LEN)).rev().find_map(|len| {
            let span = &chars[i..i + len];
            let term = self.terms.get(&key(span)?)?.as_deref()?;
            let shared = span.iter().zip(term).any(|(a, b)| a == b);
            let differs = span != term;
            let fits = differs
                && shared
                && !is_word(&span.iter().collect::<String>())
                && !bound_outside(chars, i, len, term, is_word);
            fits.then_some((len, term))
        })
    }
}

/// True when a character of the span that differs from the term forms a word with the character just
/// outside the span (转运危废: 危 belongs to 危废, so 运危 is not a mistyped 运维).
fn bound_outside(
    chars: &[char],
    i: usize,
    len: usize,
    term: &[char],
    is_word: &impl Fn(&str) -> bool,
) -> bool {
    let first_differs = chars[i] != term[0];
    let last_differs = chars[i + len - 1] != term[len - 1];
    let before = i.checked_sub(1).map(|p| [chars[p], chars[i]]);
    let after = chars.get(i + len).map(|n| [chars[i + len - 1], *n]);
    let joins =
        |pair: Option<[char; 2]>| pair.is_some_and(|p| is_word(&p.iter().collect::<String>()));
    (first_differs && joins(before)) || (last_differs && joins(after))
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// FNV-1a over the toneless pinyin of each character; `None` if one has no reading.
fn key(chars: &[char]) -> Option<u64> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        for b in c.to_pinyin()?.plain().bytes().chain([b' ']) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sound() -> Sound {
        Sound::build(["环评", "许可证", "辐射", "清单", "运维", "试点", "事点"].into_iter())
    }

    #[test]
    fn a_same_sound_span_becomes_the_policy_word() {
        let s = sound();
        assert_eq!(s.correct("缓评审批", |_| false), "环评审批");
        assert_eq!(s.correct("辐射安全许克证", |_| false), "辐射安全许可证");
    }

    #[test]
    fn real_words_and_spans_sharing_no_character_stay() {
        let s = sound();
        assert_eq!(s.correct("缓评审批", |w| w == "缓评"), "缓评审批");
        assert_eq!(s.correct("转运危废", |w| w == "危废"), "转运危废");
        assert_eq!(s.correct("青丹", |_| false), "青丹");
    }

    #[test]
    fn terms_that_sound_alike_are_never_guessed_between() {
        let s = sound();
        assert_eq!(s.correct("是点", |_| false), "是点");
    }
}
