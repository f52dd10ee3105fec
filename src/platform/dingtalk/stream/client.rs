//! The Stream-mode connection's life: open (`connections/open` with the app's credentials, for a
//! fresh single-use ticket), connect the WebSocket, answer the gateway's pings, hand robot messages to
//! the [`Handler`] and ack each one once the handler says its effects are durable, keep the socket
//! alive with WebSocket pings, and reconnect.
//!
//! - A SYSTEM `disconnect` opens the next connection at once, while the old one goes on acking what
//!   is in flight (and handling anything that still arrives) until the gateway closes it or
//!   [`DRAIN`] has passed: nothing is dropped, and a message seen on both is de-duplicated upstream.
//! - A dropped connection or a failed open is retried after a capped exponential backoff with
//!   jitter; a clean close at once (unless connections keep failing quickly).
//! - Refused credentials (HTTP 401/403 or an `auth…` code) are reported on the [`Link`] and retried
//!   every [`REFUSED_RETRY`].
//! - Stopping: no new frames are read, in-flight messages finish and are acked, then the socket closes.

use super::frame::{self, Frame};
use crate::platform::connection::{self, Allowed, Backoff, Link, Socket, State};
use futures_util::StreamExt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long the old connection may go on after a SYSTEM `disconnect` (the gateway closes it after 10 s).
pub const DRAIN: Duration = Duration::from_secs(10);
/// How often credentials that were refused are tried again.
pub const REFUSED_RETRY: Duration = Duration::from_secs(60);
/// WebSocket pings keep the connection (and the NAT in front of an intranet) alive.
const KEEPALIVE: Duration = Duration::from_secs(20);
/// A connection with no traffic for this long is dead.
const SILENT_DEATH: Duration = Duration::from_secs(60);
/// Messages handled at once on one connection; more wait in the socket (and at the gateway).
const MAX_IN_FLIGHT: usize = 1024;
/// A connection that lasted this long worked: the backoff starts over.
const STABLE: Duration = Duration::from_secs(10);
const BACKOFF_BASE: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// What the client needs from the configuration.
pub struct Config {
    /// `dingtalk.api_base`: `connections/open` is under it.
    pub api_base: String,
    pub app_key: String,
    pub app_secret: String,
    pub allowed: Allowed,
    pub http: reqwest::Client,
    pub max_message_bytes: usize,
}

/// Where robot messages go.
pub trait Handler: Send + Sync + 'static {
    /// Handles the callback JSON of one robot message. True once its effects are durable (it is then
    /// acked); false leaves it unacked, so the gateway delivers it again.
    fn message(&self, data: String) -> impl Future<Output = bool> + Send;
}

/// How one connection ended.
#[derive(Debug)]
enum End {
    /// SYSTEM `disconnect`: the next connection is wanted now (the old one drains by itself).
    Successor,
    Closed(String),
    Dropped(String),
    Stopped,
}

/// Why no connection could be opened.
enum OpenError {
    Refused(String),
    Failed(String),
}

