//! Splits a message that asks more than one question ("…要环评吗？另外社保能缓交吗") into its questions.
//! Sentences that ask nothing (context such as "我们是做口罩的") stay with the question they introduce, so
//! a message with one question is never split.

use regex::Regex;
use std::sync::LazyLock;

/// Sentence ends, and the words that start a second question.
static BOUNDARY: LazyLock<Regex> = LazyLock::new(|| {
    small(
        r"[？?。！!；;]+|\s+|(?:另外|顺便问一?下|顺便问问|顺便|还有一?个问题|还有个事|还有就是|还想问一?下|再问一?下|再问个)[，,：:]?",
    )
});

/// Signs that a sentence asks something.
static ASKS: LazyLock<Regex> = LazyLock::new(|| {
    small(
        r"[吗么呢嘛]|不$|怎|如何|什么|啥|哪|几|多少|多久|是否|能否|可否|可不可以|能不能|要不要|是不是|有没有|会不会|行不行|用不用|需不需要|算不算|咋|谁|[?？]",
    )
});

/// A regex with a small lazy-DFA cache (it runs once per message on short text).
fn small(pattern: &str) -> Regex {
    regex::RegexBuilder::new(pattern)
        .dfa_size_limit(1 << 17)
        .build()
        .expect("static regex")
}

/// The questions of a (normalised) message; one element when the message asks one question (or none).
/// Each question carries what was said before it (context, and earlier questions it may refer to) back
/// to the last word that opens a new question (另外, 顺便问下…), so "…是啥？进了有什么好处" keeps its subject.
pub fn questions(text: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut since_marker = String::new();
    let mut asked_since = false;
    let mut last = 0;
    let mut ends: Vec<(usize, usize)> = BOUNDARY
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    ends.push((text.len(), text.len()));
    for (start, end) in ends {
        let sentence = &text[last..start];
        let boundary = &text[start..end];
        last = end;
        since_marker.push_str(sentence);
        if ASKS.is_match(sentence) && sentence.chars().filter(|c| is_han(*c)).count() >= 4 {
            parts.push(since_marker.clone());
            asked_since = true;
        }
        if boundary.chars().any(is_han) {
            since_marker.clear();
            asked_since = false;
        } else {
            since_marker.push_str(boundary);
        }
    }
    if !asked_since && !since_marker.trim().is_empty() {
        match parts.last_mut() {
            Some(p) => p.push_str(&since_marker),
            None => parts.push(since_marker),
        }
    }
    if parts.len() < 2 {
        return vec![text.to_owned()];
    }
    parts
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_question_with_context_is_not_split() {
        let q = "我们是做口罩的。转产要环评吗？";
        assert_eq!(questions(q), vec![q.to_owned()]);
    }

    #[test]
    fn two_questions_are_split_with_their_context() {
        let parts = questions("我们厂转产口罩，要办环评吗？另外企业所得税能缓交吗");
        assert_eq!(
            parts,
            vec!["我们厂转产口罩，要办环评吗", "企业所得税能缓交吗"]
        );
    }

    #[test]
    fn a_follow_up_keeps_the_question_it_refers_to() {
        let parts = questions("正面清单是什么？进了有什么好处");
        assert_eq!(
            parts,
            vec!["正面清单是什么", "正面清单是什么？进了有什么好处"]
        );
    }

    #[test]
    fn a_question_ending_in_bu_is_a_question() {
        let parts = questions("防疫企业能进正面清单吗？另外电费能减免不");
        assert_eq!(parts, vec!["防疫企业能进正面清单吗", "电费能减免不"]);
    }

    #[test]
    fn a_single_run_on_question_stays_whole() {
        let q = "环评审批现在能不能网上办";
        assert_eq!(questions(q), vec![q.to_owned()]);
    }
}
