//! Throughput of DingTalk Stream mode over one connection with many groups. This program is the fake
//! gateway (`connections/open`, the WebSocket) and the session webhooks the replies go to; it starts no
//! bot itself (`scripts/bench_stream.sh` does, pointing `dingtalk.api_base` here):
//!
//!     cargo run --release --example stream_load -- --app-key K --app-secret S [--listen 127.0.0.1:0] \
//!         [--addr-file FILE] [--rate 5000] [--duration 10] [--warmup 2] [--groups 20000] [--drain 5] \
//!         [--faq faq] [--questions tests/questions]
//!
//! Once the bot has connected, it pushes robot messages at `--rate` per second (open loop, paced every
//! millisecond, so a slow bot shows as latency rather than as a lower offered rate), each with its own
//! msgId, a question from `tests/questions` that the FAQ answers (checked here with the default
//! thresholds), round-robin over `--groups` conversations, each with its own session webhook here.
//!
//! Reports the messages pushed, the acks received per second during the measured window (after
//! `--warmup`, until the last push), the ack latency of the frames pushed in it (from sending the frame
//! to receiving its ack) p50/p90/p99/max, frames never acked (after `--drain`), and the
//! replies the session webhooks received during the run and `--drain` seconds after, with the most any
//! group received in any 60 s (the bot sends at most 20 a minute to a group; the rest waits queued).

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::{SinkExt, StreamExt};
use policybot::matcher::{Matcher, Outcome, Thresholds};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc};

struct Args {
    listen: String,
    addr_file: Option<PathBuf>,
    app_key: String,
    app_secret: String,
    rate: u64,
    duration: f64,
    warmup: f64,
    groups: usize,
    drain: f64,
    faq: PathBuf,
    questions: PathBuf,
}

fn args() -> Result<Args> {
    let mut a = Args {
        listen: "127.0.0.1:0".into(),
        addr_file: None,
        app_key: String::new(),
        app_secret: String::new(),
        rate: 5000,
        duration: 10.0,
        warmup: 2.0,
        groups: 20_000,
        drain: 5.0,
        faq: "faq".into(),
        questions: "tests/questions".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let val = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => a.listen = val,
            "--addr-file" => a.addr_file = Some(val.into()),
            "--app-key" => a.app_key = val,
            "--app-secret" => a.app_secret = val,
            "--rate" => a.rate = val.parse()?,
            "--duration" => a.duration = val.parse()?,
            "--warmup" => a.warmup = val.parse()?,
            "--groups" => a.groups = val.parse()?,
            "--drain" => a.drain = val.parse()?,
            "--faq" => a.faq = val.into(),
            "--questions" => a.questions = val.into(),
            _ => bail!("unknown argument {flag}"),
        }
    }
    if a.app_key.is_empty() || a.app_secret.is_empty() || a.rate == 0 || a.groups == 0 {
        bail!("--app-key and --app-secret are required; --rate and --groups must be positive");
    }
    Ok(a)
}

/// The `q` of every `*.jsonl` line under `dir` that the FAQ answers.
fn answered_questions(faq: &Path, dir: &Path) -> Result<Vec<String>> {
    let base =
        policybot::faq::load_dir(faq).with_context(|| format!("loading {}", faq.display()))?;
    let matcher = Matcher::build(&base, Thresholds::default());
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            let q = serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|v| v["q"].as_str().map(str::to_owned));
            if let Some(q) = q.filter(|q| matcher.decide(q).outcome == Outcome::Answered) {
                out.push(q);
            }
        }
    }
    if out.is_empty() {
        bail!("no test question is answered from the FAQ");
    }
    Ok(out)
}

/// What the gateway and the webhooks saw.
#[derive(Default)]
struct Gateway {
    app_key: String,
    app_secret: String,
    conn: Mutex<Option<mpsc::UnboundedSender<String>>>,
    connected: Notify,
    /// When frame n was sent.
    sent: Mutex<Vec<Instant>>,
    /// (frame n, ack latency, when the ack arrived).
    acks: Mutex<Vec<(usize, Duration, Instant)>>,
    /// Group → when each reply arrived.
    replies: Mutex<HashMap<String, Vec<Instant>>>,
}

fn routes(gw: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1.0/gateway/connections/open", post(open))
        .route("/connect", get(connect))
        .route("/robot/sendBySession", post(reply))
        .with_state(gw)
}

async fn open(State(gw): State<Arc<Gateway>>, headers: HeaderMap, body: String) -> Response {
    let req: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if req["clientId"] != gw.app_key.as_str() || req["clientSecret"] != gw.app_secret.as_str() {
        let refused = json!({"code": "authFailed", "message": "鉴权失败"});
        return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(refused)).into_response();
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    axum::Json(json!({"endpoint": format!("ws://{host}/connect"), "ticket": "bench-ticket"}))
        .into_response()
}

async fn connect(State(gw): State<Arc<Gateway>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve(socket, gw))
}

async fn serve(socket: WebSocket, gw: Arc<Gateway>) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    *gw.conn.lock().unwrap() = Some(tx);
    gw.connected.notify_one();
    tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(msg)) = stream.next().await {
        if let Message::Text(t) = msg {
            record_ack(&gw, t.as_str());
        }
    }
    eprintln!("stream_load: the bot's connection closed");
}

fn record_ack(gw: &Gateway, text: &str) {
    let now = Instant::now();
    let Ok(ack) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let id = ack["headers"]["messageId"].as_str().unwrap_or_default();
    let Some(n) = id.strip_prefix('f').and_then(|n| n.parse::<usize>().ok()) else {
        return;
    };
    if ack["code"] != 200 {
        eprintln!("stream_load: frame {n} acked with {}", ack["code"]);
        return;
    }
    let sent = gw.sent.lock().unwrap()[n];
    gw.acks.lock().unwrap().push((n, now - sent, now));
}

