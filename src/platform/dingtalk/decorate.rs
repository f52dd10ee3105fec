//! How DingTalk messages @ people. A mention only notifies when the `@<userId>` is both in the text and
//! in `at.atUserIds`, so both are written here, once, for the reply to a message and for a later
//! message into its group. An external member has no userId: the reply names their nick instead,
//! sanitised (it is theirs to choose). The robot OpenAPI cannot @ anyone; its messages are plain.
//!
//! A Stream-mode message has no response to carry its reply: the reply is [`addressed`] the same way
//! and posted (or queued) as a later message that keeps the reply's title ([`reply_later`]).

use serde_json::Value;

use super::reply::markdown_message;
use crate::platform::Inbound;
use crate::sanitize::{NAME_CHARS, user_text};

/// Title of the messages posted later into a group (the chat list shows it).
pub(crate) const LATER_TITLE: &str = "工作人员答复";
/// How many characters of a reply its title keeps.
const TITLE_CHARS: usize = 20;

/// The reply to `asker`'s message: markdown that @-s them, titled with the reply's beginning.
pub(crate) fn reply_to(asker: &Inbound, text: &str) -> Value {
    let (body, mention) = addressed(asker, text);
    markdown_message(&title(text), &body, &mention)
}

/// The reply's text @-ing `asker` (or naming an external member by nick) and whom it notifies.
pub(crate) fn addressed(asker: &Inbound, text: &str) -> (String, Vec<String>) {
    if asker.sender_id.is_empty() {
        let nick = user_text(&asker.sender_nick, NAME_CHARS);
        return (format!("@{nick} \n\n{text}"), vec![]);
    }
    let id = &asker.sender_id;
    (format!("@{id} \n\n{text}"), vec![id.clone()])
}

/// A reply posted after all (Stream mode), from its [`addressed`] text: titled like [`reply_to`].
pub(crate) fn reply_later(addressed: &str, mention: &[String]) -> Value {
    markdown_message(&title(unaddressed(addressed)), addressed, mention)
}

/// An [`addressed`] text without its address (the OpenAPI cannot @).
pub(crate) fn unaddressed(text: &str) -> &str {
    match text.split_once(" \n\n") {
        Some((head, rest)) if head.starts_with('@') => rest,
        _ => text,
    }
}

pub(super) fn title(text: &str) -> String {
    text.chars().take(TITLE_CHARS).collect()
}

/// A later message into a group through its session webhook, @-ing everyone in `mention`.
pub(crate) fn later(text: &str, mention: &[String]) -> Value {
    let mentions: String = mention.iter().map(|m| format!("@{m} ")).collect();
    markdown_message(LATER_TITLE, &format!("{mentions}\n\n{text}"), mention)
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
    fn an_external_member_is_named_by_a_sanitised_nick_and_nobody_is_notified() {
        let body = reply_to(&asker("", "张三**[x](http://a)**"), "答复");
        let text = body["markdown"]["text"].as_str().unwrap();
        assert!(
            text.starts_with('@') && text.ends_with(" \n\n答复"),
            "{text}"
        );
        assert!(!text.contains("](http"), "{text}");
        assert_eq!(body["at"]["atUserIds"], json!([]));
    }

    #[test]
    fn a_reply_title_keeps_twenty_characters() {
        let text = "一二三四五六七八九十".repeat(3);
        let body = reply_to(&asker("u", "n"), &text);
        assert_eq!(
            body["markdown"]["title"].as_str().unwrap().chars().count(),
            20
        );
    }

    #[test]
    fn a_reply_posted_later_is_the_reply_a_response_would_carry() {
        let asker = asker("u1", "张");
        let (text, mention) = addressed(&asker, "答复正文");
        assert_eq!(reply_later(&text, &mention), reply_to(&asker, "答复正文"));
        assert_eq!(unaddressed(&text), "答复正文");
        let (text, mention) = addressed(&asker_nick("外部"), "答复");
        assert_eq!((text.as_str(), mention.len()), ("@外部 \n\n答复", 0));
        assert_eq!(unaddressed("没有称呼 \n\n的答复"), "没有称呼 \n\n的答复");
    }

    fn asker_nick(nick: &str) -> Inbound {
        asker("", nick)
    }

    #[test]
    fn a_later_message_ats_every_mention_before_the_text() {
        let ids = vec!["u1".to_owned(), "u2".to_owned()];
        let body = later("请咨询属地税务部门。", &ids);
        assert_eq!(body["markdown"]["title"], LATER_TITLE);
        assert_eq!(body["markdown"]["text"], "@u1 @u2 \n\n请咨询属地税务部门。");
        assert_eq!(body["at"]["atUserIds"], json!(["u1", "u2"]));
    }
}
