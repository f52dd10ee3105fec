//! What officers read and what the bot posts on their behalf: notifications of new tickets, reminders,
//! delivery failures, the replies to their commands, and an officer's answer as posted into the asker's
//! group. Everything users and officers wrote passes through [`crate::sanitize`] on its way in.

use crate::sanitize::{NAME_CHARS, QUESTION_CHARS, staff_text, user_text};
use crate::store::{Draft, Status, Ticket};

/// The officers' commands, as the bot explains them.
pub const HELP: &str = "工作人员指令：待办 ｜ 认领 12 ｜ 答复 12 答复内容 ｜ 答复 12 #FAQ编号 ｜ 关闭 12 原因 ｜ 重开 12 ｜ 入库 12";
/// A command from someone in an officer group who is not a registered officer.
pub const NOT_AN_OFFICER: &str = "本群的工单指令仅限登记的工作人员使用。";
/// A command that failed for a reason officers cannot act on (the cause is logged).
pub const FAILED: &str = "操作失败，请稍后重试。";
/// How many tickets `待办` lists.
const LIST_MAX: usize = 20;

/// "3天2小时", "5小时", "12分钟".
pub fn age(ms: i64) -> String {
    let mins = (ms / 60_000).max(0);
    match (mins / 1440, (mins % 1440) / 60, mins % 60) {
        (0, 0, m) => format!("{m}分钟"),
        (0, h, _) => format!("{h}小时"),
        (d, h, _) => format!("{d}天{h}小时"),
    }
}

fn title(t: &Ticket) -> String {
    user_text(&t.group_title, NAME_CHARS)
}

fn question(q: &str) -> String {
    user_text(q, QUESTION_CHARS)
}

/// What officers are told when a question is escalated, or joins an open ticket.
pub fn notification(t: &Ticket, joined: bool) -> String {
    let asker = t.askers.last().map_or("", |a| a.nick.as_str());
    let asked = t
        .askers
        .last()
        .map_or(t.question.as_str(), |a| a.question.as_str());
    let mut out = if joined {
        format!(
            "【工单 #{} 新增提问人】{} 也问了同一问题（共{}人）",
            t.id,
            user_text(asker, NAME_CHARS),
            t.askers.len()
        )
    } else {
        format!(
            "【新工单 #{}】\n群：{}\n提问人：{}\n问题：{}",
            t.id,
            title(t),
            user_text(asker, NAME_CHARS),
            question(asked)
        )
    };
    if !joined && !t.guesses.is_empty() {
        out.push_str("\n机器人的猜测：");
        for (i, g) in t.guesses.iter().enumerate() {
            out.push_str(&format!(
                "\n{}. {}（{}，{:.2}）",
                i + 1,
                g.question,
                g.faq_id,
                g.score
            ));
        }
    }
    out.push_str(&format!(
        "\n处理：认领 {0} ｜ 答复 {0} 内容 ｜ 关闭 {0} 原因",
        t.id
    ));
    out
}

/// SLA reminder for an overdue ticket.
pub fn reminder(t: &Ticket, now: i64) -> String {
    format!(
        "【超时提醒】工单 #{} 已等待{}（{}）：{}",
        t.id,
        age(now - t.created_ms),
        t.status.as_str(),
        question(&t.question)
    )
}

/// The officer's answer as posted into the originating group (mentions are added by the sender): the
/// question quoted as user text, the answer as staff text.
pub fn answer_text(t: &Ticket) -> String {
    format!(
        "关于您的提问“{}”（工单 #{}），工作人员答复如下：\n{}",
        question(&t.question),
        t.id,
        staff_text(t.answer.as_deref().unwrap_or(""))
    )
}

/// Officers are told that a ticket's answer could not be delivered, and why.
pub fn delivery_failed(ticket: u64, error: &str) -> String {
    format!(
        "【投递失败】工单 #{ticket} 的答复未能发送到群：{}",
        user_text(error, QUESTION_CHARS)
    )
}

/// `待办`: pending tickets, oldest first, at most [`LIST_MAX`].
pub fn pending(tickets: &[Ticket], now: i64) -> String {
    if tickets.is_empty() {
        return "目前没有待办工单。".to_owned();
    }
    let lines: Vec<String> = tickets
        .iter()
        .take(LIST_MAX)
        .map(|t| {
            format!(
                "#{} [{}] {} {}：{}",
                t.id,
                t.status.as_str(),
                age(now - t.created_ms),
                title(t),
                question(&t.question)
            )
        })
        .collect();
    format!(
        "待办工单（{}，从早到晚）：\n{}",
        tickets.len(),
        lines.join("\n")
    )
}

pub fn claimed(t: &Ticket) -> String {
    format!("已认领工单 #{}。", t.id)
}

pub fn answered(t: &Ticket) -> String {
    format!("工单 #{} 已答复，正在发送到“{}”。", t.id, title(t))
}

pub fn taught(t: &Ticket, faq_id: &str) -> String {
    format!(
        "工单 #{} 已用 FAQ #{faq_id} 答复，正在发送到“{}”；提问已存为该条目的待审说法。",
        t.id,
        title(t)
    )
}

pub fn closed(t: &Ticket) -> String {
    format!("工单 #{} 已关闭。", t.id)
}

pub fn reopened(t: &Ticket) -> String {
    format!("工单 #{} 已重开。", t.id)
}

pub fn drafted(d: &Draft) -> String {
    format!(
        "工单 #{} 已存为FAQ草稿，审核后才会用于自动答复（policybot faq drafts）。",
        d.ticket
    )
}

pub fn no_such_ticket(id: u64) -> String {
    format!("没有工单 #{id}。")
}

pub fn refused(id: u64, status: Status) -> String {
    format!("工单 #{id} 当前状态为 {}，不能这样操作。", status.as_str())
}

pub fn no_such_entry(faq_id: &str) -> String {
    format!("没有编号为 {faq_id} 的FAQ条目。")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(5 * 60_000), "5分钟");
        assert_eq!(age(3 * 3_600_000 + 60_000), "3小时");
        assert_eq!(age(26 * 3_600_000), "1天2小时");
    }
}
