//! Turns normalised text into matching terms: synonym rewriting, jieba segmentation with the domain
//! dictionary, stop-word removal. The only file that touches jieba.
//!
//! Built once at start-up ([`Analyzer::build`]); analysing is pure and allocation-light.

use crate::faq::FaqBase;
use crate::text::is_punct;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use jieba_rs::Jieba;
use std::collections::HashMap;

/// Words that say how a question is asked, not what it is about.
const STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "啊",
    "吧",
    "呀",
    "么",
    "嘛",
    "哦",
    "是",
    "是不是",
    "有",
    "有没有",
    "没有",
    "在",
    "和",
    "与",
    "及",
    "或",
    "或者",
    "就",
    "都",
    "也",
    "还",
    "还要",
    "还是",
    "要",
    "要不要",
    "需要",
    "需不需要",
    "能",
    "能不能",
    "可以",
    "可不可以",
    "可",
    "会",
    "会不会",
    "该",
    "应该",
    "怎么",
    "怎么办",
    "怎样",
    "怎么样",
    "如何",
    "咋",
    "咋办",
    "啥",
    "什么",
    "哪些",
    "哪个",
    "哪里",
    "多少",
    "多久",
    "多长",
    "多长时间",
    "几",
    "吗?",
    "我",
    "我们",
    "我们的",
    "咱们",
    "你们",
    "他们",
    "这个",
    "那个",
    "这",
    "那",
    "这种",
    "一下",
    "一个",
    "现在",
    "目前",
    "请",
    "问",
    "下",
    "对",
    "为",
    "把",
    "被",
    "让",
    "给",
    "从",
    "到",
    "去",
    "来",
    "做",
    "办",
    "搞",
    "弄",
    "用",
    "讲",
    "说",
    "想",
    "看",
    "吗？",
    "不",
    "得",
    "着",
    "过",
    "很",
    "太",
    "又",
    "再",
    "才",
    "个",
    "些",
    "之",
    "其",
    "等",
    "等等",
    "以及",
    "如果",
    "的话",
    "时候",
    "情况",
    "有关",
    "相关",
    "方面",
    // Henan and northern colloquial forms of the words above (俺 = 我, 恁 = 你/您, 嘞 = 呢/的, 中 = 行).
    "俺",
    "俺们",
    "恁",
    "恁们",
    "嘞",
    "哩",
    "咧",
    "中不中",
    "不中",
    "咋整",
    "咋弄",
    "弄啥",
    "自个儿",
    "自个",
    "瞅瞅",
    "瞅",
    // Voice input's spoken fillers: how people talk while they think, never what they ask about.
    "就是",
    "就是说",
    "然后",
    "嗯",
    "嗯嗯",
    "呃",
    "额",
    "喂",
    "那啥",
    "反正",
    "其实",
    "话说",
    "对对",
    "对对对",
    "那么",
    "这样子",
];

/// Particles that end a word without asking anything in words ("环评呢", "危废证吗？").
const PARTICLES: &[&str] = &[
    "吗", "呢", "吧", "啊", "呀", "哦", "嘛", "么", "的", "了", "哈", "啦", "嘞", "哩", "咧",
];

/// jieba's default dictionary (all 349k words and frequencies) without part-of-speech tags. jieba-rs
/// keeps one heap-allocated tag string per word; we never tag, and without them peak RSS drops from
/// 68 MB to 55 MB with identical segmentation. Generated from jieba-rs 0.7.4 `src/data/dict.txt` (MIT)
/// with `awk '{print $1" "$2}' dict.txt`.
const SEGMENTER_DICT: &str = include_str!("data/dict.txt");

/// Segmenter plus the FAQ's synonym table and dictionary.
pub struct Analyzer {
    jieba: Jieba,
    /// All variants, the leftmost longest winning; a contiguous NFA (a regex alternation of them kept
    /// megabytes of prefilter and lazy-DFA cache).
    variants: Option<AhoCorasick>,
    /// The canonical term of each variant, by pattern index.
    canonical: Vec<String>,
}

