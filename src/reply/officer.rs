//! What officers read and what the bot posts on their behalf: notifications of new tickets, reminders,
//! delivery failures, the replies to their commands, and an officer's answer as posted into the asker's
//! group. Everything users and officers wrote passes through [`crate::sanitize`] on its way in.

use crate::sanitize::{NAME_CHARS, QUESTION_CHARS, staff_text, user_text};
use crate::store::{Draft, Status, Ticket, Undelivered};

/// The officers' commands, as the bot explains them: group robots receive only messages that @ them.
pub const HELP: &str = "工作人员指令（先 @机器人）：待办 ｜ 认领 12 ｜ 接手 12 ｜ 答复 12 答复内容 ｜ 答复 12 #FAQ编号 ｜ 关闭 12 原因 ｜ 合并 13 到 12 ｜ 重开 12 ｜ 入库 12";
/// A command from someone in an officer group who is not a registered officer.
pub const NOT_AN_OFFICER: &str = "本群的工单指令仅限登记的工作人员使用。";
/// A command that failed for a reason officers cannot act on (the cause is logged).
pub const FAILED: &str = "操作失败，请稍后重试。";
/// How many tickets `待办` lists.
const LIST_MAX: usize = 20;
/// How much of a question a list line shows.
const LIST_QUESTION_CHARS: usize = 40;

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
        "\n处理（先 @机器人）：认领 {0} ｜ 答复 {0} 内容 ｜ 关闭 {0} 原因",
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
        holder(t),
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

/// A repeat of a question the officers answered in ticket `t`: their answer again.
pub fn repeated_answer(t: &Ticket) -> String {
    format!(
        "工作人员此前答复过相同的问题（工单 #{}），答复如下：\n{}\n如果您的情况不同，请 @我 回复“人工”转交工作人员。",
        t.id,
        staff_text(t.answer.as_deref().unwrap_or(""))
    )
}

/// Officers are told that a message to a ticket's askers (its answer, or a notice) could not be
/// delivered, why, and what to do next.
pub fn delivery_failed(
    id: u64,
    t: Option<&Ticket>,
    answer: bool,
    error: &str,
    cause: Undelivered,
) -> String {
    let what = if answer { "答复" } else { "通知" };
    let group = t.map_or_else(|| "原群".to_owned(), |t| format!("群“{}”", title(t)));
    let askers = t.map_or_else(|| "提问人".to_owned(), names);
    let step = match cause {
        Undelivered::NotAllowed => format!(
            "该群的回复地址不在 server.allowed_outbound_hosts 允许的主机内（回调可能是伪造的）；请核实后直接在{group}里告知{askers}。"
        ),
        Undelivered::NoRoute => format!(
            "机器人已无法向该群发消息（会话已过期，且没有配置 dingtalk.robot_code）；请直接在{group}里告知{askers}，或配置后“@机器人 重开 {id}”再答复。"
        ),
        Undelivered::Refused => format!(
            "平台拒收了消息（机器人可能已被移出该群，或应用凭据有误）；请确认机器人仍在{group}里，再“@机器人 重开 {id}”并重新答复；也可直接在群里告知{askers}。"
        ),
        Undelivered::GaveUp => format!(
            "多次重试仍未成功（网络或平台故障）；请稍后“@机器人 重开 {id}”并重新答复，或直接在{group}里告知{askers}。"
        ),
    };
    format!(
        "【投递失败】工单 #{id} 的{what}未能发送到{group}：{}\n下一步：{step}",
        user_text(error, QUESTION_CHARS)
    )
}

/// The askers by name, once each: "张三、李四".
fn names(t: &Ticket) -> String {
    let mut seen: Vec<String> = Vec::new();
    for a in &t.askers {
        let n = user_text(&a.nick, NAME_CHARS);
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen.join("、")
}

/// "已认领（王科长）" or the status alone.
fn holder(t: &Ticket) -> String {
    match (t.status, &t.claimed_by) {
        (Status::Claimed, Some(by)) => {
            format!("{}（{}）", t.status.label(), user_text(by, NAME_CHARS))
        }
        _ => t.status.label().to_owned(),
    }
}

/// `待办`: pending tickets, oldest first, at most [`LIST_MAX`], each question shortened.
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
                holder(t),
                age(now - t.created_ms),
                title(t),
                user_text(&t.question, LIST_QUESTION_CHARS)
            )
        })
        .collect();
    let more = match tickets.len() > LIST_MAX {
        true => format!(
            "\n……另有 {} 个，请用 policybot queue 查看。",
            tickets.len() - LIST_MAX
        ),
        false => String::new(),
    };
    format!(
        "待办工单（{}，从早到晚）：\n{}{more}",
        tickets.len(),
        lines.join("\n")
    )
}

pub fn claimed(t: &Ticket) -> String {
    format!("已认领工单 #{}。", t.id)
}

pub fn taken_over(t: &Ticket, from: &str) -> String {
    match from {
        "" => claimed(t),
        _ => format!(
            "已接手工单 #{}（原由 {} 认领）。",
            t.id,
            user_text(from, NAME_CHARS)
        ),
    }
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

/// The officer's confirmation of a close: whether the askers are told.
pub fn closed(t: &Ticket) -> String {
    match t.answer {
        Some(_) => format!("工单 #{} 已关闭。", t.id),
        None => format!(
            "工单 #{} 已关闭，正在把原因告知“{}”里的提问人。",
            t.id,
            title(t)
        ),
    }
}

pub fn reopened(t: &Ticket) -> String {
    format!("工单 #{} 已重开，已告知提问人；请认领后重新答复。", t.id)
}

/// What the askers of a ticket closed without an answer are told.
pub fn closed_notice(t: &Ticket) -> String {
    format!(
        "关于您的提问“{}”（工单 #{}）：工作人员已结束处理，不再单独答复。原因：{}\n如有新的情况，请 @我 重新提问。",
        question(&t.question),
        t.id,
        staff_text(t.close_reason.as_deref().unwrap_or(""))
    )
}

/// What the askers of a ticket merged into ticket `into` are told.
pub fn merged_notice(t: &Ticket, into: u64) -> String {
    format!(
        "关于您的提问“{}”（工单 #{}）：与工单 #{into} 是同一问题，已并入工单 #{into}，答复后会在本群一并通知您。",
        question(&t.question),
        t.id
    )
}

pub fn merged(t: &Ticket, into: u64) -> String {
    format!("工单 #{} 已并入工单 #{into}，已告知提问人。", t.id)
}

/// What the askers of a reopened ticket are told.
pub fn reopened_notice(t: &Ticket) -> String {
    format!(
        "关于您的提问“{}”（工单 #{}）：工作人员已重新受理，答复后会在本群通知您。",
        question(&t.question),
        t.id
    )
}

pub fn drafted(d: &Draft) -> String {
    format!(
        "工单 #{} 已存为FAQ草稿，审核后才会用于自动答复（policybot faq drafts）。",
        d.ticket
    )
}

/// An action refused: why, in the service's words, and how to do it right where that helps.
pub fn refused(why: &str, id: Option<u64>) -> String {
    let usage = match (why, id) {
        (w, Some(id)) if w.starts_with("关闭") => format!("\n用法：@机器人 关闭 {id} 原因"),
        (w, Some(id)) if w.starts_with("答复内容") => {
            format!("\n用法：@机器人 答复 {id} 答复内容")
        }
        (w, Some(id)) if w.contains("不能合并") => {
            format!("\n用法：@机器人 合并 {id} 到 另一工单编号")
        }
        _ => String::new(),
    };
    format!("{why}。{usage}")
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
