//! The words the bot says: answers with their citation, numbered suggestions, the escalation notice and the
//! help text; plus splitting a long reply to fit a platform's byte limit at sentence boundaries. What is
//! said about a measure not in force on the day asked (`on`) is in [`notice`]; what officers read, and
//! their answers as posted into groups, in [`officer`].

pub mod notice;
pub mod officer;

use crate::faq::{Date, FaqBase, Status};
use crate::knowledge::NOT_IN_FORCE;
use crate::matcher::{Candidate, Decision, Outcome};

/// WeCom's text message limit in bytes (UTF-8); DingTalk allows more.
pub const WECOM_TEXT_LIMIT: usize = 2048;

/// The reply to a decision, without platform decoration (@-mentions are added by the platform layer).
/// `ticket` is the escalation ticket number when one was opened (for a message with two questions, the
/// ticket opened for the other one); `on` the day measures are judged on.
pub fn render(base: &FaqBase, d: &Decision, ticket: Option<u64>, on: Date) -> String {
    match d.outcome {
        Outcome::Answered => {
            let first = d
                .best()
                .map_or_else(help_text, |c| answer(base, c.entry, on));
            match d.other.as_deref() {
                Some(other) => format!(
                    "{first}

{}",
                    other_question(base, other, ticket, on)
                ),
                None => first,
            }
        }
        Outcome::Clarify => clarify(base, &d.candidates, on),
        Outcome::Escalated => escalation(base, d, ticket, on),
        Outcome::Smalltalk => help_text(),
    }
}

/// An entry's answer as of `on`: in force, the quote as it is (with a note if it ends soon); otherwise a
/// plain statement of its status first, the quote as history, and where to turn.
pub fn answer(base: &FaqBase, entry: usize, on: Date) -> String {
    let t = &base.entries[entry].timeline;
    let status = t.status(on);
    let quote = quote(base, entry);
    if let Some(opening) = notice::opening(t, status) {
        return format!("{opening}\n{quote}\n{}", notice::closing(t));
    }
    match notice::ending_soon(t).filter(|_| status == Status::Expiring) {
        Some(note) => format!("{quote}\n{note}"),
        None => quote,
    }
}

/// How the department's note is introduced: after the citation, never inside the quoted text.
pub const NOTE_MARK: &str = "编者注（本部门注，非政策原文）：";

/// An entry's verbatim answer, its citation and validity note, then the department's note if it has one.
fn quote(base: &FaqBase, entry: usize) -> String {
    let e = &base.entries[entry];
    let mut out = e.answer.trim().to_owned();
    if let Some(src) = base.source_of(e) {
        out.push_str(&format!(
            "\n——《{}》{}，{}，{}",
            src.title, e.clause, src.issuer, e.date
        ));
    }
    if let Some(v) = e.validity.as_deref().filter(|v| !v.is_empty()) {
        out.push_str(&format!("\n（{v}）"));
    }
    if let Some(n) = e.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        out.push_str(&format!("\n{NOTE_MARK}{n}"));
    }
    out
}

/// Numbered suggestions, tagged when not in force on `on`; the asker replies with the number.
pub fn clarify(base: &FaqBase, candidates: &[Candidate], on: Date) -> String {
    let mut out = String::from("您想问的是下面哪一个？请回复序号：");
    for (i, c) in candidates.iter().enumerate() {
        let e = &base.entries[c.entry];
        let tag = notice::tag(e.timeline.status(on));
        out.push_str(&format!("\n{}. {}{tag}", i + 1, e.question));
    }
    out.push_str("\n都不是的话，请换个说法再问，或回复“人工”转交工作人员。");
    out
}

/// The notice that a question went to the human queue.
pub fn escalated(ticket: Option<u64>) -> String {
    match ticket {
        Some(n) => {
            format!("这个问题需要工作人员确认，已转交工作人员（工单 #{n}），答复后会在本群通知您。")
        }
        None => "这个问题需要工作人员确认，将转交人工处理，答复后会在本群通知您。".to_owned(),
    }
}

/// The part of a reply about the second question of a message: its answer, or that it was escalated.
fn other_question(base: &FaqBase, other: &Decision, ticket: Option<u64>, on: Date) -> String {
    match (other.outcome, other.best()) {
        (Outcome::Answered, Some(c)) => {
            format!("关于您的另一个问题：\n{}", answer(base, c.entry, on))
        }
        _ => format!(
            "您的另一个问题（{}）{}",
            other.normalized,
            escalation(base, other, ticket, on)
        ),
    }
}