/// Runs until `stop`; then waits for every connection to finish its in-flight acks.
pub async fn run<H: Handler>(
    cfg: Config,
    handler: Arc<H>,
    link: Arc<Link>,
    stop: CancellationToken,
) {
    let sessions = TaskTracker::new();
    let mut backoff = Backoff::new(BACKOFF_BASE, BACKOFF_CAP);
    let mut opened_before = false;
    while !stop.is_cancelled() {
        let opened = tokio::select! {
            () = stop.cancelled() => break,
            o = open(&cfg) => o,
        };
        let wait = match opened {
            Ok(socket) => {
                if opened_before {
                    link.reconnected();
                }
                opened_before = true;
                link.set(State::Connected, "");
                let (tx, ended) = oneshot::channel();
                let s = Session::new(handler.clone(), link.clone(), stop.clone());
                sessions.spawn(s.run(socket, tx));
                let started = Instant::now();
                let end = ended.await.unwrap_or(End::Stopped);
                if started.elapsed() >= STABLE || matches!(end, End::Successor) {
                    backoff.reset();
                }
                after(&end, &link, &mut backoff)
            }
            Err(OpenError::Refused(why)) => {
                link.set(State::Refused, why);
                REFUSED_RETRY
            }
            Err(OpenError::Failed(why)) => {
                link.set(State::Reconnecting, why);
                backoff.next(connection::jitter())
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
    }
    sessions.close();
    sessions.wait().await;
    link.shut_down();
}

/// The wait before the next connection, after `end`.
fn after(end: &End, link: &Link, backoff: &mut Backoff) -> Duration {
    match end {
        End::Successor => {
            tracing::info!(
                "DingTalk asked to reconnect (SYSTEM disconnect): opening a new connection"
            );
            Duration::ZERO
        }
        End::Closed(why) => {
            link.set(State::Reconnecting, format!("closed by the gateway: {why}"));
            // At once after a clean close, unless connections keep ending quickly.
            backoff
                .next(connection::jitter())
                .saturating_sub(BACKOFF_BASE)
        }
        End::Dropped(why) => {
            link.set(State::Reconnecting, format!("connection lost: {why}"));
            backoff.next(connection::jitter())
        }
        End::Stopped => Duration::ZERO,
    }
}

/// `connections/open` then the WebSocket.
async fn open(cfg: &Config) -> Result<Socket, OpenError> {
    let url = format!("{}{}", cfg.api_base.trim_end_matches('/'), frame::OPEN_PATH);
    if !(cfg.allowed)(&url) {
        return Err(OpenError::Refused(
            "dingtalk.api_base is not on server.allowed_outbound_hosts".into(),
        ));
    }
    let ua = concat!("policybot/", env!("CARGO_PKG_VERSION"));
    let body = frame::open_body(&cfg.app_key, &cfg.app_secret, ua, &local_ip(&url).await);
    let resp = cfg.http.post(&url).json(&body).send().await;
    let resp =
        resp.map_err(|e| OpenError::Failed(format!("connections/open: {}", e.without_url())))?;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| OpenError::Failed(format!("connections/open: {}", e.without_url())))?;
    if let Some(why) = refusal(status, &bytes) {
        return Err(OpenError::Refused(why));
    }
    if !status.is_success() {
        return Err(OpenError::Failed(format!(
            "connections/open: HTTP {status}"
        )));
    }
    let endpoint = frame::parse_open(&bytes)
        .map_err(|e| OpenError::Failed(format!("connections/open: unexpected answer: {e}")))?;
    let target = frame::connect_url(&endpoint);
    connection::connect(
        &target,
        &endpoint.endpoint,
        &cfg.allowed,
        cfg.max_message_bytes,
    )
    .await
    .map_err(|e| match e {
        connection::ConnectError::NotAllowed(_) => OpenError::Refused(format!("gateway {e}")),
        e => OpenError::Failed(format!("gateway: {e}")),
    })
}

/// Credentials refused: HTTP 401/403, or a 4xx whose `code` is about authentication.
fn refusal(status: reqwest::StatusCode, body: &[u8]) -> Option<String> {
    let code = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let auth = code.to_ascii_lowercase().contains("auth");
    let refused = matches!(status.as_u16(), 401 | 403) || (status.is_client_error() && auth);
    refused.then(|| {
        format!(
            "DingTalk refused dingtalk.app_key/app_secret (HTTP {status} {code}); \
             check them in the console"
        )
    })
}

/// The local address used to reach `url`'s host, as the SDK reports it (`localIp`); empty if unknown.
async fn local_ip(url: &str) -> String {
    let Ok(u) = url::Url::parse(url) else {
        return String::new();
    };
    let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else {
        return String::new();
    };
    let Ok(socket) = tokio::net::UdpSocket::bind("0.0.0.0:0").await else {
        return String::new();
    };
    // A UDP "connect" sends nothing: it only picks the route and so the local address.
    match socket.connect((host, port)).await {
        Ok(()) => socket
            .local_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// What the read loop does after a frame.
enum Action {
    Done,
    /// SYSTEM `disconnect`.
    Successor,
    /// A robot message for the handler.
    Dispatch {
        message_id: String,
        data: String,
    },
}

/// One WebSocket connection.
struct Session<H> {
    handler: Arc<H>,
    link: Arc<Link>,
    stop: CancellationToken,
    in_flight: TaskTracker,
    /// Bounds the messages in flight: at the bound, reading waits (the gateway holds the rest).
    slots: Arc<Semaphore>,
}

impl<H: Handler> Session<H> {
    fn new(handler: Arc<H>, link: Arc<Link>, stop: CancellationToken) -> Self {
        Session {
            handler,
            link,
            stop,
            in_flight: TaskTracker::new(),
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        }
    }

    async fn run(self, socket: Socket, ended: oneshot::Sender<End>) {
        let (sink, mut stream) = socket.split();
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(connection::write_queued(sink, rx));
        let mut ended = Some(ended);
        let mut drain_until: Option<Instant> = None;
        let mut last_heard = Instant::now();
        let mut keepalive = tokio::time::interval(KEEPALIVE);
        let end = loop {
            let drained = async {
                match drain_until {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = self.stop.cancelled() => break End::Stopped,
                () = drained => break End::Closed("drained after SYSTEM disconnect".into()),
                _ = keepalive.tick() => {
                    if last_heard.elapsed() > SILENT_DEATH {
                        break End::Dropped(format!("nothing heard for {} s", SILENT_DEATH.as_secs()));
                    }
                    let _ = tx.send(Message::Ping(Vec::new().into()));
                }
                read = stream.next() => {
                    last_heard = Instant::now();
                    match read {
                        None => break End::Dropped("the connection dropped".into()),
                        Some(Err(e)) => break End::Dropped(e.to_string()),
                        Some(Ok(Message::Close(f))) => {
                            break End::Closed(f.map_or_else(String::new, |f| f.to_string()))
                        }
                        Some(Ok(Message::Text(t))) => match self.on_frame(t.as_str(), &tx) {
                            Action::Done => {}
                            Action::Dispatch { message_id, data } => {
                                self.dispatch(message_id, data, &tx).await;
                            }
                            Action::Successor if drain_until.is_none() => {
                                drain_until = Some(Instant::now() + DRAIN);
                                if let Some(e) = ended.take() {
                                    let _ = e.send(End::Successor);
                                }
                            }
                            Action::Successor => {}
                        },
                        Some(Ok(_)) => {}
                    }
                }
            }
        };
        // In-flight messages finish and their acks are written before the socket closes.
        self.in_flight.close();
        self.in_flight.wait().await;
        drop(tx);
        let _ = writer.await;
        tracing::info!(reason = ?end, "DingTalk stream connection closed");
        if let Some(e) = ended.take() {
            let _ = e.send(end);
        }
    }

    /// Hands a robot message to the handler (once a slot is free) and acks it when the handler says so.
    async fn dispatch(
        &self,
        message_id: String,
        data: String,
        tx: &mpsc::UnboundedSender<Message>,
    ) {
        self.link.message();
        let slot = self.slots.clone().acquire_owned().await;
        let (handler, tx) = (self.handler.clone(), tx.clone());
        self.in_flight.spawn(async move {
            let _slot = slot;
            if handler.message(data).await {
                let _ = tx.send(Message::text(frame::message_ack(&message_id)));
            }
        });
    }

    /// Acts on one frame (acks what needs no handler).
    fn on_frame(&self, text: &str, tx: &mpsc::UnboundedSender<Message>) -> Action {
        let ack = |a: String| {
            let _ = tx.send(Message::text(a));
        };
        match frame::parse_frame(text) {
            Err(e) => tracing::warn!(error = %e, "unreadable DingTalk stream frame ignored"),
            Ok(Frame::Ping { message_id, data }) => ack(frame::ping_ack(&message_id, &data)),
            Ok(Frame::Other { message_id, kind }) => {
                tracing::debug!(%kind, "DingTalk stream frame not handled");
                ack(frame::unhandled_ack(&message_id));
            }
            Ok(Frame::Disconnect { message_id }) => {
                if let Some(id) = message_id {
                    ack(frame::ping_ack(&id, "{}"));
                }
                return Action::Successor;
            }
            Ok(Frame::Message { message_id, data }) => {
                return Action::Dispatch { message_id, data };
            }
        }
        Action::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn refused_credentials_are_told_apart_from_other_failures() {
        let auth = br#"{"code":"authFailed","message":"\u9274\u6743\u5931\u8d25"}"#;
        assert!(refusal(StatusCode::UNAUTHORIZED, auth).is_some());
        assert!(refusal(StatusCode::BAD_REQUEST, auth).is_some());
        assert!(refusal(StatusCode::FORBIDDEN, b"").is_some());
        assert!(refusal(StatusCode::BAD_REQUEST, br#"{"code":"invalidParameter"}"#).is_none());
        assert!(refusal(StatusCode::SERVICE_UNAVAILABLE, b"busy").is_none());
        assert!(refusal(StatusCode::OK, br#"{"endpoint":"wss://x","ticket":"t"}"#).is_none());
    }
}
