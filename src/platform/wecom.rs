//! WeCom (企业微信) message formats, after [`wxcrypt`](super::wxcrypt) has
//! verified and decrypted the callback.
//!
//! Inbound: [`parse_robot_message`] reads both group-robot callbacks and
//! self-built app messages into one [`WeComMessage`].
//!
//! Outbound: [`passive_text_reply`] / [`passive_markdown_reply`] (robot) and
//! [`app_passive_text_reply`] (app) are the plaintext XML of a synchronous
//! reply, to be encrypted with `WxCrypt::encrypt_reply`;
//! [`webhook_text_body`] / [`webhook_markdown_body`] are POSTed to the
//! robot's `WebhookUrl` for later answers, and [`parse_api_envelope`] checks
//! the response.

mod message;
mod reply;

pub use message::{WeComMessage, parse_robot_message};
pub use reply::{
    app_passive_text_reply, parse_api_envelope, passive_markdown_reply, passive_text_reply,
    webhook_markdown_body, webhook_text_body,
};