/// The escalation notice: opening with the status of the measure when that is why it was escalated;
/// for a question about a measure that does not state what was asked, what an officer will confirm and
/// the measure quoted for reference.
pub fn escalation(base: &FaqBase, d: &Decision, ticket: Option<u64>, on: Date) -> String {
    if let Some(r) = d.reference {
        return format!(
            "您问的{}，政策原文没有写明，需要工作人员确认。{}\n\n供参考（相关政策原文）：\n{}",
            r.detail.confirm(),
            escalated(ticket).trim_start_matches("这个问题需要工作人员确认，"),
            answer(base, r.entry, on)
        );
    }
    let measure = d.best().filter(|_| d.reason == Some(NOT_IN_FORCE));
    let opening = measure.and_then(|c| {
        let t = &base.entries[c.entry].timeline;
        notice::statement(t, t.status(on))
    });
    format!("{}{}", opening.unwrap_or_default(), escalated(ticket))
}

/// The reply to anything that is not text.
pub const TEXT_ONLY: &str = "暂只支持文字提问，请用文字描述您的问题。";

/// The reply to a new question beyond the flood limits (`[officers] max_new_tickets_per_*`).
pub const THROTTLED: &str = "您和本群近期提交给工作人员的新问题较多，工作人员会先处理已有的工单，答复后会在群里通知。请稍后再提交新的问题。";

/// The reply to a number beyond the `n` suggestions offered.
pub fn pick_out_of_range(n: usize) -> String {
    format!("请回复 1 到 {n} 之间的序号，或换个说法重新提问。")
}

/// What the bot can do, for greetings, thanks and bare mentions.
pub fn help_text() -> String {
    "您好，我是生态环境政策咨询助手，@我并直接提问即可，例如：\n\
     · 疫情期间转产口罩、防护服要不要办环评\n\
     · 辐射安全许可证、危废经营许可证到期怎么办\n\
     · 环评审批能否网上办、报告表是否还做技术评估\n\
     · 现代环境治理体系、危险化学品安全生产的政策要求\n\
     · 员工返岗、戴口罩、消毒等个人防护\n\
     答复均引用政策原文并注明出处；政策库答不了的问题会转交工作人员。"
        .to_owned()
}

/// Splits `text` into parts of at most `limit` bytes, preferring line and sentence ends, never inside a
/// UTF-8 character.
pub fn split_for_limit(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.len() > limit {
        let cut = best_cut(rest, limit);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// The largest byte offset ≤ limit that ends a line, else a sentence, else a character.
fn best_cut(s: &str, limit: usize) -> usize {
    let window = &s[..floor_char_boundary(s, limit)];
    let after = |pat: &[char]| {
        window
            .rfind(pat)
            .map(|i| i + window[i..].chars().next().map_or(1, char::len_utf8))
    };
    after(&['\n'])
        .or_else(|| after(&['。', '！', '？', '；', '!', '?', ';']))
        .or_else(|| after(&['，', ',']))
        .filter(|&i| i > 0)
        .unwrap_or(window.len().max(1))
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_follows_the_citation_marked_as_the_departments() {
        use crate::faq::fixtures;
        let mut e = fixtures::entry("d", "q", &[], &[], "漂白粉（主要成分次氯酸钠）");
        e.note = Some("漂白粉的主要成分为次氯酸钙。".into());
        let base = fixtures::base(vec![e], "漂白粉（主要成分次氯酸钠）");
        assert_eq!(
            quote(&base, 0),
            "漂白粉（主要成分次氯酸钠）\n——《T》一，I，2020-02-21\n编者注（本部门注，非政策原文）：漂白粉的主要成分为次氯酸钙。"
        );
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_for_limit("一句话。", 2048), vec!["一句话。"]);
    }

    #[test]
    fn long_text_splits_at_sentence_ends_within_the_limit() {
        let sentence = "对疫情防控急需的建设项目，可豁免环评手续。";
        let text = sentence.repeat(200);
        let parts = split_for_limit(&text, WECOM_TEXT_LIMIT);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.len() <= WECOM_TEXT_LIMIT, "{}", p.len());
            assert!(p.ends_with('。'), "{p}");
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn text_without_punctuation_splits_on_char_boundaries() {
        let text = "环".repeat(1000);
        let parts = split_for_limit(&text, 100);
        assert!(parts.iter().all(|p| p.len() <= 100 && !p.is_empty()));
        assert_eq!(parts.concat(), text);
    }
}
