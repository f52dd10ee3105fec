//! DingTalk Stream mode: the bot opens a WebSocket to DingTalk and receives robot messages over it,
//! so it needs no public address (`[dingtalk] mode = "stream"`). The messages are the same callback
//! JSON as in HTTP mode, parsed by the home's `callback` into the same [`Inbound`] ([`receive`]); there
//! is no signature to check, because the connection itself is authenticated with the app's
//! credentials. Replies cannot travel over the stream: [`reply`] gives the reply a response would
//! carry, to be posted to the message's `sessionWebhook` (else the OpenAPI) through the home's channel
//! as a [`Destination::Reply`](crate::platform::Destination::Reply).
//!
//! - [`frame`]: the wire (open request, frames, acks); pure.
//! - [`client`]: the connection's life (open, ping, ack, disconnect, reconnect), around a [`Handler`].

pub mod client;
pub mod frame;

pub use client::{Config, Handler, run};

use super::callback::parse_callback;
use super::decorate::addressee;
use crate::platform::{Addressee, Inbound, ParseError};

/// A robot message's callback JSON (a CALLBACK frame's `data`) as the bot's [`Inbound`].
pub(crate) fn receive(data: &str) -> Result<Inbound, ParseError> {
    parse_callback(data.as_bytes()).map(|cb| cb.inbound())
}

/// Whom the reply to `asker`'s message is for, as a later message: the channel @-s them as the HTTP
/// response would (or names an external member).
pub(crate) fn reply_to(asker: &Inbound) -> Vec<Addressee> {
    vec![addressee(asker)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_s_data_is_received_like_a_callback() {
        let data = r#"{"msgtype":"text","text":{"content":" 环评审批可以网上办吗"},"msgId":"m1",
            "conversationId":"cid1","conversationType":"2","conversationTitle":"企业服务群",
            "senderId":"s1","senderStaffId":"u1","senderNick":"张三"}"#;
        let inbound = receive(data).unwrap();
        assert_eq!(inbound.msg_id, "m1");
        assert_eq!(inbound.text.as_deref(), Some("环评审批可以网上办吗"));
        let people = reply_to(&inbound);
        assert_eq!(
            (people[0].id.as_str(), people[0].name.as_str()),
            ("u1", "张三")
        );
        assert!(receive("{}").is_err());
    }
}
