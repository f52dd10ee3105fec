//! A fake of the WeCom intelligent robot's long-connection server (platforms.md §2.2 (d)), served by
//! the [`FakePlatform`] at [`AIBOT_PATH`]: it answers `aibot_subscribe` (errcode 853000 for wrong
//! credentials), heartbeats (unless told to stay silent), replies on a req_id (`aibot_respond_msg`,
//! optionally with an error code) and `aibot_send_msg`, records every frame the bot sent, and lets
//! tests push messages and events and drop the connection.
//!
//! [`FakePlatform`]: super::FakePlatform

use super::poll;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Where the fake listens for the WebSocket (`wecom_aibot.ws_url` = `ws://<fake>/aibot`).
pub const AIBOT_PATH: &str = "/aibot";
/// The credentials the fake accepts.
pub const AIBOT_ID: &str = "aibot-test-id";
pub const AIBOT_SECRET: &str = "aibot-test-secret-Xy7";

/// One frame the bot sent, and the connection (0, 1, …) it came on.
#[derive(Debug, Clone)]
pub struct Sent {
    pub conn: usize,
    pub body: Value,
}

impl Sent {
    pub fn cmd(&self) -> &str {
        self.body["cmd"].as_str().unwrap_or_default()
    }
}

struct Shared {
    secret: String,
    silent_pings: AtomicBool,
    /// errcode for `aibot_respond_msg` (0: accept).
    respond_errcode: AtomicI64,
    conns: Mutex<Vec<Option<mpsc::UnboundedSender<Option<String>>>>>,
    sent: Mutex<Vec<Sent>>,
    next_id: AtomicUsize,
}

/// The fake server; clone freely.
#[derive(Clone)]
pub struct FakeAibot {
    shared: Arc<Shared>,
}

impl FakeAibot {
    /// A server that accepts [`AIBOT_ID`] with `secret`.
    pub fn new(secret: &str) -> FakeAibot {
        FakeAibot {
            shared: Arc::new(Shared {
                secret: secret.into(),
                silent_pings: AtomicBool::new(false),
                respond_errcode: AtomicI64::new(0),
                conns: Mutex::new(Vec::new()),
                sent: Mutex::new(Vec::new()),
                next_id: AtomicUsize::new(0),
            }),
        }
    }

    /// Its routes, for [`FakePlatform::start_with`](super::FakePlatform::start_with).
    pub fn routes(&self) -> Router {
        Router::new()
            .route(AIBOT_PATH, get(upgrade))
            .with_state(self.shared.clone())
    }

    /// Stops (or resumes) answering heartbeats.
    pub fn silence_pings(&self, silent: bool) {
        self.shared.silent_pings.store(silent, Ordering::SeqCst);
    }

    /// Answers replies on a req_id with `errcode` from now on (0 accepts them).
    pub fn refuse_replies(&self, errcode: i64) {
        self.shared.respond_errcode.store(errcode, Ordering::SeqCst);
    }

