//! [`Inbound`]: a message addressed to the bot, verified and parsed by its platform's transport, in the
//! one shape the rest of the bot handles whatever the platform. Each platform home builds it from its
//! own message type (`dingtalk::callback`, `wecom::message`).

use super::{Platform, ReplyRoute};

/// A message addressed to the bot, already verified and parsed.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub platform: Platform,
    pub msg_id: String,
    /// Conversation (DingTalk) or chat (WeCom) id; the sender's id in a 1:1 chat.
    pub group_id: String,
    pub group_title: String,
    /// Id to @ (DingTalk staff id / WeCom user id); may be empty for external members.
    pub sender_id: String,
    pub sender_nick: String,
    /// `None` for anything that is not text.
    pub text: Option<String>,
    /// How a later message reaches the chat this one came from.
    pub route: ReplyRoute,
}

impl Inbound {
    /// The sender id, or the nick when the platform gave no id (external members).
    pub(crate) fn sender_id_or_nick(&self) -> &str {
        if self.sender_id.is_empty() {
            &self.sender_nick
        } else {
            &self.sender_id
        }
    }
}
