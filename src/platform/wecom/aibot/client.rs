//! The long connection's life and the requests made over it.
//!
//! [`Client::run`] connects, subscribes with the bot's id and secret, sends a heartbeat every
//! `heartbeat` and drops a connection that left two of them unanswered, hands each message to the
//! [`Handler`], and reconnects after every close with a capped exponential backoff with jitter, except:
//! - a subscribe refused (wrong id or secret) is reported on the [`Link`] and retried every
//!   [`REFUSED_RETRY`];
//! - `disconnected_event` (another client subscribed with this bot) stops the client for good: two
//!   instances would take the bot from each other forever.
//!
//! [`Client::respond`] (a reply on a message's req_id) and [`Client::send_markdown`] (a message the
//! bot starts) each wait for WeCom's answer to that request; an error tells the caller to fall back
//! (the outbox retries). Stopping: messages in flight are finished and answered before the socket
//! closes (within [`STOP_GRACE`]).

use super::frame::{self, AibotMessage, Incoming};
use crate::platform::connection::{self, Allowed, Backoff, Link, Socket, State};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often a refused subscribe is tried again.
pub const REFUSED_RETRY: Duration = Duration::from_secs(60);
/// How long in-flight messages get to finish when the client stops.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long a request waits for WeCom's answer (the SDKs wait 5 s).
const ANSWER_WAIT: Duration = Duration::from_secs(5);
/// How long the subscribe may go unanswered.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(10);
/// Unanswered heartbeats that make a connection dead.
const DEAD_AFTER_UNANSWERED: u32 = 2;
/// A connection that lasted this long worked: the backoff starts over.
const STABLE: Duration = Duration::from_secs(10);
const BACKOFF_BASE: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// What the client needs from the configuration.
pub struct Config {
    pub ws_url: String,
    pub bot_id: String,
    pub secret: String,
    pub heartbeat: Duration,
    pub allowed: Allowed,
    pub max_message_bytes: usize,
}

/// Where messages go.
pub trait Handler: Send + Sync + 'static {
    /// Handles one message; replies with [`Client::respond`] on `req_id`.
    fn message(&self, req_id: String, message: AibotMessage) -> impl Future<Output = ()> + Send;
}

/// Why a request over the connection did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the WeCom long connection is not up")]
    NotConnected,
    #[error("WeCom did not answer within {} s", ANSWER_WAIT.as_secs())]
    Timeout,
    #[error("the WeCom long connection closed before the answer")]
    Closed,
    #[error("WeCom answered errcode {code}: {message}")]
    Api { code: i64, message: String },
}

/// How a connection ended.
#[derive(Debug)]
enum End {
    Closed(String),
    Dropped(String),
    Refused(String),
    /// `disconnected_event`: another instance owns the bot.
    Taken,
    Stopped,
}

type Answer = (i64, String);

/// The client: the current connection (if subscribed) and the requests waiting for answers.
pub struct Client {
    link: Arc<Link>,
    conn: Mutex<Option<mpsc::UnboundedSender<Message>>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
}

impl Client {
    pub fn new(link: Arc<Link>) -> Arc<Client> {
        Arc::new(Client {
            link,
            conn: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        })
    }

    pub fn link(&self) -> &Arc<Link> {
        &self.link
    }

    /// Replies to the message that came with `callback_req_id`: one finished stream message.
    pub async fn respond(&self, callback_req_id: &str, markdown: &str) -> Result<(), SendError> {
        let stream_id = new_req_id("stream");
        let text = frame::respond(callback_req_id, &stream_id, markdown);
        self.request(callback_req_id.to_owned(), text).await
    }

    /// Sends markdown to a chat (a group's chatid, or a user id for a one-to-one chat).
    pub async fn send_markdown(&self, chat_id: &str, markdown: &str) -> Result<(), SendError> {
        let id = new_req_id("aibot_send_msg");
        let text = frame::send_markdown(&id, chat_id, markdown);
        self.request(id, text).await
    }

    async fn request(&self, req_id: String, text: String) -> Result<(), SendError> {
        let conn = lock(&self.conn).clone().ok_or(SendError::NotConnected)?;
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(req_id.clone(), tx);
        if conn.send(Message::text(text)).is_err() {
            lock(&self.pending).remove(&req_id);
            return Err(SendError::NotConnected);
        }
        let answer = tokio::time::timeout(ANSWER_WAIT, rx).await;
        lock(&self.pending).remove(&req_id);
        match answer {
            Err(_) => Err(SendError::Timeout),
            Ok(Err(_)) => Err(SendError::Closed),
            Ok(Ok((0, _))) => Ok(()),
            Ok(Ok((code, message))) => Err(SendError::Api { code, message }),
        }
    }

