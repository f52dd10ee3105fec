//! What the two long-connection transports share (DingTalk Stream mode and the WeCom intelligent
//! robot's long connection): the state a connection is in, as `/healthz` and `/metrics` show it
//! ([`Link`]), the capped exponential backoff with jitter between attempts ([`Backoff`]), and opening
//! a WebSocket only to a destination the outbound allow-list accepts ([`connect`]), and writing to it
//! from a queue ([`write_queued`]).
//!
//! These transports are the only part of `platform` that does network I/O: the bot dials out, so the
//! connection's life (open, keep alive, reconnect) is protocol logic, not the server's.

use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket to a platform gateway.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Decides whether a URL may be dialled (the server's outbound allow-list; `ws`/`wss` URLs are judged
/// like `http`/`https` ones).
pub type Allowed = std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// At most this many queued frames go out with one flush (so a steady stream still flushes often).
const WRITE_BATCH: usize = 64;
/// How long opening a connection (TCP, TLS, WebSocket handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not yet connected once.
    Connecting,
    /// Connected and subscribed: messages flow.
    Connected,
    /// Lost or failed; the next attempt waits out a backoff.
    Reconnecting,
    /// The platform refused the credentials; retried slowly.
    Refused,
    /// Given up for good (WeCom: another instance took the bot); needs an operator.
    Stopped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::Connected => "connected",
            State::Reconnecting => "reconnecting",
            State::Refused => "refused",
            State::Stopped => "stopped",
        }
    }
}

/// One transport's connection status and counters, shared between its client and the server's
/// `/healthz` and `/metrics`.
pub struct Link {
    /// `dingtalk_stream` or `wecom_aibot`.
    pub name: &'static str,
    state: Mutex<(State, String)>,
    reconnects: AtomicU64,
    messages: AtomicU64,
}

/// A copy of a [`Link`] at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub name: &'static str,
    pub state: State,
    /// Why the connection is in this state (empty when connected).
    pub reason: String,
    pub reconnects: u64,
    pub messages: u64,
}

impl Link {
    pub fn new(name: &'static str) -> Link {
        Link {
            name,
            state: Mutex::new((State::Connecting, String::new())),
            reconnects: AtomicU64::new(0),
            messages: AtomicU64::new(0),
        }
    }

    /// Records a new state and why; logs the change (errors loudly for refused and stopped).
    pub fn set(&self, state: State, reason: impl Into<String>) {
        let reason = reason.into();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.0 == state && s.1 == reason {
            return;
        }
        let (name, st) = (self.name, state.as_str());
        match state {
            State::Refused | State::Stopped => {
                tracing::error!(transport = name, state = st, %reason, "connection state")
            }
            State::Reconnecting => {
                tracing::warn!(transport = name, state = st, %reason, "connection state")
            }
            _ => tracing::info!(transport = name, state = st, "connection state"),
        }
        *s = (state, reason);
    }

    /// The transport stopped because the bot is shutting down (not an error).
    pub fn shut_down(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        tracing::info!(transport = self.name, "connection closed: shutting down");
        *s = (State::Stopped, "shut down".into());
    }

    /// Counts a connection opened after the first.
    pub fn reconnected(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message received from the platform.
    pub fn message(&self) {
        self.messages.fetch_add(1, Ordering::Relaxed);
    }

    pub fn status(&self) -> Status {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Status {
            name: self.name,
            state: s.0,
            reason: s.1.clone(),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
        }
    }
}

/// Capped exponential backoff with jitter: the n-th wait is a random duration between half and all
/// of `min(cap, base · 2^(n-1))`, so many bots dropped at once do not reconnect in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The next wait; `unit` is a random number in `[0, 1)`.
    pub fn next(&mut self, unit: f64) -> Duration {
        let full = self
            .base
            .saturating_mul(1u32 << self.attempt.min(16))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }

    /// After a connection that worked: the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Why a WebSocket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "{0} is not on server.allowed_outbound_hosts \
         (wss to a listed host, or plain ws to a listed loopback host)"
    )]
    NotAllowed(String),
    #[error("opening the WebSocket timed out")]
    Timeout,
    #[error("opening the WebSocket failed: {0}")]
    WebSocket(String),
}

