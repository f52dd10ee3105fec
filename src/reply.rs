//! The words the bot says: answers with their citation, numbered suggestions, the escalation notice and the
//! help text (splitting a long reply to a platform's byte limit is the platform layer's business). What
//! is said about a measure not in force on the day asked (`on`) is in [`notice`]; what officers read, and
//! their answers as posted into groups, in [`officer`].

pub mod notice;
pub mod officer;

use crate::faq::{Date, Entry, FaqBase, Status};
use crate::knowledge::NOT_IN_FORCE;
use crate::matcher::{Candidate, Decision, NOT_A_QUESTION, Outcome, THANKS};
use crate::snapshot::Snapshot;

/// The reply to a decision, without platform decoration (@-mentions are added by the platform layer).
/// `ticket` is the escalation ticket number when one was opened (for a message with two questions, the
/// ticket opened for the other one); `on` the day measures are judged on. `kb` is the snapshot that made
/// the decision, where its entry ids resolve.
pub fn render(kb: &Snapshot, d: &Decision, ticket: Option<Ticketed>, on: Date) -> String {
    match d.outcome {
        Outcome::Answered => {
            let first = best_entry(kb, d).map_or_else(help_text, |e| {
                let at_home = d.home.is_some_and(|h| kb.applies_at(e.id.as_str(), h));
                answer_for(&kb.base, e, on, at_home)
            });
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
        Outcome::Smalltalk => match d.reason {
            Some(NOT_A_QUESTION) => STRAY_HINT.to_owned(),
            Some(THANKS) => THANKS_REPLY.to_owned(),
            _ => help_text(),
        },
    }
}

/// A ticket opened for a question, and what its asker can be promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticketed {
    pub id: u64,
    /// When officers usually answer (`officers.sla`); `None`: no officer channel is configured, so
    /// nobody will see the ticket.
    pub within: Option<std::time::Duration>,
}

/// The reply to a number or command word sent outside the exchange it belongs to: one line on how to ask.
pub const STRAY_HINT: &str =
    "没有等您选择的问题。请 @我 并直接写出完整的问题，例如“@我 环评审批能否网上办”。";

/// The reply to thanks and acknowledgements.
pub const THANKS_REPLY: &str = "不客气。还有问题请随时 @我。";

/// "24小时", "30分钟", "2天".
fn span(d: std::time::Duration) -> String {
    let mins = d.as_secs().div_ceil(60);
    match (mins % 60, mins / 60) {
        (_, 0) => format!("{mins}分钟"),
        (0, h) if h > 48 && h % 24 == 0 => format!("{}天", h / 24),
        (0, h) => format!("{h}小时"),
        (m, h) => format!("{h}小时{m}分钟"),
    }
}

/// The entry of a decision's best candidate.
fn best_entry<'a>(kb: &'a Snapshot, d: &Decision) -> Option<&'a Entry> {
    d.best().and_then(|c| kb.entry(c.id.as_str()))
}

/// An entry's answer as of `on`: in force, the quote as it is (with a note if it ends soon); otherwise a
/// plain statement of its status first, the quote as history, and where to turn.
pub fn answer(base: &FaqBase, entry: &Entry, on: Date) -> String {
    answer_for(base, entry, on, false)
}

