//! WeCom (企业微信) group robots and self-built apps: everything the bot knows about WeCom.
//!
//! Inbound: [`http`], the HTTP-callback transport, verifies and decrypts the WXBizMsgCrypt envelope
//! ([`WxCrypt`], `crypt`; its XML is read by the linear, depth-capped parser in [`xml`]), parses the
//! message (`message`: group-robot callbacks and self-built app messages folded into one shape) into an
//! [`Inbound`](crate::platform::Inbound), and renders the encrypted passive reply, split to
//! [`TEXT_LIMIT`](reply::TEXT_LIMIT).
//!
//! Outbound: later messages go through [`GroupRobot`], the channel for WeCom routes (`send`): a text
//! message to the chat's `WebhookUrl`. `reply` holds the bodies and WeCom's strict envelope.
//!
//! The intelligent robot (智能机器人) over its long connection (JSON frames over a WebSocket the bot
//! opens; no public address): [`aibot`], with its own route kind and channel.

pub(crate) mod aibot;
mod crypt;
pub(crate) mod http;
mod message;
mod reply;
mod send;
pub(crate) mod xml;

pub use crypt::WxCrypt;
#[cfg(test)]
pub(crate) use message::parse_robot_message;
pub(crate) use reply::TEXT_LIMIT;
pub(crate) use send::GroupRobot;
