//! A fake of everything policybot posts to: DingTalk session webhooks and OpenAPI, WeCom group-robot
//! webhooks and the officers' webhooks. It records every request and answers like the platform would,
//! or with a chosen failure for a path prefix, so tests can assert on what the bot sent. It can also
//! serve extra routes: the fake gateways of the long connections (`gateway`, `aibot`).
//!
//! It runs on its own thread and tokio runtime, so it keeps answering while a test blocks (for example
//! on a CLI child process) and whatever runtime flavour the test uses.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Token the fake OpenAPI hands out.
pub const FAKE_ACCESS_TOKEN: &str = "fake-access-token";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The JSON body, or the raw text as a JSON string when it was not JSON.
    pub body: Value,
    /// The status the fake answered with.
    pub status: u16,
}

impl Recorded {
    /// The message text, whatever the body shape (markdown, text, OpenAPI `msgParam`).
    pub fn text(&self) -> String {
        let b = &self.body;
        if let Some(t) = b["markdown"]["text"].as_str() {
            return t.to_owned();
        }
        if let Some(t) = b["text"]["content"].as_str() {
            return t.to_owned();
        }
        if let Some(p) = b["msgParam"].as_str() {
            let p: Value = serde_json::from_str(p).unwrap_or(Value::Null);
            return p["text"]
                .as_str()
                .or(p["content"].as_str())
                .unwrap_or_default()
                .to_owned();
        }
        b.to_string()
    }
}

/// How the fake should fail requests to a path.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    /// HTTP 500 (a transient failure: the bot should retry).
    Http500,
    /// HTTP 200 with this non-zero `errcode` (45009 is the rate limit, others are permanent).
    Errcode(i64),
    /// No answer for 30 s (longer than the bot's 10 s client timeout), then a success.
    Hang,
    /// HTTP 200 with an HTML page, as a proxy in the platform's place might answer (transient).
    NotJson,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    /// Path prefix → (failure, requests still to answer normally before failing).
    failures: Mutex<HashMap<String, (Failure, usize)>>,
}

/// A running fake platform; stops when dropped.
pub struct FakePlatform {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakePlatform {
    /// Starts on 127.0.0.1 with a free port.
    pub fn start() -> FakePlatform {
        Self::start_on("127.0.0.1:0")
    }

    /// Starts on 127.0.0.1 with a free port, also serving `routes` (e.g. a fake gateway's).
    pub fn start_with(routes: Router) -> FakePlatform {
        Self::start_serving("127.0.0.1:0", routes)
    }

    /// Starts on `bind` (e.g. "127.0.0.2:0" for a host that is not on the allow-list).
    pub fn start_on(bind: &str) -> FakePlatform {
        Self::start_serving(bind, Router::new())
    }

    fn start_serving(bind: &str, routes: Router) -> FakePlatform {
        let shared = Arc::new(Shared::default());
        let std_listener = std::net::TcpListener::bind(bind).expect("binding the fake platform");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("fake address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = routes.merge(Router::new().fallback(record).with_state(shared.clone()));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        FakePlatform {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The `host:port` entry for `server.allowed_outbound_hosts`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    /// Fails requests to paths starting with `prefix` until [`FakePlatform::heal`].
    pub fn fail(&self, prefix: &str, failure: Failure) {
        self.fail_after(prefix, 0, failure);
    }

    /// Answers the next `ok` requests to `prefix` normally, then fails them until healed.
    pub fn fail_after(&self, prefix: &str, ok: usize, failure: Failure) {
        self.shared
            .failures
            .lock()
            .unwrap()
            .insert(prefix.to_owned(), (failure, ok));
    }

    pub fn heal(&self, prefix: &str) {
        self.shared.failures.lock().unwrap().remove(prefix);
    }

    /// Waits (bounded) until some request to `prefix` satisfies `pred`, and returns it.
    pub async fn wait_for(
        &self,
        prefix: &str,
        what: &str,
        pred: impl Fn(&Recorded) -> bool,
    ) -> Recorded {
        super::poll(what, Duration::from_secs(10), || {
            let found = self.requests_to(prefix).into_iter().find(|r| pred(r));
            async move { found }
        })
        .await
    }
}

impl Drop for FakePlatform {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let failure = shared
        .failures
        .lock()
        .unwrap()
        .iter_mut()
        .find(|(prefix, _)| path.starts_with(prefix.as_str()))
        .and_then(|(_, (f, ok))| match ok {
            0 => Some(*f),
            n => {
                *n -= 1;
                None
            }
        });
    if let Some(Failure::Hang) = failure {
        // Recorded on arrival (status 0: never answered in time), so tests can see it was attempted.
        let mut recorded = Recorded {
            method: method.to_string(),
            path: path.clone(),
            query: uri.query().map(str::to_owned),
            headers: headers.clone(),
            body: Value::Null,
            status: 0,
        };
        recorded.body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        shared.requests.lock().unwrap().push(recorded);
        tokio::time::sleep(Duration::from_secs(30)).await;
        return (StatusCode::OK, axum::Json(success_body(&path))).into_response();
    }
    let response = match failure {
        Some(Failure::Http500) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"errcode": -1, "errmsg": "system busy"})),
        )
            .into_response(),
        Some(Failure::Errcode(code)) => {
            axum::Json(json!({"errcode": code, "errmsg": "fake failure"})).into_response()
        }
        Some(Failure::NotJson) => "<html>upstream busy</html>".into_response(),
        Some(Failure::Hang) | None => axum::Json(success_body(&path)).into_response(),
    };
    record_request(&shared, method, &uri, headers, &body, response.status());
    response
}

fn record_request(
    shared: &Shared,
    method: Method,
    uri: &Uri,
    headers: HeaderMap,
    body: &[u8],
    status: StatusCode,
) {
    let body = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    shared.requests.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body,
        status: status.as_u16(),
    });
}

/// What the real platform answers on success at `path`.
fn success_body(path: &str) -> Value {
    match path {
        "/v1.0/oauth2/accessToken" => json!({"accessToken": FAKE_ACCESS_TOKEN, "expireIn": 7200}),
        "/v1.0/robot/groupMessages/send" => json!({"processQueryKey": "fake-query-key"}),
        _ => json!({"errcode": 0, "errmsg": "ok"}),
    }
}
