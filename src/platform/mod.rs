//! The chat platforms policybot lives in, DingTalk (钉钉) and WeCom (企业微信): one home per platform
//! that owns everything about it, and the small platform-neutral vocabulary the server and the store
//! use to talk about messages without knowing which platform carried them.
//!
//! The vocabulary: a transport turns a platform request (or frame) into an [`Inbound`]; whatever the
//! server decides to say later goes out as an [`Outgoing`] to a [`Destination`] (a chat's
//! [`ReplyRoute`], as its [`Inbound`] gave it, or an officer webhook) through [`Outbound`], the
//! registry of [`Channel`]s that know how to deliver to each kind of route. [`Rejected`] is a request
//! refused before it became an `Inbound`.
//!
//! This layer imports neither the server nor the store: it is told secrets, the time (`now_ms`) and
//! the allow-list by its callers (only the access-token cache and the long connections' timers keep a
//! monotonic clock of their own).
//! Everything that sees attacker-controlled bytes returns an error instead of panicking.
//!
//! # Layout
//! - [`dingtalk`]: callback signature, callback JSON, the HTTP-callback transport, @-decoration of
//!   replies, the session-webhook / robot-OpenAPI channel and its access-token cache.
//! - [`wecom`]: WXBizMsgCrypt, the small XML subset, decrypted messages, the HTTP-callback transport
//!   (URL check, encrypted passive replies split to the 2048-byte limit), the group-robot webhook
//!   channel.
//! - `inbound`, `route`, `outbound`, `reject`, `split`: the shared vocabulary above; `error`: the
//!   errors both platforms share ([`ParseError`], [`ApiError`]).
//! - `connection`: what the long-connection transports (DingTalk Stream mode, the WeCom intelligent
//!   robot) share: a connection's state as `/healthz` and `/metrics` show it ([`Link`]), backoff,
//!   dialling a WebSocket through the allow-list. With their clients, the only place here that opens
//!   connections of its own: the bot dials out, so a connection's life is protocol.
//!
//! # Adding a platform or a transport
//! A new platform is a new folder, its variant in [`Platform`] and [`ReplyRoute`] (stored forms: add,
//! never rename; the `text_limit` arm in `route.rs` follows), and one `.with(..)` line registering
//! its [`Channel`] where the server builds its [`Outbound`]; an HTTP transport adds its route and a
//! thin handler in `server::http` (extract, call the transport, dispatch, render). A new transport
//! for an existing platform (DingTalk Stream mode, the WeCom intelligent robot's long connection) is
//! a folder under that platform's home: it reuses the home's message parsing and `inbound()`, turns
//! each frame into an [`Inbound`] for the server's dispatch (the same as the HTTP callbacks'), and
//! answers with the home's decoration; if it brings a route kind of its own (a reply over the
//! connection), it registers a [`Channel`] for it.
//!
//! Protocol facts and their sources: `shared/docs/platforms.md`; the test vectors in
//! `testdata/platform_vectors.json` are a verbatim copy of `shared/docs/platform_vectors.json`.

mod connection;
pub(crate) mod dingtalk;
mod error;
mod inbound;
mod outbound;
mod reject;
mod route;
mod split;
pub(crate) mod wecom;

#[cfg(test)]
mod props;
#[cfg(test)]
mod vectors;

pub(crate) use connection::{Link, State as LinkState, Status as LinkStatus, allow_list};
pub(crate) use error::{ApiError, ParseError};
pub use inbound::Inbound;
pub use outbound::Outbound;
pub(crate) use outbound::{
    Channel, Destination, Outgoing, PER_MINUTE, Poster, SendError, Sending, allowed,
};
pub(crate) use reject::{NotConfigured, Refusal, Rejected};
pub use route::{Addressee, ReplyRoute};
pub(crate) use route::{by_reach, naming};

use serde::{Deserialize, Serialize};

/// Which platform a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    DingTalk,
    WeCom,
}

impl Platform {
    /// The platform's name in keys, metrics labels and logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Platform::DingTalk => "dingtalk",
            Platform::WeCom => "wecom",
        }
    }
}
