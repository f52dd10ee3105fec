//! The long-connection transports, run next to the HTTP callbacks: DingTalk Stream mode
//! (`[dingtalk] mode = "stream"`) and the WeCom intelligent robot's long connection (`[wecom_aibot]`).
//! Their clients live in the platform homes (`platform::dingtalk::stream`, `platform::wecom::aibot`)
//! and own the connections; this module is their thin server side, as `http` is the callbacks': each
//! message becomes its home's [`Inbound`] and goes through [`dispatch::handle`] (de-duplication,
//! matcher, ticket, notifications), exactly as a callback's.
//!
//! What differs is only the way back, since no HTTP response carries the reply:
//! - [`dingtalk`]: the reply is posted to the message's session webhook *before* the frame is acked,
//!   or, when it cannot be posted at once, queued in the outbox and committed ([`reply`]), so a crash
//!   after the ack loses nothing;
//! - [`aibot`]: the reply goes on the message's req_id and waits for WeCom's answer; if that fails it
//!   is queued in the outbox and sent to the chat later (through the `Chat` channel registered in
//!   `server::outbound`).
//!
//! [`status`] shows each connection in `/healthz` and `/metrics`.
//!
//! [`Inbound`]: crate::platform::Inbound
//! [`dispatch::handle`]: super::dispatch::handle

mod aibot;
mod dingtalk;
mod reply;
pub(crate) mod status;

use super::SharedState;
use crate::config::{Config, DingTalkMode};
use crate::platform::Link;
use crate::platform::dingtalk::stream;
use crate::platform::wecom::aibot::{self as wecom_aibot, Client};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A frame may be this many times `server.max_body_bytes` (its data is a callback body, escaped as a
/// JSON string inside an envelope).
const FRAME_BODY_FACTOR: usize = 4;

/// The configured transports: the DingTalk stream's link, the intelligent robot's client.
pub struct Transports {
    pub dingtalk: Option<Arc<Link>>,
    pub aibot: Option<Arc<Client>>,
    /// Replies of stream messages posted before their ack (see [`reply`]).
    replies: reply::Turns,
    /// For `connections/open`.
    http: reqwest::Client,
}

impl Transports {
    /// The transports `config` asks for; nothing runs before [`spawn`].
    pub fn new(config: &Config, http: reqwest::Client) -> Transports {
        let stream = config.dingtalk.mode == DingTalkMode::Stream;
        Transports {
            dingtalk: stream.then(|| Arc::new(Link::new("dingtalk_stream"))),
            aibot: config
                .wecom_aibot
                .enabled()
                .then(|| Client::new(Arc::new(Link::new("wecom_aibot")))),
            replies: reply::Turns::default(),
            http,
        }
    }

    /// Every configured connection's link.
    fn links(&self) -> Vec<&Arc<Link>> {
        let aibot = self.aibot.as_ref().map(|c| c.link());
        self.dingtalk.iter().chain(aibot).collect()
    }
}

/// Starts the configured transports on `tracker`; they stop with `stop`, after their in-flight
/// messages are acked (or answered).
pub fn spawn(state: &SharedState, tracker: &TaskTracker, stop: &CancellationToken) {
    let c = &state.config;
    let allowed = crate::platform::allow_list(&c.server.allowed_outbound_hosts);
    let max_message_bytes = c.server.max_body_bytes * FRAME_BODY_FACTOR;
    if let Some(link) = &state.transports.dingtalk {
        let cfg = stream::Config {
            api_base: c.dingtalk.api_base.as_str().to_owned(),
            app_key: c.dingtalk.app_key.expose().to_owned(),
            app_secret: c.dingtalk.app_secret.expose().to_owned(),
            allowed: allowed.clone(),
            http: state.transports.http.clone(),
            max_message_bytes,
        };
        let handler = Arc::new(dingtalk::Stream::new(state.clone()));
        tracker.spawn(stream::run(cfg, handler, link.clone(), stop.clone()));
    }
    if let Some(client) = &state.transports.aibot {
        let a = &c.wecom_aibot;
        let cfg = wecom_aibot::Config {
            ws_url: a.ws_url.as_str().to_owned(),
            bot_id: a.bot_id.clone(),
            secret: a.secret.expose().to_owned(),
            heartbeat: a.heartbeat,
            allowed,
            max_message_bytes,
        };
        let handler = Arc::new(aibot::Aibot::new(state.clone()));
        tracker.spawn(client.clone().run(cfg, handler, stop.clone()));
    }
}