/// [`answer`] for a group: `at_home` when the group is configured as a place where the measure applies,
/// so a local measure is said to be that place's without sending readers to their own local rules.
fn answer_for(base: &FaqBase, entry: &Entry, on: Date, at_home: bool) -> String {
    let t = &entry.timeline;
    let status = t.status(on);
    let quote = quote(base, entry, at_home);
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
/// A city's or county's measure says so first, before the quote, so that a reader on a phone knows whose
/// practice it is before reading it (a city's measure answers a question naming no place only as that
/// city's); outside a group of a place where it applies (`at_home`), readers are sent to their own rules.
fn quote(base: &FaqBase, e: &Entry, at_home: bool) -> String {
    let mut out = match (e.place(), at_home) {
        (Some(place), true) => format!("以下是{place}的做法：\n"),
        (Some(place), false) => format!("以下是{place}的做法，其他地区请以当地规定为准：\n"),
        (None, _) => String::new(),
    };
    out.push_str(e.answer.trim());
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
pub fn clarify(kb: &Snapshot, candidates: &[Candidate], on: Date) -> String {
    let mut out = String::from("您想问的是下面哪一个？请 @我 并回复序号：");
    let entries = candidates.iter().filter_map(|c| kb.entry(c.id.as_str()));
    for (i, e) in entries.enumerate() {
        let tag = notice::tag(e.timeline.status(on));
        out.push_str(&format!("\n{}. {}{tag}", i + 1, e.question));
    }
    out.push_str("\n都不是的话，请换个说法再问，或 @我 回复“人工”转交工作人员。");
    out
}

/// The notice that a question went to the human queue, with when to expect the answer; said plainly
/// when no officer channel is configured.
pub fn escalated(ticket: Option<Ticketed>) -> String {
    match ticket {
        Some(Ticketed {
            id,
            within: Some(d),
        }) => format!(
            "这个问题需要工作人员确认，已转交工作人员（工单 #{id}），一般在{}内答复，答复后会在本群通知您。",
            span(d)
        ),
        Some(Ticketed { id, within: None }) => format!(
            "这个问题需要工作人员确认，已登记为工单 #{id}；但本服务尚未配置工作人员接收渠道，暂时无人处理，请直接联系主管部门。"
        ),
        None => "这个问题需要工作人员确认，将转交人工处理，答复后会在本群通知您。".to_owned(),
    }
}

/// The part of a reply about the second question of a message: its answer, or that it was escalated.
fn other_question(kb: &Snapshot, other: &Decision, ticket: Option<Ticketed>, on: Date) -> String {
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
pub fn escalation(kb: &Snapshot, d: &Decision, ticket: Option<Ticketed>, on: Date) -> String {
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

/// The reply to anything that is not text.
pub const TEXT_ONLY: &str = "暂只支持文字提问，请用文字描述您的问题。";

/// The reply to a new question beyond the flood limits (`[officers] max_new_tickets_per_*`).
pub const THROTTLED: &str = "您和本群近期提交给工作人员的新问题较多，工作人员会先处理已有的工单，答复后会在群里通知。请稍后再提交新的问题。";

/// The reply to a number beyond the `n` suggestions offered.
pub fn pick_out_of_range(n: usize) -> String {
    format!("请 @我 回复 1 到 {n} 之间的序号，或换个说法重新提问。")
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
    fn promises_name_the_time_in_plain_units() {
        let h = |n: u64| std::time::Duration::from_secs(n * 3600);
        assert_eq!(span(h(24)), "24小时");
        assert_eq!(span(h(72)), "3天");
        assert_eq!(span(std::time::Duration::from_secs(1800)), "30分钟");
        assert_eq!(span(std::time::Duration::from_secs(5400)), "1小时30分钟");
    }

    #[test]
    fn a_note_follows_the_citation_marked_as_the_departments() {
        use crate::faq::fixtures;
        let mut e = fixtures::entry("d", "q", &[], &[], "漂白粉（主要成分次氯酸钠）");
        e.note = Some("漂白粉的主要成分为次氯酸钙。".into());
        let base = fixtures::base(vec![e], "漂白粉（主要成分次氯酸钠）");
        assert_eq!(
            quote(&base, &base.entries[0], false),
            "漂白粉（主要成分次氯酸钠）\n——《T》一，I，2020-02-21\n编者注（本部门注，非政策原文）：漂白粉的主要成分为次氯酸钙。"
        );
    }

    #[test]
    fn a_local_measure_says_whose_it_is_before_the_quote() {
        use crate::faq::fixtures;
        let mut e = fixtures::entry("k", "q", &[], &[], "20天压缩到2天");
        e.applies_to.place = Some("开封".into());
        let base = fixtures::base(vec![e], "20天压缩到2天");
        assert_eq!(
            quote(&base, &base.entries[0], false),
            "以下是开封的做法，其他地区请以当地规定为准：\n20天压缩到2天\n——《T》一，I，2020-02-21"
        );
        // In a group of a place where it applies, readers need not be sent to their own rules.
        assert_eq!(
            quote(&base, &base.entries[0], true),
            "以下是开封的做法：\n20天压缩到2天\n——《T》一，I，2020-02-21"
        );
    }
}
