//! Officers at work from their own groups: `待办`, `认领 12`, `答复 12 <text>`, `答复 12 #<faq_id>`
//! (see [`super::teach`]), `关闭 12 <reason>`, `重开 12`, `入库 12`; and the texts officers receive
//! (notifications, reminders) and the answer posted to the asker's group, with everything users and
//! officers wrote passed through [`crate::sanitize`].

use super::AppState;
use crate::platform::Inbound;
use crate::sanitize::{NAME_CHARS, QUESTION_CHARS, staff_text, user_text};
use crate::store::{Store, StoreError, Ticket, TicketFilter};
use regex::Regex;
use std::sync::LazyLock;

/// A parsed officer command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List,
    Claim(u64),
    Answer(u64, String),
    /// Answer with an FAQ entry: `答复 12 #faq_id`.
    AnswerWithEntry(u64, String),
    Close(u64, String),
    Reopen(u64),
    Learn(u64),
    Help,
}

static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(认领|答复|回复|关闭|重开|入库)\s*#?\s*(\d+)\s*[:：,，]?\s*([\s\S]*)$")
        .expect("static regex")
});

/// Parses an officer's message (the @ to the bot already stripped).
pub fn parse(text: &str) -> Command {
    let t = text.trim();
    if matches!(t, "待办" | "待办工单" | "工单" | "列表") {
        return Command::List;
    }
    let Some(c) = COMMAND.captures(t) else {
        return Command::Help;
    };
    let Ok(id) = c[2].parse::<u64>() else {
        return Command::Help;
    };
    let rest = c[3].trim().to_owned();
    match &c[1] {
        "认领" => Command::Claim(id),
        "答复" | "回复" if is_entry_ref(&rest) => {
            Command::AnswerWithEntry(id, rest[1..].to_owned())
        }
        "答复" | "回复" if !rest.is_empty() => Command::Answer(id, rest),
        "关闭" => Command::Close(
            id,
            if rest.is_empty() {
                "未注明".into()
            } else {
                rest
            },
        ),
        "重开" => Command::Reopen(id),
        "入库" => Command::Learn(id),
        _ => Command::Help,
    }
}

