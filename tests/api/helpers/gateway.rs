//! A fake DingTalk Stream gateway (platforms.md §1.5), served by the [`FakePlatform`] next to the
//! OpenAPI and session webhooks so that `dingtalk.api_base` points at both: `POST
//! /v1.0/gateway/connections/open` checks the app's credentials (401 `authFailed` otherwise) and
//! hands out a single-use ticket; `GET /gateway/connect?ticket=` upgrades to the WebSocket. Tests push
//! frames (robot messages, SYSTEM ping and disconnect) onto a connection, drop connections, and read
//! every ack the bot sent, with the connection it came on.
//!
//! [`FakePlatform`]: super::FakePlatform

use super::poll;
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

const TOPIC: &str = "/v1.0/im/bot/messages/get";

/// What a test makes a connection do.
enum Command {
    Send(String),
    /// End the connection without a closing handshake (as a network failure would).
    Drop,
}

/// One ack (or any text) the bot sent, and the connection (0, 1, …) it came on.
#[derive(Debug, Clone)]
pub struct Ack {
    pub conn: usize,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    app_key: String,
    app_secret: String,
    /// Tickets handed out → used.
    tickets: Mutex<HashMap<String, bool>>,
    opens: AtomicUsize,
    /// Endpoint handed out instead of this fake's own (e.g. on a host off the allow-list).
    endpoint: Mutex<Option<String>>,
    conns: Mutex<Vec<Option<mpsc::UnboundedSender<Command>>>>,
    received: Mutex<Vec<Ack>>,
    /// Connections that ended: (index, the bot closed it with a closing handshake).
    closed: Mutex<Vec<(usize, bool)>>,
    next_id: AtomicUsize,
}

/// The fake gateway; clone freely.
#[derive(Clone)]
pub struct FakeGateway {
    shared: Arc<Shared>,
}

impl FakeGateway {
    /// A gateway that accepts these credentials.
    pub fn new(app_key: &str, app_secret: &str) -> FakeGateway {
        FakeGateway {
            shared: Arc::new(Shared {
                app_key: app_key.into(),
                app_secret: app_secret.into(),
                ..Shared::default()
            }),
        }
    }

    /// Its routes, for [`FakePlatform::start_with`](super::FakePlatform::start_with).
    pub fn routes(&self) -> Router {
        Router::new()
            .route("/v1.0/gateway/connections/open", post(open))
            .route("/gateway/connect", get(connect))
            .with_state(self.shared.clone())
    }

    /// Hands out `endpoint` from `connections/open` instead of the fake's own WebSocket.
    pub fn hand_out(&self, endpoint: &str) {
        *self.shared.endpoint.lock().unwrap() = Some(endpoint.to_owned());
    }

    /// How many times `connections/open` was called (successful or not).
    pub fn opens(&self) -> usize {
        self.shared.opens.load(Ordering::SeqCst)
    }

