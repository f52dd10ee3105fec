//! The words the bot says: answers with their citation, numbered suggestions, the escalation notice and the
//! help text (splitting a long reply to a platform's byte limit is the platform layer's business). What
//! is said about a measure not in force on the day asked (`on`) is in [`notice`].

pub mod notice;

use crate::faq::{Date, Entry, FaqBase, Status};
use crate::knowledge::NOT_IN_FORCE;
use crate::matcher::{Candidate, Decision, Outcome};
use crate::snapshot::Snapshot;

/// The reply to a decision, without platform decoration (@-mentions are added by the platform layer).
/// `ticket` is the escalation ticket number when one was opened (for a message with two questions, the
/// ticket opened for the other one); `on` the day measures are judged on. `kb` is the snapshot that made
/// the decision, where its entry ids resolve.
pub fn render(kb: &Snapshot, d: &Decision, ticket: Option<u64>, on: Date) -> String {
    match d.outcome {
        Outcome::Answered => {
            let first = best_entry(kb, d).map_or_else(help_text, |e| answer(&kb.base, e, on));
            match d.other.as_deref() {
                Some(other) => format!(
                    "{first}

{}",
                    other_question(kb, other, ticket, on)
                ),
                None => first,
            }
        }
        Outcome::Clarify => clarify(kb, &d.candidates, on),
        Outcome::Escalated => escalation(kb, d, ticket, on),
        Outcome::Smalltalk => help_text(),
    }
}

/// The entry of a decision's best candidate.
fn best_entry<'a>(kb: &'a Snapshot, d: &Decision) -> Option<&'a Entry> {
    d.best().and_then(|c| kb.entry(c.id.as_str()))
}

/// An entry's answer as of `on`: in force, the quote as it is (with a note if it ends soon); otherwise a
/// plain statement of its status first, the quote as history, and where to turn.
pub fn answer(base: &FaqBase, entry: &Entry, on: Date) -> String {
    let t = &entry.timeline;
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

/// An entry's verbatim answer, its citation and validity note, whose measure it is when it is one place's
/// (a city's measure answers a question naming no place only as that city's), then the department's note
/// if it has one.
fn quote(base: &FaqBase, e: &Entry) -> String {
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
    if let Some(place) = e.place() {
        out.push_str(&format!("\n（{place}的做法，其他地区请以当地规定为准）"));
    }
    if let Some(n) = e.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        out.push_str(&format!("\n{NOTE_MARK}{n}"));
    }
    out
}

/// Numbered suggestions, tagged when not in force on `on`; the asker replies with the number.
pub fn clarify(kb: &Snapshot, candidates: &[Candidate], on: Date) -> String {
    let mut out = String::from("您想问的是下面哪一个？请回复序号：");
    let entries = candidates.iter().filter_map(|c| kb.entry(c.id.as_str()));
    for (i, e) in entries.enumerate() {
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
fn other_question(kb: &Snapshot, other: &Decision, ticket: Option<u64>, on: Date) -> String {
    match (other.outcome, best_entry(kb, other)) {
        (Outcome::Answered, Some(e)) => {
            format!("关于您的另一个问题：\n{}", answer(&kb.base, e, on))
        }
        _ => format!(
            "您的另一个问题（{}）{}",
            other.normalized,
            escalation(kb, other, ticket, on)
        ),
    }
}

/// The escalation notice: opening with the status of the measure when that is why it was escalated;
/// for a question about a measure that does not state what was asked, what an officer will confirm and
/// the measure quoted for reference.
pub fn escalation(kb: &Snapshot, d: &Decision, ticket: Option<u64>, on: Date) -> String {
    let reference = d
        .reference
        .as_ref()
        .and_then(|r| Some((r, kb.entry(r.id.as_str())?)));
    if let Some((r, e)) = reference {
        return format!(
            "您问的{}，政策原文没有写明，需要工作人员确认。{}\n\n供参考（相关政策原文）：\n{}",
            r.detail.confirm(),
            escalated(ticket).trim_start_matches("这个问题需要工作人员确认，"),
            answer(&kb.base, e, on)
        );
    }
    let measure = best_entry(kb, d).filter(|_| d.reason == Some(NOT_IN_FORCE));
    let opening = measure.and_then(|e| notice::statement(&e.timeline, e.timeline.status(on)));
    format!("{}{}", opening.unwrap_or_default(), escalated(ticket))
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
            quote(&base, &base.entries[0]),
            "漂白粉（主要成分次氯酸钠）\n——《T》一，I，2020-02-21\n编者注（本部门注，非政策原文）：漂白粉的主要成分为次氯酸钙。"
        );
    }

    #[test]
    fn a_local_measure_says_whose_it_is_after_the_citation() {
        use crate::faq::fixtures;
        let mut e = fixtures::entry("k", "q", &[], &[], "20天压缩到2天");
        e.applies_to.place = Some("开封".into());
        let base = fixtures::base(vec![e], "20天压缩到2天");
        assert_eq!(
            quote(&base, &base.entries[0]),
            "20天压缩到2天\n——《T》一，I，2020-02-21\n（开封的做法，其他地区请以当地规定为准）"
        );
    }
}