/// `#fg-eia-exemption`: a `#` and an entry id (ASCII letters, digits, `-`, `_`), nothing else.
fn is_entry_ref(rest: &str) -> bool {
    rest.strip_prefix('#').is_some_and(|id| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

const HELP: &str = "工作人员指令：待办 ｜ 认领 12 ｜ 答复 12 答复内容 ｜ 答复 12 #FAQ编号 ｜ 关闭 12 原因 ｜ 重开 12 ｜ 入库 12";

/// Runs an officer command and returns the bot's reply in the officer group.
pub fn execute(state: &AppState, store: &Store, msg: &Inbound, text: &str, now: i64) -> String {
    let officer = format!("{}({})", msg.sender_nick, msg.sender_id_or_nick());
    let result = match parse(text) {
        Command::Help => return HELP.to_owned(),
        Command::List => return list(store, now),
        Command::Claim(id) => store
            .claim(id, &officer, now)
            .map(|t| format!("已认领工单 #{}。", t.id)),
        Command::Answer(id, answer) => {
            let r = store.answer(id, &officer, &answer, now, answer_text);
            r.map(|t| format!("工单 #{} 已答复，正在发送到“{}”。", t.id, title(&t)))
        }
        Command::AnswerWithEntry(id, faq_id) => {
            match super::teach::answer_with_entry(
                state,
                store,
                (id, &officer, &faq_id),
                now,
                answer_text,
            ) {
                Ok(t) => Ok(format!(
                    "工单 #{} 已用 FAQ #{faq_id} 答复，正在发送到“{}”；提问已存为该条目的待审说法。",
                    t.id, t.group_title
                )),
                Err(super::teach::TeachError::UnknownEntry(_)) => {
                    return format!("没有编号为 {faq_id} 的FAQ条目。");
                }
                Err(super::teach::TeachError::Store(e)) => Err(e),
            }
        }
        Command::Close(id, reason) => store
            .close(id, &officer, &reason, now)
            .map(|t| format!("工单 #{} 已关闭。", t.id)),
        Command::Reopen(id) => store
            .reopen(id, &officer, now)
            .map(|t| format!("工单 #{} 已重开。", t.id)),
        Command::Learn(id) => store.draft_from(id, &officer, now).map(|d| {
            format!(
                "工单 #{} 已存为FAQ草稿，审核后才会用于自动答复（policybot faq drafts）。",
                d.ticket
            )
        }),
    };
    result.unwrap_or_else(|e| match e {
        StoreError::NotFound(id) => format!("没有工单 #{id}。"),
        StoreError::InvalidTransition { id, status, .. } => {
            format!("工单 #{id} 当前状态为 {status}，不能这样操作。")
        }
        other => {
            tracing::error!(error = %other, "officer command failed");
            "操作失败，请稍后重试。".to_owned()
        }
    })
}

fn list(store: &Store, now: i64) -> String {
    match store.tickets(TicketFilter::Pending) {
        Ok(ts) if ts.is_empty() => "目前没有待办工单。".to_owned(),
        Ok(ts) => {
            let lines: Vec<String> = ts
                .iter()
                .take(20)
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
            format!("待办工单（{}，从早到晚）：\n{}", ts.len(), lines.join("\n"))
        }
        Err(e) => {
            tracing::error!(error = %e, "listing tickets failed");
            "操作失败，请稍后重试。".to_owned()
        }
    }
}

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

/// What officers are told when a question is escalated (or joins an open ticket).
pub fn notification(t: &Ticket, merged: bool) -> String {
    let asker = t.askers.last().map_or("", |a| a.nick.as_str());
    let question = t
        .askers
        .last()
        .map_or(t.question.as_str(), |a| a.question.as_str());
    let mut out = if merged {
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
            self::question(question)
        )
    };
    if !merged && !t.guesses.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officer_commands_parse_with_or_without_hash_and_spaces() {
        assert_eq!(parse("待办"), Command::List);
        assert_eq!(parse("认领 12"), Command::Claim(12));
        assert_eq!(parse("认领#12"), Command::Claim(12));
        assert_eq!(
            parse("答复 12 请联系属地分局。"),
            Command::Answer(12, "请联系属地分局。".into())
        );
        assert_eq!(
            parse("答复 12 #fg-eia-exemption"),
            Command::AnswerWithEntry(12, "fg-eia-exemption".into())
        );
        assert_eq!(
            parse("答复 12 #1 号文件已说明"),
            Command::Answer(12, "#1 号文件已说明".into())
        );
        assert_eq!(
            parse("关闭 3 重复提问"),
            Command::Close(3, "重复提问".into())
        );
        assert_eq!(parse("入库 4"), Command::Learn(4));
        assert_eq!(parse("答复 12"), Command::Help);
        assert_eq!(parse("你好"), Command::Help);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256, failure_persistence: None, ..Default::default()
        })]

        #[test]
        fn any_text_parses_to_some_command(text in ".{0,80}") {
            let _ = parse(&text);
        }

        #[test]
        fn commands_round_trip(
            verb in proptest::sample::select(&["认领", "答复", "回复", "关闭", "重开", "入库"]),
            id in proptest::prelude::any::<u64>(),
            hash in proptest::prelude::any::<bool>(),
            // Not starting with a separator (`答复 12：…` drops it) and trimmed, as the parser keeps it.
            rest in "[a-z\u{4e00}-\u{9fa5}][^\\s]{0,10}( [^\\s]{1,10}){0,3}",
        ) {
            let text = format!("{verb} {}{id} {rest}", if hash { "#" } else { "" });
            let expected = match verb {
                "认领" => Command::Claim(id),
                "答复" | "回复" => Command::Answer(id, rest.clone()),
                "关闭" => Command::Close(id, rest.clone()),
                "重开" => Command::Reopen(id),
                _ => Command::Learn(id),
            };
            proptest::prop_assert_eq!(parse(&text), expected);
        }

        #[test]
        fn numbers_beyond_u64_are_help_not_a_panic(digits in "[1-9][0-9]{20,400}") {
            proptest::prop_assert_eq!(parse(&format!("认领 {digits}")), Command::Help);
        }
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(5 * 60_000), "5分钟");
        assert_eq!(age(3 * 3_600_000 + 60_000), "3小时");
        assert_eq!(age(26 * 3_600_000), "1天2小时");
    }
}
