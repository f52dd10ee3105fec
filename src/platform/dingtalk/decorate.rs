//! How DingTalk messages @ people. A mention only notifies when the `@<userId>` is both in the text and
//! in `at.atUserIds`, so both are written here, once, for the reply to a message and for a later
//! message into its group. An external member has no userId: the reply names their nick instead,
//! sanitised (it is theirs to choose). The robot OpenAPI cannot @ anyone; its messages are plain.
//!
//! A Stream-mode message has no response to carry its reply: the reply is [`addressed`] the same way
//! and posted (or queued) as a later message that keeps the reply's title ([`reply_later`]).

use serde_json::Value;

use super::reply::markdown_message;
use crate::platform::{Addressee, Inbound, by_reach};
use crate::sanitize::{NAME_CHARS, user_text};

/// How many characters of a reply its title keeps.
const TITLE_CHARS: usize = 20;
/// A title may be cut before these (sentence and clause marks, spaces, opening brackets and quotes)…
const BEFORE: &[char] = &[
    '。', '，', '；', '：', '！', '？', '、', ' ', ',', ';', ':', '《', '“', '（', '(',
];
/// …and after these (closing brackets and quotes).
const AFTER: &[char] = &['》', '”', '）', ')'];

/// The title of a message (the chat list shows it): its first line, cut at a clause or quotation
/// boundary within [`TITLE_CHARS`] where there is one, led by the ticket number when the text gives
/// one that the cut would drop.
pub(crate) fn title(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    match ticket_mark(text).filter(|m| !cut(line, TITLE_CHARS).contains(m.as_str())) {
        Some(mark) => {
            let room = TITLE_CHARS - mark.chars().count() - 1;
            format!("{mark}：{}", cut(line, room))
        }
        None => cut(line, TITLE_CHARS),
    }
}

/// "工单 #12" when `text` names a ticket.
fn ticket_mark(text: &str) -> Option<String> {
    let at = text.find("工单 #")?;
    let digits: String = text[at + "工单 #".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("工单 #{digits}"))
}

/// `line` if it fits in `max` characters; else its head up to the last boundary that leaves room for
/// "…" (anywhere when there is none in its last two thirds), and "…".
fn cut(line: &str, max: usize) -> String {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= max {
        return line.to_owned();
    }
    let limit = max.saturating_sub(1);
    let boundary = |p: usize| BEFORE.contains(&chars[p]) || AFTER.contains(&chars[p - 1]);
    let at = (limit / 3..=limit)
        .rev()
        .find(|&p| p > 0 && boundary(p))
        .unwrap_or(limit);
    let head: String = chars[..at].iter().collect();
    format!("{}…", head.trim_end())
}

/// The reply to `asker`'s message: markdown that @-s them (an asker without an id, an external
/// member, is named instead: DingTalk notifies only by user id), titled with the reply's beginning.
pub(crate) fn reply_to(asker: &Inbound, text: &str) -> Value {
    later(text, &[addressee(asker)])
}

/// Whom a reply to `asker` is for: their id, and their nick sanitised (it is theirs to choose). A reply
/// posted later (Stream mode) goes to them through [`later`] and reads as [`reply_to`] would.
pub(crate) fn addressee(asker: &Inbound) -> Addressee {
    Addressee {
        id: asker.sender_id.clone(),
        name: user_text(&asker.sender_nick, NAME_CHARS),
    }
}

/// A message into a group through a session webhook: @-ing everyone in `people` with an id, naming
/// the others.
pub(crate) fn later(text: &str, people: &[Addressee]) -> Value {
    let (ids, names) = by_reach(people);
    let mut head: String = ids.iter().map(|m| format!("@{m} ")).collect();
    if !names.is_empty() {
        head.push_str(&format!("{}：", names.join("、")));
    }
    let body = match head.is_empty() {
        true => text.to_owned(),
        false => format!("{head}\n\n{text}"),
    };
    markdown_message(&title(text), &body, &ids)
}

/// A message through the robot OpenAPI, which cannot @: everyone in `people` is named.
pub(crate) fn named(text: &str, people: &[Addressee]) -> String {
    let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
    match names.is_empty() {
        true => text.to_owned(),
        false => format!("{}：\n\n{text}", names.join("、")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{Platform, ReplyRoute};
    use serde_json::json;

    fn asker(id: &str, nick: &str) -> Inbound {
        Inbound {
            platform: Platform::DingTalk,
            msg_id: "m".into(),
            group_id: "cid".into(),
            group_title: "群".into(),
            sender_id: id.into(),
            sender_nick: nick.into(),
            text: Some("问".into()),
            route: ReplyRoute::DingTalk {
                robot_code: None,
                conversation_id: "cid".into(),
                session_webhook: None,
                session_webhook_expires_ms: None,
            },
        }
    }

    #[test]
    fn a_reply_ats_the_asker_in_the_text_and_the_at_list() {
        let body = reply_to(&asker("manager4220", "杨"), "答复正文");
        let expected = json!({
            "msgtype": "markdown",
            "markdown": {"title": "答复正文", "text": "@manager4220 \n\n答复正文"},
            "at": {"atUserIds": ["manager4220"], "isAtAll": false}
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn an_external_member_is_named_by_a_sanitised_nick_without_a_false_at() {
        let body = reply_to(&asker("", "张三**[x](http://a)**"), "答复");
        let text = body["markdown"]["text"].as_str().unwrap();
        assert!(
            !text.contains('@') && text.ends_with("：\n\n答复"),
            "{text}"
        );
        assert!(!text.contains("](http"), "{text}");
        assert_eq!(body["at"]["atUserIds"], json!([]));
    }

    #[test]
    fn titles_are_cut_at_a_clause_and_keep_the_ticket_number() {
        let text = "一二三四五六七八九十".repeat(3);
        let body = reply_to(&asker("u", "n"), &text);
        assert_eq!(
            body["markdown"]["title"].as_str().unwrap().chars().count(),
            20
        );
        assert_eq!(
            title("关于印发《河南省加快推进“豫兴”计划若干措施》的通知，请各地执行"),
            "关于印发《河南省加快推进“豫兴”…"
        );
        assert_eq!(
            title("这个问题需要工作人员确认，已转交工作人员（工单 #12），答复后会在本群通知您。"),
            "工单 #12：这个问题需要工作人员确认…"
        );
        assert_eq!(title("短句"), "短句");
    }

    #[test]
    fn a_later_message_ats_those_with_ids_and_names_the_others() {
        let people = [
            Addressee {
                id: "u1".into(),
                name: "张三".into(),
            },
            Addressee {
                id: "u2".into(),
                name: "李四".into(),
            },
            Addressee {
                id: String::new(),
                name: "钱主任".into(),
            },
        ];
        let body = later("请咨询属地税务部门。", &people);
        assert_eq!(body["markdown"]["title"], "请咨询属地税务部门。");
        assert_eq!(
            body["markdown"]["text"],
            "@u1 @u2 钱主任：\n\n请咨询属地税务部门。"
        );
        assert_eq!(body["at"]["atUserIds"], json!(["u1", "u2"]));
        assert_eq!(named("答复", &people), "张三、李四、钱主任：\n\n答复");
    }

    #[test]
    fn a_reply_posted_later_is_the_reply_a_response_would_carry() {
        for asker in [asker("u1", "张"), asker("", "外部")] {
            let person = addressee(&asker);
            assert_eq!(later("答复正文", &[person]), reply_to(&asker, "答复正文"));
        }
    }
}
