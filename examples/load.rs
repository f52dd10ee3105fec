//! Load generator for `POST /dingtalk/callback` of a running `policybot serve` (it starts nothing itself;
//! `scripts/bench_load.sh` does):
//!
//!     cargo run --release --example load -- --url http://127.0.0.1:8080 --secret S \
//!         [--mode answer|escalate|smalltalk|healthz] [--connections 32] [--duration 10] [--warmup 1] [--threads 1] \
//!         [--faq faq] [--questions tests/questions]
//!
//! Each connection is one keep-alive HTTP/1.1 connection (hyper) sending signed DingTalk callbacks
//! (`timestamp` in ms, `sign` = Base64(HMAC-SHA256(app_secret, timestamp + "\n" + app_secret))) back to back,
//! every one with a unique msgId:
//! - `answer`: questions from `tests/questions/*.jsonl` that the matcher (built here from `--faq` with the
//!   default thresholds) answers from the FAQ; one conversation per connection;
//! - `escalate`: distinct out-of-scope questions (checked to escalate), each in its own conversationId, so
//!   every request opens a new durable ticket;
//! - `smalltalk` (for comparison): greetings, answered with the help text without the matcher's scoring,
//!   but otherwise the same path (signature, parsing, de-duplication record, group commit);
//! - `healthz` (for comparison): `GET /healthz`, the HTTP stack alone.
//!
//! Reports requests/s, latency p50/p90/p99/max, connection errors, non-200 statuses and the outcome seen
//! in the reply bodies. Requests started during `--warmup` seconds are sent but not counted.

use anyhow::{Context, Result, bail};
use base64::Engine;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use policybot::matcher::{Matcher, Outcome, Thresholds};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Answer,
    Escalate,
    Smalltalk,
    Healthz,
}

struct Args {
    url: String,
    secret: String,
    connections: usize,
    duration: f64,
    warmup: f64,
    threads: usize,
    mode: Mode,
    faq: PathBuf,
    questions: PathBuf,
    /// Where the last signed timestamp is kept between runs against one server (see `unique_ts_ms`).
    ts_file: Option<PathBuf>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        url: String::new(),
        secret: String::new(),
        connections: 32,
        duration: 10.0,
        warmup: 1.0,
        threads: 1,
        mode: Mode::Answer,
        faq: "faq".into(),
        questions: "tests/questions".into(),
        ts_file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let val = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = val,
            "--secret" => a.secret = val,
            "--connections" => a.connections = val.parse()?,
            "--duration" => a.duration = val.parse()?,
            "--warmup" => a.warmup = val.parse()?,
            "--threads" => a.threads = val.parse()?,
            "--mode" => {
                a.mode = match val.as_str() {
                    "answer" => Mode::Answer,
                    "escalate" => Mode::Escalate,
                    "smalltalk" => Mode::Smalltalk,
                    "healthz" => Mode::Healthz,
                    _ => bail!("--mode answer|escalate|smalltalk|healthz"),
                }
            }
            "--faq" => a.faq = val.into(),
            "--questions" => a.questions = val.into(),
            "--ts-file" => a.ts_file = Some(val.into()),
            _ => bail!("unknown argument {flag}"),
        }
    }
    if a.url.is_empty() || a.secret.is_empty() {
        bail!("--url and --secret are required");
    }
    if a.connections == 0 || a.threads == 0 {
        bail!("--connections and --threads must be positive");
    }
    Ok(a)
}

/// The `q` field of every line of `DIR/*.jsonl`, files in name order.
fn questions(dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f)?.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                && let Some(q) = v["q"].as_str()
            {
                out.push(q.to_owned());
            }
        }
    }
    Ok(out)
}

/// Greetings the matcher treats as small talk.
const SMALLTALK: &[&str] = &[
    "你好",
    "谢谢",
    "在吗",
    "收到",
    "好的",
    "辛苦了",
    "您好",
    "多谢",
];

/// Out-of-scope questions; `{}` gets a per-request number so that every question is distinct.
const OUT_OF_SCOPE: &[&str] = &[
    "园区{}号门外的停车位月租今年怎么收费",
    "食堂下周{}点以后还供应夜宵吗",
    "职工篮球赛第{}小组在哪个场地比赛",
    "我们单位{}个新员工的工牌去哪里领",
    "会议室{}楼的投影仪坏了找谁修",
    "年会抽奖{}等奖的奖品是什么",
];

fn out_of_scope(templates: &[&str], seq: u64) -> String {
    templates[(seq % templates.len() as u64) as usize].replace("{}", &(seq + 1).to_string())
}

