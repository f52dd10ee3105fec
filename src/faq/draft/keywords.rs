//! Keywords of a draft: each clause's top TF-IDF terms against the document's other clauses, leaving out
//! the words of policy prose, numbers, dates and words of time (`2026`, `50`, `31日`, `期间`), which say
//! nothing about what a clause is about and would make the entry answer any question with a number.

use super::Clause;
use std::collections::HashMap;

/// Words of policy prose that say nothing about what a clause is about.
const GENERIC: &[&str] = &[
    "关于",
    "工作",
    "按照",
    "进行",
    "加强",
    "推进",
    "建立",
    "完善",
    "开展",
    "推动",
    "坚持",
    "实施",
    "落实",
    "强化",
    "健全",
    "提高",
    "提升",
    "全面",
    "进一步",
    "有关",
    "相关",
    "各级",
    "各地",
    "部门",
    "要求",
    "意见",
    "制度",
    "体系",
    "机制",
];

/// Words of time that say nothing about what a clause is about (期间 would match every epidemic question).
const TIME_WORDS: &[&str] = &[
    "期间",
    "日前",
    "日内",
    "以内",
    "之前",
    "之后",
    "以前",
    "以后",
    "以来",
    "当日",
    "当天",
    "年度",
    "月底",
    "年底",
    "目前",
    "当前",
    "届时",
    "工作日",
    "同时",
];

/// Characters of numbers, dates and counts: a word made only of them is no keyword (2026, 50, 31日, 第一).
const NUMBER_CHARS: &str = "0123456789０１２３４５６７８９.．%％一二三四五六七八九十百千万亿零〇两年月日号时分秒天个项条款次第元";

/// A term that can say what a clause is about.
pub fn is_keyword(t: &str) -> bool {
    t.chars().count() >= 2
        && !GENERIC.contains(&t)
        && !TIME_WORDS.contains(&t)
        && !t.chars().all(|c| NUMBER_CHARS.contains(c))
}

/// Top `k` TF-IDF terms of each clause, with clauses as the documents; `words` segments a text (the
/// caller's segmenter: the base's own module does not depend on the matcher built from it).
pub fn tfidf(
    words: impl Fn(&str) -> Vec<String>,
    clauses: &[Clause],
    k: usize,
) -> Vec<Vec<String>> {
    let docs: Vec<Vec<String>> = clauses
        .iter()
        .map(|c| {
            words(&c.text)
                .into_iter()
                .filter(|t| is_keyword(t))
                .collect()
        })
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for d in &docs {
        let mut uniq: Vec<&str> = d.iter().map(String::as_str).collect();
        uniq.sort_unstable();
        uniq.dedup();
        for t in uniq {
            *df.entry(t).or_default() += 1;
        }
    }
    let n = docs.len() as f32;
    docs.iter()
        .map(|d| {
            let mut tf: HashMap<&str, f32> = HashMap::new();
            for t in d {
                *tf.entry(t).or_default() += 1.0;
            }
            let mut scored: Vec<(&str, f32)> = tf
                .into_iter()
                .map(|(t, f)| (t, f * ((n + 1.0) / (df[t] as f32 + 1.0)).ln()))
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            scored
                .into_iter()
                .take(k)
                .map(|(t, _)| t.to_owned())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dates_and_words_of_time_are_no_keywords() {
        for word in [
            "2026",
            "60",
            "31日",
            "３０",
            "第一",
            "十个",
            "期间",
            "工作日",
            "加强",
        ] {
            assert!(!is_keyword(word), "{word}");
        }
        for word in ["纸质", "延续", "承诺书", "5G基站"] {
            assert!(is_keyword(word), "{word}");
        }
    }
}