    /// How many WebSocket connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.conns.lock().unwrap().len()
    }

    /// Waits (bounded) until `n` connections have been accepted; returns the newest one's index.
    pub async fn wait_connections(&self, n: usize) -> usize {
        poll(
            &format!("{n} stream connections"),
            Duration::from_secs(15),
            || {
                let c = self.connections();
                async move { (c >= n).then_some(c - 1) }
            },
        )
        .await
    }

    /// Sends a robot message (the callback JSON `data`) on connection `conn`; returns the frame's
    /// messageId.
    pub fn push_on(&self, conn: usize, data: &Value) -> String {
        let id = self.message_id();
        let frame = json!({"specVersion": "1.0", "type": "CALLBACK",
            "headers": {"appId": "fake-app", "contentType": "application/json", "messageId": id,
                        "time": super::now_ms().to_string(), "topic": TOPIC},
            "data": data.to_string()});
        self.send(conn, frame);
        id
    }

    /// [`FakeGateway::push_on`] the newest connection.
    pub fn push(&self, data: &Value) -> String {
        self.push_on(self.connections() - 1, data)
    }

    /// A SYSTEM ping with `opaque` data on the newest connection; returns its messageId.
    pub fn ping(&self, opaque: &str) -> String {
        let id = self.message_id();
        let data = json!({"opaque": opaque}).to_string();
        let frame = json!({"specVersion": "1.0", "type": "SYSTEM",
            "headers": {"contentType": "application/json", "messageId": id, "topic": "ping"},
            "data": data});
        self.send(self.connections() - 1, frame);
        id
    }

    /// A SYSTEM disconnect on connection `conn`; like the real gateway, it closes that connection
    /// itself later (see [`FakeGateway::drop_conn`]).
    pub fn disconnect(&self, conn: usize) {
        let frame = json!({"specVersion": "1.0", "type": "SYSTEM",
            "headers": {"contentType": "application/json", "topic": "disconnect"}, "data": "{}"});
        self.send(conn, frame);
    }

    /// Ends connection `conn` abruptly (no closing handshake).
    pub fn drop_conn(&self, conn: usize) {
        if let Some(tx) = self.shared.conns.lock().unwrap()[conn].take() {
            let _ = tx.send(Command::Drop);
        }
    }

    /// `Some(true)` once connection `conn` was closed by the bot with a closing handshake, `Some(false)`
    /// once it ended otherwise; `None` while it is open.
    pub fn closed(&self, conn: usize) -> Option<bool> {
        let closed = self.shared.closed.lock().unwrap();
        closed
            .iter()
            .find(|(c, _)| *c == conn)
            .map(|(_, clean)| *clean)
    }

    /// Everything the bot sent, in order.
    pub fn received(&self) -> Vec<Ack> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The acks of frame `message_id`.
    pub fn acks_of(&self, message_id: &str) -> Vec<Ack> {
        self.received()
            .into_iter()
            .filter(|a| a.body["headers"]["messageId"] == message_id)
            .collect()
    }

    /// Waits (bounded) for the ack of frame `message_id` and returns it.
    pub async fn wait_ack(&self, message_id: &str) -> Ack {
        poll(
            &format!("the ack of {message_id}"),
            Duration::from_secs(15),
            || {
                let ack = self.acks_of(message_id).into_iter().next();
                async move { ack }
            },
        )
        .await
    }

    fn message_id(&self) -> String {
        format!(
            "fake-frame-{}",
            self.shared.next_id.fetch_add(1, Ordering::SeqCst)
        )
    }

    fn send(&self, conn: usize, frame: Value) {
        let conns = self.shared.conns.lock().unwrap();
        let tx = conns[conn].as_ref().expect("connection still open");
        tx.send(Command::Send(frame.to_string()))
            .expect("connection task alive");
    }
}

async fn open(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    shared.opens.fetch_add(1, Ordering::SeqCst);
    let req: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let subscribed = req["subscriptions"][0]["topic"] == TOPIC;
    if req["clientId"] != shared.app_key.as_str()
        || req["clientSecret"] != shared.app_secret.as_str()
    {
        let refused = json!({"code": "authFailed", "message": "鉴权失败"});
        return (StatusCode::UNAUTHORIZED, axum::Json(refused)).into_response();
    }
    if !subscribed {
        return (StatusCode::BAD_REQUEST, "no robot subscription").into_response();
    }
    let ticket = format!("t+{}/=", shared.next_id.fetch_add(1, Ordering::SeqCst));
    shared.tickets.lock().unwrap().insert(ticket.clone(), false);
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let own = format!("ws://{host}/gateway/connect");
    let endpoint = shared.endpoint.lock().unwrap().clone().unwrap_or(own);
    axum::Json(json!({"endpoint": endpoint, "ticket": ticket})).into_response()
}

async fn connect(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let ticket = q.get("ticket").cloned().unwrap_or_default();
    let fresh = shared
        .tickets
        .lock()
        .unwrap()
        .get_mut(&ticket)
        .is_some_and(|used| !std::mem::replace(used, true));
    if !fresh {
        return (StatusCode::UNAUTHORIZED, "ticket unknown or used").into_response();
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let conn = {
        let mut conns = shared.conns.lock().unwrap();
        conns.push(Some(tx));
        conns.len() - 1
    };
    ws.on_upgrade(move |socket| serve(socket, shared, conn, rx))
}

async fn serve(
    mut socket: WebSocket,
    shared: Arc<Shared>,
    conn: usize,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::Send(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Command::Drop) | None => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let body = serde_json::from_str(t.as_str()).unwrap_or(Value::String(t.to_string()));
                    shared.received.lock().unwrap().push(Ack { conn, body });
                }
                Some(Ok(Message::Close(_))) => {
                    shared.closed.lock().unwrap().push((conn, true));
                    break;
                }
                None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    shared.conns.lock().unwrap()[conn] = None;
    let mut closed = shared.closed.lock().unwrap();
    if !closed.iter().any(|(c, _)| *c == conn) {
        closed.push((conn, false));
    }
}