    /// Every frame the bot sent, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.sent.lock().unwrap().clone()
    }

    /// The frames with command `cmd`.
    pub fn sent_cmd(&self, cmd: &str) -> Vec<Sent> {
        self.sent().into_iter().filter(|s| s.cmd() == cmd).collect()
    }

    /// Waits (bounded) for a frame with command `cmd` that satisfies `pred`.
    pub async fn wait_for(&self, cmd: &str, what: &str, pred: impl Fn(&Sent) -> bool) -> Sent {
        poll(what, Duration::from_secs(15), || {
            let found = self.sent_cmd(cmd).into_iter().find(|s| pred(s));
            async move { found }
        })
        .await
    }

    /// Waits (bounded) until `n` subscribes were answered with success; returns the newest connection.
    pub async fn wait_subscribed(&self, n: usize) -> usize {
        let what = format!("{n} subscribed connections");
        poll(&what, Duration::from_secs(15), || {
            let subs: Vec<Sent> = self
                .sent_cmd("aibot_subscribe")
                .into_iter()
                .filter(|s| s.body["body"]["secret"] == self.shared.secret.as_str())
                .collect();
            async move { (subs.len() >= n).then(|| subs[n - 1].conn) }
        })
        .await
    }

    /// Pushes a text message from `user` in group `chat` (`None`: a one-to-one chat) on the newest
    /// connection, as WeCom does (with the leading `@<bot name>`); returns the callback's req_id.
    pub fn push_text(&self, chat: Option<&str>, user: &str, text: &str, msgid: &str) -> String {
        let req_id = self.id("cb");
        let mut body = json!({"msgid": msgid, "aibotid": AIBOT_ID, "from": {"userid": user},
                              "msgtype": "text", "text": {"content": format!("@政策助手 {text}")}});
        match chat {
            Some(c) => {
                body["chatid"] = json!(c);
                body["chattype"] = json!("group");
            }
            None => body["chattype"] = json!("single"),
        }
        self.push(
            json!({"cmd": "aibot_msg_callback", "headers": {"req_id": req_id}, "body": body}),
        );
        req_id
    }

    /// Sends `disconnected_event` on the newest connection, then closes it, as WeCom does when another
    /// client subscribes with the same bot.
    pub fn take_over(&self) {
        let event = json!({"cmd": "aibot_event_callback", "headers": {"req_id": self.id("ev")},
            "body": {"msgid": self.id("m"), "aibotid": AIBOT_ID, "create_time": 1,
                     "event": {"eventtype": "disconnected_event"}}});
        self.push(event);
        self.close_newest();
    }

    /// Ends the newest connection abruptly.
    pub fn drop_newest(&self) {
        self.close_newest();
    }

    fn close_newest(&self) {
        let conns = self.shared.conns.lock().unwrap();
        if let Some(Some(tx)) = conns.last() {
            let _ = tx.send(None);
        }
    }

    fn push(&self, frame: Value) {
        let conns = self.shared.conns.lock().unwrap();
        let tx = conns
            .last()
            .and_then(Option::as_ref)
            .expect("an open connection");
        tx.send(Some(frame.to_string()))
            .expect("connection task alive");
    }

    fn id(&self, prefix: &str) -> String {
        format!(
            "{prefix}_{}",
            self.shared.next_id.fetch_add(1, Ordering::SeqCst)
        )
    }
}

async fn upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve(socket, shared))
}

async fn serve(mut socket: WebSocket, shared: Arc<Shared>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn = {
        let mut conns = shared.conns.lock().unwrap();
        conns.push(Some(tx));
        conns.len() - 1
    };
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Some(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(None) | None => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let body: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    shared.sent.lock().unwrap().push(Sent { conn, body: body.clone() });
                    let reply = answer(&shared, &body).map(|a| Message::Text(a.to_string().into()));
                    if let Some(reply) = reply
                        && socket.send(reply).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    shared.conns.lock().unwrap()[conn] = None;
}

/// What WeCom answers to a frame the bot sent, if anything.
fn answer(shared: &Shared, frame: &Value) -> Option<Value> {
    let req_id = frame["headers"]["req_id"].clone();
    let ok = |code: i64, msg: &str| {
        Some(json!({"headers": {"req_id": req_id}, "errcode": code, "errmsg": msg}))
    };
    match frame["cmd"].as_str()? {
        "aibot_subscribe" => {
            let good = frame["body"]["bot_id"] == AIBOT_ID
                && frame["body"]["secret"] == shared.secret.as_str();
            if good {
                ok(0, "ok")
            } else {
                ok(853_000, "invalid bot_id or secret")
            }
        }
        "ping" if shared.silent_pings.load(Ordering::SeqCst) => None,
        "ping" | "aibot_send_msg" => ok(0, "ok"),
        "aibot_respond_msg" => match shared.respond_errcode.load(Ordering::SeqCst) {
            0 => ok(0, "ok"),
            code => ok(code, "req_id expired"),
        },
        _ => None,
    }
}