/// The questions to send: answered ones from the test set, or escalating templates (both checked here).
fn workload(a: &Args) -> Result<(Vec<String>, Vec<&'static str>)> {
    let base =
        policybot::faq::load_dir(&a.faq).with_context(|| format!("loading {}", a.faq.display()))?;
    let matcher = Matcher::build(&base, Thresholds::default());
    match a.mode {
        Mode::Answer => {
            let all = questions(&a.questions)?;
            let answered: Vec<String> = all
                .iter()
                .filter(|q| matcher.decide(q).outcome == Outcome::Answered)
                .cloned()
                .collect();
            eprintln!(
                "load: answer mode: {} of {} test questions are answered from the FAQ; sending those",
                answered.len(),
                all.len()
            );
            if answered.is_empty() {
                bail!("no test question is answered");
            }
            Ok((answered, vec![]))
        }
        Mode::Smalltalk => {
            let greetings: Vec<String> = SMALLTALK
                .iter()
                .filter(|q| matcher.decide(q).outcome == Outcome::Smalltalk)
                .map(|q| q.to_string())
                .collect();
            if greetings.is_empty() {
                bail!("no greeting is small talk");
            }
            Ok((greetings, vec![]))
        }
        Mode::Healthz => Ok((vec![], vec![])),
        Mode::Escalate => {
            let ok: Vec<&'static str> = OUT_OF_SCOPE
                .iter()
                .copied()
                .filter(|t| {
                    (0..50u64).all(|n| {
                        matcher.decide(&out_of_scope(&[t], n * 7919)).outcome == Outcome::Escalated
                    })
                })
                .collect();
            eprintln!(
                "load: escalate mode: {} of {} out-of-scope templates escalate; one new conversation per request",
                ok.len(),
                OUT_OF_SCOPE.len()
            );
            if ok.is_empty() {
                bail!("no out-of-scope template escalates");
            }
            Ok((vec![], ok))
        }
    }
}

/// A signed timestamp never used before in this run: the bot binds each DingTalk (timestamp, sign) pair
/// to one message id, so requests of the same millisecond must not share one. At load rates this runs
/// ahead of the clock (the bench config widens `signature_window_secs` to DingTalk's hour).
/// Runs against one server continue from the last timestamp of the previous run (`--ts-file`).
static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn unique_ts_ms() -> i64 {
    let now = now_ms();
    let order = std::sync::atomic::Ordering::Relaxed;
    let prev = LAST
        .fetch_update(order, order, |last| Some(now.max(last + 1)))
        .expect("always Some");
    now.max(prev + 1)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn sign(secret: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// What one connection saw during the measured window.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    conn_errors: u64,
    statuses: BTreeMap<u16, u64>,
    outcomes: BTreeMap<&'static str, u64>,
}

struct Shared {
    mode: Mode,
    secret: String,
    addr: String,
    host: String,
    path: String,
    run: String,
    answered: Vec<String>,
    templates: Vec<&'static str>,
    measure_from: Instant,
    end: Instant,
}

fn classify(body: &[u8]) -> &'static str {
    let s = String::from_utf8_lossy(body);
    if s.contains("工单 #") {
        "escalated"
    } else if s.contains("请回复序号") {
        "clarify"
    } else if s.contains("——《") {
        "answered"
    } else if s.contains("政策咨询助手") {
        "help (small talk)"
    } else if s == "ok" {
        "ok"
    } else if !s.contains("\"text\"") {
        "empty (duplicate)"
    } else {
        "other"
    }
}

async fn connection(sh: Arc<Shared>, conn: usize) -> Tally {
    let mut t = Tally::default();
    let mut seq: u64 = 0;
    'reconnect: while Instant::now() < sh.end {
        let stream = match tokio::net::TcpStream::connect(&sh.addr).await {
            Ok(s) => s,
            Err(_) => {
                t.conn_errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (mut sender, driver) =
            match hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
                .await
            {
                Ok(x) => x,
                Err(_) => {
                    t.conn_errors += 1;
                    continue;
                }
            };
        tokio::spawn(async move {
            let _ = driver.await;
        });
        loop {
            let started = Instant::now();
            if started >= sh.end {
                break 'reconnect;
            }
            let n = seq;
            seq += 1;
            let (question, conversation) = match sh.mode {
                Mode::Answer | Mode::Smalltalk => (
                    sh.answered[(conn as u64 * 7 + n) as usize % sh.answered.len()].clone(),
                    format!("cidbench{}c{conn}", sh.run),
                ),
                Mode::Escalate => (
                    out_of_scope(&sh.templates, n * sh_conn_stride() + conn as u64),
                    format!("cidbench{}c{conn}n{n}", sh.run),
                ),
                Mode::Healthz => (String::new(), String::new()),
            };
            let ts = unique_ts_ms();
            let body = if sh.mode == Mode::Healthz {
                String::new()
            } else {
                serde_json::json!({
                    "msgtype": "text",
                    "text": { "content": format!(" {question}") },
                    "msgId": format!("msgbench{}c{conn}n{n}", sh.run),
                    "conversationId": conversation,
                    "conversationType": "2",
                    "conversationTitle": "压测群",
                    "senderId": format!("$:LWCP_v1:$bench{conn}"),
                    "senderStaffId": format!("staff{conn}"),
                    "senderNick": format!("压测{conn}"),
                    "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=bench",
                    "sessionWebhookExpiredTime": ts + 3_600_000,
                    "createAt": ts,
                    "robotCode": "dingbench",
                    "isInAtList": true,
                })
                .to_string()
            };
            let ts = ts.to_string();
            let req = if sh.mode == Mode::Healthz {
                Request::get("/healthz")
                    .header("host", sh.host.as_str())
                    .body(Full::new(Bytes::new()))
            } else {
                Request::post(sh.path.as_str())
                    .header("host", sh.host.as_str())
                    .header("content-type", "application/json")
                    .header("timestamp", ts.as_str())
                    .header("sign", sign(&sh.secret, &ts))
                    .body(Full::new(Bytes::from(body)))
            }
            .expect("valid request");
            if sender.ready().await.is_err() {
                t.conn_errors += 1;
                continue 'reconnect;
            }
            let resp = match sender.send_request(req).await {
                Ok(r) => r,
                Err(_) => {
                    t.conn_errors += 1;
                    continue 'reconnect;
                }
            };
            let status = resp.status().as_u16();
            let body = match resp.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    t.conn_errors += 1;
                    continue 'reconnect;
                }
            };
            if started < sh.measure_from {
                continue;
            }
            let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
            t.latencies_us.push(us);
            *t.statuses.entry(status).or_default() += 1;
            if status == 200 {
                *t.outcomes.entry(classify(&body)).or_default() += 1;
            }
        }
    }
    t
}