    /// Runs until `stop` (or `disconnected_event`).
    pub async fn run<H: Handler>(
        self: Arc<Self>,
        cfg: Config,
        handler: Arc<H>,
        stop: CancellationToken,
    ) {
        let mut backoff = Backoff::new(BACKOFF_BASE, BACKOFF_CAP);
        let mut opened_before = false;
        while !stop.is_cancelled() {
            let url = &cfg.ws_url;
            let connected = tokio::select! {
                () = stop.cancelled() => break,
                c = connection::connect(url, url, &cfg.allowed, cfg.max_message_bytes) => c,
            };
            let wait = match connected {
                Err(e @ connection::ConnectError::NotAllowed(_)) => {
                    self.link
                        .set(State::Refused, format!("wecom_aibot.ws_url: {e}"));
                    REFUSED_RETRY
                }
                Err(e) => {
                    self.link.set(State::Reconnecting, e.to_string());
                    backoff.next(connection::jitter())
                }
                Ok(socket) => {
                    if opened_before {
                        self.link.reconnected();
                    }
                    opened_before = true;
                    let started = Instant::now();
                    let end = self.session(socket, &cfg, &handler, &stop).await;
                    tracing::info!(reason = ?end, "WeCom long connection closed");
                    if started.elapsed() >= STABLE {
                        backoff.reset();
                    }
                    match end {
                        End::Taken => {
                            self.link.set(
                                State::Stopped,
                                "disconnected_event: another instance subscribed with this bot_id; \
                                 this one stopped and will not reconnect (restart it once the other is gone)",
                            );
                            return;
                        }
                        End::Stopped => break,
                        End::Refused(why) => {
                            self.link.set(State::Refused, why);
                            REFUSED_RETRY
                        }
                        End::Closed(why) | End::Dropped(why) => {
                            self.link.set(State::Reconnecting, why);
                            backoff.next(connection::jitter())
                        }
                    }
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
        self.link.shut_down();
    }

    /// One connection: subscribe, heartbeat, read until it ends.
    async fn session<H: Handler>(
        &self,
        socket: Socket,
        cfg: &Config,
        handler: &Arc<H>,
        stop: &CancellationToken,
    ) -> End {
        let (sink, mut stream) = socket.split();
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(connection::write_queued(sink, rx));
        let mut s = SessionState::new(new_req_id("aibot_subscribe"));
        let _ = tx.send(Message::text(frame::subscribe(
            &s.subscribe_id,
            &cfg.bot_id,
            &cfg.secret,
        )));
        let in_flight = TaskTracker::new();
        let start = Instant::now();
        let mut heartbeat = tokio::time::interval_at(start + cfg.heartbeat, cfg.heartbeat);
        let never = start + Duration::from_secs(365 * 86_400);
        let end = loop {
            let subscribe_by = if s.subscribed {
                never
            } else {
                start + SUBSCRIBE_WAIT
            };
            tokio::select! {
                () = stop.cancelled(), if s.stopping_until.is_none() => {
                    // Messages in flight still need this connection for their replies' answers.
                    s.stopping_until = Some(Instant::now() + STOP_GRACE);
                    in_flight.close();
                }
                () = in_flight.wait(), if s.stopping_until.is_some() => break End::Stopped,
                () = tokio::time::sleep_until(s.stopping_until.unwrap_or(never)) => break End::Stopped,
                () = tokio::time::sleep_until(subscribe_by) => {
                    break End::Dropped("aibot_subscribe was not answered".into())
                }
                _ = heartbeat.tick() => {
                    if s.unanswered >= DEAD_AFTER_UNANSWERED {
                        break End::Dropped(format!("{DEAD_AFTER_UNANSWERED} heartbeats unanswered"));
                    }
                    let id = new_req_id("ping");
                    let _ = tx.send(Message::text(frame::ping(&id)));
                    s.pings.insert(id);
                    s.unanswered += 1;
                }
                read = stream.next() => {
                    let text = match read {
                        None => break End::Dropped("the connection dropped".into()),
                        Some(Err(e)) => break End::Dropped(e.to_string()),
                        Some(Ok(Message::Close(f))) => {
                            break End::Closed(f.map_or_else(|| "closed".into(), |f| f.to_string()))
                        }
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(_)) => continue,
                    };
                    if let Some(end) = self.on_frame(text.as_str(), &mut s, &tx, handler, &in_flight) {
                        break end;
                    }
                }
            }
        };
        // Requests waiting on this connection fail at once (the callers fall back to the outbox),
        // in-flight messages finish, then the socket closes.
        *lock(&self.conn) = None;
        lock(&self.pending).clear();
        in_flight.close();
        in_flight.wait().await;
        drop(tx);
        let _ = writer.await;
        end
    }

    /// Acts on one frame; `Some` ends the connection.
    fn on_frame<H: Handler>(
        &self,
        text: &str,
        s: &mut SessionState,
        tx: &mpsc::UnboundedSender<Message>,
        handler: &Arc<H>,
        in_flight: &TaskTracker,
    ) -> Option<End> {
        match frame::parse(text) {
            Err(e) => tracing::warn!(error = %e, "unreadable WeCom long-connection frame ignored"),
            Ok(Incoming::Answer {
                req_id,
                errcode,
                errmsg,
            }) if req_id == s.subscribe_id => {
                if errcode != 0 {
                    return Some(End::Refused(refusal(errcode, &errmsg)));
                }
                s.subscribed = true;
                *lock(&self.conn) = Some(tx.clone());
                self.link.set(State::Connected, "");
            }
            Ok(Incoming::Answer {
                req_id,
                errcode,
                errmsg,
            }) => {
                if s.pings.remove(&req_id) {
                    s.unanswered = 0;
                } else if let Some(waiter) = lock(&self.pending).remove(&req_id) {
                    let _ = waiter.send((errcode, errmsg));
                }
            }
            Ok(Incoming::Message { req_id, message }) => {
                self.link.message();
                let handler = handler.clone();
                in_flight.spawn(async move { handler.message(req_id, message).await });
            }
            Ok(Incoming::Event { event_type, .. }) if event_type == frame::DISCONNECTED_EVENT => {
                return Some(End::Taken);
            }
            Ok(Incoming::Event { event_type, .. }) => {
                tracing::debug!(%event_type, "WeCom event ignored");
            }
            Ok(Incoming::Other { cmd }) => tracing::debug!(%cmd, "WeCom command ignored"),
        }
        None
    }
}

/// What one connection keeps track of.
struct SessionState {
    subscribe_id: String,
    subscribed: bool,
    pings: HashSet<String>,
    unanswered: u32,
    stopping_until: Option<Instant>,
}

impl SessionState {
    fn new(subscribe_id: String) -> Self {
        SessionState {
            subscribe_id,
            subscribed: false,
            pings: HashSet::new(),
            unanswered: 0,
            stopping_until: None,
        }
    }
}

/// What the log and `/healthz` say about a refused subscribe.
fn refusal(errcode: i64, errmsg: &str) -> String {
    let hint = if errcode == frame::BAD_CREDENTIALS {
        ": check wecom_aibot.bot_id and secret"
    } else {
        ""
    };
    format!("WeCom refused the subscribe (errcode {errcode} {errmsg}){hint}")
}

fn new_req_id(prefix: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    frame::req_id(prefix, now, rand::random())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_without_a_connection_fail_at_once() {
        let c = Client::new(Arc::new(Link::new("t")));
        assert_eq!(
            c.send_markdown("C1", "x").await,
            Err(SendError::NotConnected)
        );
    }

    #[tokio::test]
    async fn a_request_is_answered_by_its_req_id() {
        let c = Client::new(Arc::new(Link::new("t")));
        let (tx, mut rx) = mpsc::unbounded_channel();
        *lock(&c.conn) = Some(tx);
        let c2 = c.clone();
        let answering = tokio::spawn(async move {
            let Some(Message::Text(t)) = rx.recv().await else {
                panic!("nothing sent")
            };
            let sent: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
            let id = sent["headers"]["req_id"].as_str().unwrap().to_owned();
            let waiter = lock(&c2.pending).remove(&id).unwrap();
            waiter
                .send((45009, "api freq out of limit".into()))
                .unwrap();
        });
        let r = c.send_markdown("C1", "x").await;
        answering.await.unwrap();
        assert_eq!(
            r,
            Err(SendError::Api {
                code: 45009,
                message: "api freq out of limit".into()
            })
        );
    }

    #[test]
    fn a_refusal_names_the_keys_to_check_for_bad_credentials() {
        assert!(refusal(853000, "invalid secret").contains("wecom_aibot.bot_id and secret"));
        assert!(!refusal(1, "x").contains("wecom_aibot"));
    }
}