async fn reply(
    State(gw): State<Arc<Gateway>>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::Json<Value> {
    let group = q.get("g").cloned().unwrap_or_default();
    gw.replies
        .lock()
        .unwrap()
        .entry(group)
        .or_default()
        .push(Instant::now());
    axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
}

/// The callback JSON of message n, as DingTalk would put it in a frame's data.
fn frame(n: usize, a: &Args, addr: &str, questions: &[String], run: u64) -> String {
    let group = format!("g{}", n % a.groups);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let data = json!({
        "msgtype": "text", "text": {"content": format!(" {}", questions[n % questions.len()])},
        "msgId": format!("bench{run}m{n}"), "conversationId": format!("cid{run}{group}"),
        "conversationType": "2", "conversationTitle": format!("群 {group}"),
        "senderId": format!("$:LWCP_v1:$u{}", n % 997), "senderStaffId": format!("u{}", n % 997),
        "senderNick": "张三", "robotCode": "dingbench", "createAt": now,
        "sessionWebhook": format!("http://{addr}/robot/sendBySession?g={group}"),
        "sessionWebhookExpiredTime": now + 90 * 60_000,
    });
    json!({"specVersion": "1.0", "type": "CALLBACK",
           "headers": {"appId": "bench", "contentType": "application/json", "messageId": format!("f{n}"),
                       "time": now.to_string(), "topic": "/v1.0/im/bot/messages/get"},
           "data": data.to_string()})
    .to_string()
}

/// Pushes frames at `a.rate` per second for warmup + duration; returns how many were pushed.
async fn push(gw: &Gateway, a: &Args, addr: &str, questions: &[String]) -> usize {
    let tx = gw.conn.lock().unwrap().clone().expect("connected");
    let run = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let start = Instant::now();
    let total = Duration::from_secs_f64(a.warmup + a.duration);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let mut n = 0;
    while start.elapsed() < total {
        tick.tick().await;
        let due = (start.elapsed().as_secs_f64() * a.rate as f64) as usize;
        while n < due {
            let text = frame(n, a, addr, questions, run);
            gw.sent.lock().unwrap().push(Instant::now());
            if tx.send(text).is_err() {
                return n;
            }
            n += 1;
        }
    }
    n
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The most replies one group received within any 60 s.
fn most_in_a_minute(replies: &HashMap<String, Vec<Instant>>) -> usize {
    let mut most = 0;
    for times in replies.values() {
        let mut t = times.clone();
        t.sort();
        let mut lo = 0;
        for hi in 0..t.len() {
            while t[hi] - t[lo] >= Duration::from_secs(60) {
                lo += 1;
            }
            most = most.max(hi - lo + 1);
        }
    }
    most
}

/// The measured window: from the end of the warm-up to the end of the pushes.
struct Window {
    first_frame: usize,
    from: Instant,
    to: Instant,
}

fn report(gw: &Gateway, a: &Args, pushed: usize, w: &Window) {
    let acks = gw.acks.lock().unwrap().clone();
    let first_measured = w.first_frame;
    let mut measured: Vec<Duration> = acks
        .iter()
        .filter(|(n, _, _)| *n >= first_measured)
        .map(|(_, d, _)| *d)
        .collect();
    measured.sort();
    let in_window = acks
        .iter()
        .filter(|(_, _, at)| *at >= w.from && *at <= w.to)
        .count();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "frames pushed: {pushed} ({} in the measured {:.0} s)",
        pushed - first_measured,
        a.duration
    );
    println!(
        "acked during the measured window: {in_window} = {:.0} messages/s; never acked: {}",
        in_window as f64 / a.duration,
        pushed - acks.len()
    );
    println!(
        "ack latency of the measured frames, ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(percentile(&measured, 0.5)),
        ms(percentile(&measured, 0.9)),
        ms(percentile(&measured, 0.99)),
        ms(measured.last().copied().unwrap_or_default())
    );
    let replies = gw.replies.lock().unwrap();
    let total: usize = replies.values().map(Vec::len).sum();
    println!(
        "replies at the session webhooks: {total} for {} groups; most to one group in any 60 s: {}",
        replies.len(),
        most_in_a_minute(&replies)
    );
    if let Some(cpu) = own_cpu_secs() {
        println!("generator CPU: {cpu:.2} s");
    }
}

/// This process's user + system CPU time, from /proc (Linux; clock ticks of 1/100 s).
fn own_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let a = args()?;
    let questions = answered_questions(&a.faq, &a.questions)?;
    let gw = Arc::new(Gateway {
        app_key: a.app_key.clone(),
        app_secret: a.app_secret.clone(),
        ..Gateway::default()
    });
    let listener = tokio::net::TcpListener::bind(&a.listen).await?;
    let addr = listener.local_addr()?.to_string();
    if let Some(f) = &a.addr_file {
        std::fs::write(f, &addr)?;
    }
    let app = routes(gw.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    eprintln!(
        "stream_load: gateway on {addr}; {} answered questions; waiting for the bot",
        questions.len()
    );
    tokio::time::timeout(Duration::from_secs(60), gw.connected.notified())
        .await
        .context("the bot did not connect within 60 s")?;
    let start = Instant::now();
    let pushed = push(&gw, &a, &addr, &questions).await;
    let window = Window {
        first_frame: (a.warmup * a.rate as f64) as usize,
        from: start + Duration::from_secs_f64(a.warmup),
        to: Instant::now(),
    };
    tokio::time::sleep(Duration::from_secs_f64(a.drain)).await;
    report(&gw, &a, pushed, &window);
    Ok(())
}