/// Keeps escalate-mode numbers distinct across connections (no connection count reaches this).
const fn sh_conn_stride() -> u64 {
    1 << 20
}

/// utime + stime of this process (Linux), to see how much of the 2 cores the generator itself took.
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

fn fmt_map<K: std::fmt::Display>(m: &BTreeMap<K, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

fn main() -> Result<()> {
    let a = args()?;
    let url = url::Url::parse(&a.url).context("--url")?;
    let host = url.host_str().context("--url needs a host")?.to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let path = match url.path() {
        "" | "/" => "/dingtalk/callback".to_owned(),
        p => p.to_owned(),
    };
    let (answered, templates) = workload(&a)?;
    let ts_floor = a
        .ts_file
        .as_ref()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    LAST.store(ts_floor, std::sync::atomic::Ordering::Relaxed);
    let run = format!(
        "{:x}",
        SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64
    );

    let rt = if a.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(a.threads)
            .enable_all()
            .build()?
    };
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(a.warmup);
    let end = measure_from + Duration::from_secs_f64(a.duration);
    let shared = Arc::new(Shared {
        mode: a.mode,
        secret: a.secret.clone(),
        addr: format!("{host}:{port}"),
        host: format!("{host}:{port}"),
        path,
        run,
        answered,
        templates,
        measure_from,
        end,
    });
    let tallies: Vec<Tally> = rt.block_on(async {
        let tasks: Vec<_> = (0..a.connections)
            .map(|c| tokio::spawn(connection(shared.clone(), c)))
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("connection task"));
        }
        out
    });
    let window = a.duration;
    if let Some(f) = &a.ts_file {
        let last = LAST.load(std::sync::atomic::Ordering::Relaxed);
        std::fs::write(f, last.to_string()).context("--ts-file")?;
    }

    let mut lat: Vec<u32> = Vec::new();
    let mut conn_errors = 0;
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<&'static str, u64> = BTreeMap::new();
    for t in tallies {
        lat.extend(t.latencies_us);
        conn_errors += t.conn_errors;
        for (k, v) in t.statuses {
            *statuses.entry(k).or_default() += v;
        }
        for (k, v) in t.outcomes {
            *outcomes.entry(k).or_default() += v;
        }
    }
    lat.sort_unstable();
    let ok = statuses.get(&200).copied().unwrap_or(0);
    let non200: u64 = statuses
        .iter()
        .filter(|(k, _)| **k != 200)
        .map(|(_, v)| v)
        .sum();
    let mode = match a.mode {
        Mode::Answer => "answer",
        Mode::Escalate => "escalate",
        Mode::Smalltalk => "smalltalk",
        Mode::Healthz => "healthz",
    };
    println!(
        "mode {mode}: {} connections, {} client thread(s), {:.1} s measured after {:.1} s warm-up",
        a.connections, a.threads, window, a.warmup
    );
    println!(
        "  requests: {} completed, {:.0} req/s ({:.0} 200s/s)",
        lat.len(),
        lat.len() as f64 / window,
        ok as f64 / window
    );
    println!(
        "  latency: p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        pct(&lat, 0.99),
        lat.last().map_or(f64::NAN, |&x| x as f64 / 1000.0)
    );
    println!(
        "  errors: {conn_errors} connection/IO, {non200} non-200 (statuses: {})",
        fmt_map(&statuses)
    );
    println!("  reply outcomes (200s): {}", fmt_map(&outcomes));
    if let Some(cpu) = own_cpu_seconds() {
        println!(
            "  load generator CPU: {cpu:.2} s ({:.0} µs per request)",
            cpu * 1e6 / lat.len().max(1) as f64 * window / (window + a.warmup)
        );
    }
    Ok(())
}
