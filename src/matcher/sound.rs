//! Same-sound typing errors. People type with pinyin input methods, so a policy word often arrives as
//! another word that sounds the same (环平 for 环评, 许克证 for 许可证). Built from the base's own
//! vocabulary (every term of two to six Han characters in the entries, keywords, dictionary and
//! synonyms): a span of the question that is not a word itself, sounds exactly like one vocabulary term
//! (tones ignored) and shares a character with it in the same place is replaced by that term.

use pinyin::ToPinyin;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Longest span looked at, in characters.
const MAX_LEN: usize = 6;

/// The keys are already hashes: use them as they are.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }
}

type Keyed<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

pub struct Sound {
    /// Toneless pinyin key of a span → the vocabulary term (`None`: several terms sound alike).
    terms: Keyed<Option<Box<[char]>>>,
}

impl Sound {
    pub fn build<'a>(vocabulary: impl Iterator<Item = &'a str>) -> Self {
        let mut terms: Keyed<Option<Box<[char]>>> = Keyed::default();
        for w in vocabulary {
            let chars: Vec<char> = w.chars().collect();
            if !(2..=MAX_LEN).contains(&chars.len()) {
                continue;
            }
            let Some(k) = key(chars.iter().map(|c| reading(*c))) else {
                continue;
            };
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
        let readings: Vec<Option<&'static str>> = chars.iter().map(|c| reading(*c)).collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            match self.replacement(&chars, &readings, i, &is_word) {
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
        readings: &[Option<&'static str>],
        i: usize,
        is_word: &impl Fn(&str) -> bool,
    ) -> Option<(usize, &[char])> {
        // Keys of the spans starting at `i`, built one character at a time (FNV is incremental).
        let mut keys = [0u64; MAX_LEN + 1];
        let mut h = FNV_OFFSET;
        let mut longest = 0;
        for (len, r) in readings[i..].iter().take(MAX_LEN).enumerate() {
            let Some(r) = r else { break };
            h = fnv(h, r);
            keys[len + 1] = h;
            longest = len + 1;
        }
        (2..=longest).rev().find_map(|len| {
            let span = &chars[i..i + len];
            let term = self.terms.get(&keys[len])?.as_deref()?;
            let fits = span != term
                && span.iter().zip(term).any(|(a, b)| a == b)
                && !is_word(&span.iter().collect::<String>())
                && !bound_outside(chars, i, len, term, is_word);
            fits.then_some((len, term))
        })
    }
}

/// True when a character of the span that differs from the term forms a word with the character just
/// outside the span (转运危废: 危 belongs to 危废, so 运危 is not a mistyped 运维), unless that outside
/// character also forms a word with its own other neighbour (环平手续: 手 belongs to 手续 as much as to 平手,
/// so 环平 may still be a mistyped 环评).
fn bound_outside(
    chars: &[char],
    i: usize,
    len: usize,
    term: &[char],
    is_word: &impl Fn(&str) -> bool,
) -> bool {
    let pair = |a: usize, b: usize| match (chars.get(a), chars.get(b)) {
        (Some(x), Some(y)) => is_word(&[*x, *y].iter().collect::<String>()),
        _ => false,
    };
    let end = i + len;
    let before = i >= 1 && pair(i - 1, i) && !(i >= 2 && pair(i - 2, i - 1));
    let after = pair(end - 1, end) && !pair(end, end + 1);
    (chars[i] != term[0] && before) || (chars[end - 1] != term[len - 1] && after)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// The toneless pinyin of a Han character (`None` for anything else).
fn reading(c: char) -> Option<&'static str> {
    c.to_pinyin().map(|p| p.plain())
}

/// FNV-1a of one more syllable (and a separator).
fn fnv(mut h: u64, syllable: &str) -> u64 {
    for b in syllable.bytes().chain([b' ']) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The key of a sequence of readings; `None` if one character has none.
fn key(readings: impl Iterator<Item = Option<&'static str>>) -> Option<u64> {
    let mut h = FNV_OFFSET;
    for r in readings {
        h = fnv(h, r?);
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
    fn a_neighbour_bound_on_both_sides_does_not_block_the_repair() {
        let s = sound();
        let words = |w: &str| ["平手", "手续"].contains(&w);
        assert_eq!(s.correct("环平手续", words), "环评手续");
        assert_eq!(s.correct("环平手", words), "环平手");
    }

    #[test]
    fn terms_that_sound_alike_are_never_guessed_between() {
        let s = sound();
        assert_eq!(s.correct("是点", |_| false), "是点");
    }
}