impl Analyzer {
    /// Builds the segmenter with the FAQ's dictionary words and canonical synonym terms.
    pub fn build(base: &FaqBase) -> Self {
        let mut jieba = Jieba::with_dict(&mut SEGMENTER_DICT.as_bytes())
            .expect("the embedded dictionary parses");
        for (word, freq) in &base.dict {
            jieba.add_word(word, freq.or(Some(20_000)), None);
        }
        let mut canonical = HashMap::new();
        for syn in &base.synonyms {
            jieba.add_word(&syn.canonical, Some(20_000), None);
            for v in &syn.variants {
                let v = crate::text::normalize(v);
                if !v.is_empty() && v != syn.canonical {
                    canonical.insert(v, syn.canonical.clone());
                }
            }
        }
        let mut pairs: Vec<(String, String)> = canonical.into_iter().collect();
        pairs.sort();
        let variants = (!pairs.is_empty()).then(|| {
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .match_kind(MatchKind::LeftmostLongest)
                .build(pairs.iter().map(|p| &p.0))
                .expect("literal variants")
        });
        Analyzer {
            jieba,
            variants,
            canonical: pairs.into_iter().map(|p| p.1).collect(),
        }
    }

    /// Rewrites every synonym variant to its canonical term.
    pub fn rewrite(&self, text: &str) -> String {
        let Some(ac) = &self.variants else {
            return text.to_owned();
        };
        let mut out = String::with_capacity(text.len());
        ac.replace_all_with(text, &mut out, |m, _, dst| {
            dst.push_str(&self.canonical[m.pattern().as_usize()]);
            true
        });
        out
    }

    /// True for a word of the segmenter's dictionary (general or domain).
    pub fn is_word(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }

    /// Every segmented word of `text` (no stop-word or de-duplication), for term statistics.
    pub fn all_terms(&self, text: &str) -> Vec<String> {
        self.jieba
            .cut(text, false)
            .into_iter()
            .map(str::trim)
            .filter(|w| !w.is_empty() && !w.chars().all(is_punct) && !STOP_WORDS.contains(w))
            .map(str::to_owned)
            .collect()
    }

    /// True when the (normalised and rewritten) text is one word and nothing else but particles and
    /// punctuation ("环评？", "危废证呢"): it names a topic and asks nothing about it.
    pub fn is_bare_term(&self, text: &str) -> bool {
        let mut content = self.jieba.cut(text, false).into_iter().filter(|w| {
            let w = w.trim();
            !w.is_empty() && !w.chars().all(is_punct) && !PARTICLES.contains(&w)
        });
        content.next().is_some() && content.next().is_none()
    }

    /// Matching terms of already normalised and rewritten text: search-mode segments (a compound also
    /// yields its parts), without punctuation and stop words, de-duplicated in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for word in self.jieba.cut_for_search(text, false) {
            let w = word.trim();
            if w.is_empty() || w.chars().all(is_punct) || STOP_WORDS.contains(&w) {
                continue;
            }
            if !out.iter().any(|o| o == w) {
                out.push(w.to_owned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::Synonym;

    fn analyzer() -> Analyzer {
        let base = FaqBase {
            synonyms: vec![
                Synonym {
                    canonical: "环评".into(),
                    variants: vec!["环境影响评价".into(), "环境评价".into()],
                },
                Synonym {
                    canonical: "危废".into(),
                    variants: vec!["危险废物".into()],
                },
            ],
            dict: vec![("告知承诺制".into(), None)],
            ..FaqBase::default()
        };
        Analyzer::build(&base)
    }

    #[test]
    fn synonym_variants_become_canonical() {
        let a = analyzer();
        assert_eq!(a.rewrite("环境影响评价和危险废物"), "环评和危废");
    }

    #[test]
    fn stop_words_and_punctuation_are_dropped() {
        let a = analyzer();
        assert_eq!(a.terms("我们的环评怎么办？"), vec!["环评"]);
    }

    #[test]
    fn one_word_with_particles_is_a_bare_term() {
        let a = analyzer();
        for t in ["环评", "环评？", "危废呢", "告知承诺制吗"] {
            assert!(a.is_bare_term(t), "{t}");
        }
        for t in ["", "？", "环评能用吗", "危废转移", "我们的环评"] {
            assert!(!a.is_bare_term(t), "{t}");
        }
    }

    #[test]
    fn dictionary_words_stay_whole() {
        let a = analyzer();
        assert!(
            a.terms("可以实行告知承诺制吗")
                .contains(&"告知承诺制".to_string())
        );
    }

    #[test]
    fn mixed_digits_and_latin_are_segmented_stably() {
        let a = analyzer();
        assert_eq!(
            a.terms("医院新增dr设备"),
            vec!["医院", "新增", "dr", "设备"]
        );
    }
}
