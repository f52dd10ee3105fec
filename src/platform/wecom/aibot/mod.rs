//! The WeCom intelligent robot (智能机器人) over its long connection: the bot dials
//! `wss://openws.work.weixin.qq.com` (`[wecom_aibot]`), subscribes with its bot id and secret and
//! receives the messages addressed to it there; no public address, no callback crypto.
//!
//! - [`frame`]: the wire (requests, messages, events, answers); pure.
//! - [`client`]: the connection's life (subscribe, heartbeat, reconnect, `disconnected_event`) and
//!   the requests that wait for WeCom's answer (replies on a req_id, messages to a chat).
//! - `send`: [`Chat`], the channel of [`ReplyRoute::WeComAibot`] routes (`aibot_send_msg` over the
//!   connection).
//!
//! A message becomes the same [`Inbound`] as a group robot's callback ([`AibotMessage::inbound`]:
//! the leading `@<bot name>` stripped, replies routed to the chat).

pub mod client;
pub mod frame;
mod send;

pub use client::{Client, Config, Handler};
pub use frame::{AibotMessage, MARKDOWN_LIMIT, STREAM_LIMIT};
pub(crate) use send::Chat;

use super::message::strip_mentions;
use crate::platform::{Inbound, Platform, ReplyRoute};

/// A reply as the stream messages a req_id takes (20,480 bytes each), cut at line and sentence ends:
/// the first goes back on the req_id.
pub(crate) fn reply_parts(text: &str) -> Vec<String> {
    crate::platform::split::split_for_limit(text, STREAM_LIMIT)
}

impl AibotMessage {
    /// The message in the platform-neutral shape: a group is titled by its chatid (the long
    /// connection gives no name), a one-to-one chat 单聊; non-text messages have no text.
    pub(crate) fn inbound(&self) -> Inbound {
        Inbound {
            platform: Platform::WeCom,
            msg_id: self.msg_id.clone(),
            group_id: self.reply_to().to_owned(),
            group_title: self
                .chat_id
                .as_ref()
                .map_or_else(|| "单聊".to_owned(), |c| format!("企业微信群 {c}")),
            sender_id: self.from_user_id.clone(),
            sender_nick: self.from_user_id.clone(),
            text: self.text.as_deref().map(|t| strip_mentions(t).to_owned()),
            route: ReplyRoute::WeComAibot {
                chat_id: self.reply_to().to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_message_becomes_an_inbound_routed_to_its_chat() {
        let m = AibotMessage {
            msg_id: "m1".into(),
            chat_id: Some("C1".into()),
            chat_type: "group".into(),
            from_user_id: "zhangsan".into(),
            msg_type: "text".into(),
            text: Some("@政策助手 房租能减免吗".into()),
        };
        let i = m.inbound();
        assert_eq!(i.text.as_deref(), Some("房租能减免吗"));
        assert_eq!(i.group_id, "C1");
        assert_eq!(
            i.route,
            ReplyRoute::WeComAibot {
                chat_id: "C1".into()
            }
        );
        let single = AibotMessage { chat_id: None, ..m };
        assert_eq!(single.inbound().group_id, "zhangsan");
        assert_eq!(single.inbound().group_title, "单聊");
    }
}