/// Opens a WebSocket to `url` (checked with `allowed` first; `shown` is how to name it in errors,
/// without secrets such as a ticket), with messages capped at `max_message_bytes`.
pub async fn connect(
    url: &str,
    shown: &str,
    allowed: &Allowed,
    max_message_bytes: usize,
) -> Result<Socket, ConnectError> {
    if !allowed(url) {
        return Err(ConnectError::NotAllowed(shown.to_owned()));
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_message_bytes))
        .max_frame_size(Some(max_message_bytes));
    let open = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    match tokio::time::timeout(CONNECT_TIMEOUT, open).await {
        Err(_) => Err(ConnectError::Timeout),
        Ok(Err(e)) => Err(ConnectError::WebSocket(e.to_string())),
        Ok(Ok((socket, _))) => Ok(socket),
    }
}

/// Writes the frames queued on `rx` until every sender is gone, then closes the socket. Frames that
/// are already waiting go out together, up to [`WRITE_BATCH`] with one flush (one write).
pub async fn write_queued(
    mut sink: SplitSink<Socket, Message>,
    mut rx: mpsc::UnboundedReceiver<Message>,
) {
    while let Some(first) = rx.recv().await {
        let (mut next, mut fed) = (Some(first), 0);
        while let Some(m) = next {
            if sink.feed(m).await.is_err() {
                return;
            }
            fed += 1;
            next = if fed < WRITE_BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

/// The outbound allow-list for WebSocket and HTTP URLs alike: `wss` is judged as `https`, `ws` as
/// plain `http` (so only to a listed loopback host).
pub fn allow_list(hosts: &[String]) -> Allowed {
    let hosts = hosts.to_vec();
    std::sync::Arc::new(move |url: &str| {
        let Ok(mut u) = url::Url::parse(url) else {
            return false;
        };
        let as_http = match u.scheme() {
            "wss" => "https",
            "ws" => "http",
            other => other,
        }
        .to_owned();
        u.set_scheme(&as_http).is_ok() && super::allowed(u.as_str(), &hosts)
    })
}

/// A random number in `[0, 1)` for [`Backoff::next`].
pub fn jitter() -> f64 {
    rand::random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_jitter_and_stops_at_the_cap() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(b.next(1.0), Duration::from_secs(1));
        assert_eq!(b.next(1.0), Duration::from_secs(2));
        assert_eq!(b.next(0.0), Duration::from_secs(2), "half of 4 s at least");
        for _ in 0..40 {
            assert!(b.next(1.0) <= Duration::from_secs(30));
        }
        assert_eq!(b.next(0.0), Duration::from_secs(15));
        b.reset();
        assert_eq!(b.next(1.0), Duration::from_secs(1));
    }

    #[test]
    fn websockets_follow_the_allow_list_like_http() {
        let ok = allow_list(&[
            "wss-open-connection.dingtalk.com".into(),
            "127.0.0.1:9000".into(),
        ]);
        assert!(ok(
            "wss://wss-open-connection.dingtalk.com:443/connect?ticket=t"
        ));
        assert!(ok("ws://127.0.0.1:9000/connect"));
        assert!(ok("https://wss-open-connection.dingtalk.com/x"));
        assert!(
            !ok("ws://wss-open-connection.dingtalk.com/connect"),
            "plain ws off loopback"
        );
        assert!(!ok("wss://evil.example/connect"));
        assert!(!ok("ws://127.0.0.1:9001/connect"));
        assert!(!ok("not a url"));
    }

    #[test]
    fn a_link_reports_its_state_reason_and_counters() {
        let link = Link::new("t");
        assert_eq!(link.status().state, State::Connecting);
        link.set(State::Refused, "authFailed");
        link.reconnected();
        link.message();
        link.message();
        let s = link.status();
        assert_eq!(
            (s.state, s.reason.as_str(), s.reconnects, s.messages),
            (State::Refused, "authFailed", 1, 2)
        );
    }
}
