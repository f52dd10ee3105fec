//! [`ReplyRoute`]: everything a late message into a chat needs, as the chat's platform gave it with the
//! message that opened the conversation. Routes are stored with tickets and outbox messages (the serde
//! form is part of the data dir's format: a variant and its fields keep their names), so a route kind
//! is added, never renamed.
//!
//! The facts about a route that need no connection live here: the text limit its messages are split
//! to. Delivery is the business of the [`Channel`](super::Channel) registered for the route's kind.

use serde::{Deserialize, Serialize};

use super::split::split_for_limit;
use super::wecom;

/// Everything a late reply into the originating group needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReplyRoute {
    DingTalk {
        robot_code: Option<String>,
        conversation_id: String,
        session_webhook: Option<String>,
        /// Epoch ms after which the session webhook no longer works.
        session_webhook_expires_ms: Option<i64>,
    },
    WeCom {
        webhook_url: Option<String>,
        chat_id: Option<String>,
    },
    /// The WeCom intelligent robot over its long connection: messages go to the chat with
    /// `aibot_send_msg` (a group's chatid, or the user id of a one-to-one chat).
    WeComAibot { chat_id: String },
}

/// Someone a later message into a chat is for: @-ed by `id` where the channel can (the platform's user
/// id: a DingTalk staff id, a WeCom userid), named by `name` in the text where it cannot (no id, or a
/// channel that cannot @). Stored with outbox messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addressee {
    pub id: String,
    pub name: String,
}

/// `people` split by how a channel that can @ reaches them: the ids to @, and the names of those
/// without an id, to write in the text.
pub(crate) fn by_reach(people: &[Addressee]) -> (Vec<String>, Vec<&str>) {
    let ids = people
        .iter()
        .filter(|p| !p.id.is_empty())
        .map(|p| p.id.clone())
        .collect();
    let names = people
        .iter()
        .filter(|p| p.id.is_empty())
        .map(|p| p.name.as_str())
        .collect();
    (ids, names)
}

/// The line naming `names` before a message ("钱主任、孙经理：" and a line break), or nothing.
pub(crate) fn naming(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        _ => format!("{}：\n", names.join("、")),
    }
}

impl ReplyRoute {
    /// The most UTF-8 bytes one message on this route may carry, if the platform has a limit that
    /// our replies can reach (DingTalk's markdown allows far more than any answer).
    fn text_limit(&self) -> Option<usize> {
        match self {
            ReplyRoute::DingTalk { .. } => None,
            ReplyRoute::WeCom { .. } => Some(wecom::TEXT_LIMIT),
            ReplyRoute::WeComAibot { .. } => Some(wecom::aibot::MARKDOWN_LIMIT),
        }
    }

    /// `text` as the messages this route takes, in order: one, or as many parts as the route's text
    /// limit needs, cut at line and sentence ends.
    pub(crate) fn split(&self, text: &str) -> Vec<String> {
        match self.text_limit() {
            Some(limit) => split_for_limit(text, limit),
            None => vec![text.to_owned()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wecom() -> ReplyRoute {
        ReplyRoute::WeCom {
            webhook_url: Some("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k".into()),
            chat_id: Some("wrk1".into()),
        }
    }

    fn dingtalk() -> ReplyRoute {
        ReplyRoute::DingTalk {
            robot_code: None,
            conversation_id: "cid1==".into(),
            session_webhook: None,
            session_webhook_expires_ms: None,
        }
    }

    #[test]
    fn wecom_routes_split_to_2048_bytes_and_dingtalk_routes_do_not_split() {
        let long = "第一条规定。".repeat(200);
        let parts = wecom().split(&long);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= 2048));
        assert_eq!(parts.concat(), long);
        assert_eq!(dingtalk().split(&long), vec![long.clone()]);
    }

    #[test]
    fn the_stored_form_keeps_its_kind_tags_and_field_names() {
        let stored = json!({
            "kind": "ding_talk", "robot_code": null, "conversation_id": "cid1==",
            "session_webhook": null, "session_webhook_expires_ms": null
        });
        assert_eq!(serde_json::to_value(dingtalk()).unwrap(), stored);
        let stored = json!({
            "kind": "we_com",
            "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            "chat_id": "wrk1"
        });
        assert_eq!(serde_json::to_value(wecom()).unwrap(), stored);
        assert_eq!(
            serde_json::from_value::<ReplyRoute>(stored).unwrap(),
            wecom()
        );
    }
}
