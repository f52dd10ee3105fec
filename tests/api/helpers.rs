//! The harness every test uses: [`TestApp::spawn`] runs the real `policybot serve` binary on a fresh temp
//! data dir, with a config that points every outbound URL at a [`FakePlatform`] and allows only that
//! host, reads the bound address from the server's own "policybot serving" log line (no port race) and
//! waits for `/healthz`. Typed helpers send signed DingTalk callbacks, encrypted WeCom callbacks and
//! admin API calls. Waits are bounded polls ([`poll`]), never bare sleeps. Measures are judged on a fixed
//! day ([`TEST_AS_OF`] unless a [`Setup`] says otherwise), so replies do not change with the calendar.

mod aibot;
mod browser;
mod crypto;
mod fake;
mod faq;
mod gateway;
mod logs;
mod messages;

pub use aibot::{AIBOT_ID, AIBOT_PATH, AIBOT_SECRET, FakeAibot};
pub use browser::Browser;
pub use crypto::{WeComCrypto, dingtalk_sign};
pub use fake::{FAKE_ACCESS_TOKEN, Failure, FakePlatform, Recorded};
pub use faq::{faq_copy, repo_faq};
pub use gateway::{Ack, FakeGateway};
pub use messages::{DingTalkMsg, wecom_robot_text};

use reqwest::StatusCode;
use serde_json::Value;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_policybot");
pub const APP_KEY: &str = "test-app-key";
pub const APP_SECRET: &str = "test-app-secret-SEC0f70993d41e2";
pub const ADMIN_TOKEN: &str = "test-admin-token";
/// WeCom credentials of vector G4 (platform_vectors.json).
pub const WECOM_TOKEN: &str = "QDG6eK";
pub const WECOM_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
pub const WECOM_RECEIVE_ID: &str = "wx5823bf96d3bd56c7";
/// The one officer group of the test config.
pub const OFFICER_GROUP: &str = "officer-cid";
/// The officers of the test config (`officers.staff_ids`): 王科长 on DingTalk, wangke on WeCom.
pub const OFFICERS: [&str; 2] = ["o-wang", "wangke"];
/// An ordinary user group.
pub const USER_GROUP: &str = "cid-user-group==";
/// The robotCode carried by test callbacks.
pub const ROBOT_CODE: &str = "ding-test-robot";
/// Path of the fake DingTalk session webhook.
pub const SESSION_PATH: &str = "/robot/sendBySession";
/// Path of the fake officers' webhook.
pub const OFFICERS_PATH: &str = "/officers";
/// Path of the fake WeCom group-robot webhook.
pub const WECOM_HOOK_PATH: &str = "/cgi-bin/webhook/send";
/// The `[knowledge] as_of` of the standard setup: every shipped measure is in force then.
pub const TEST_AS_OF: &str = "2020-03-31";

/// What a test changes in the standard setup.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// The `[knowledge]` table's lines instead of `as_of = TEST_AS_OF`.
    pub knowledge: Option<String>,
    /// A FAQ directory instead of the repository's `faq/`.
    pub faq: Option<PathBuf>,
    /// Extra lines of the `[server]` table (e.g. `"max_connections = 4"`).
    pub server: String,
    /// Extra TOML after the standard tables (e.g. `[[console.accounts]]` tables).
    pub extra: String,
    /// Extra lines of the `[dingtalk]` table (e.g. `mode = "stream"`).
    pub dingtalk: String,
    /// Tables appended to the config (e.g. `[wecom_aibot]`).
    pub tables: String,
}

impl Setup {
    /// The standard setup with these extra `[server]` lines.
    pub fn server(lines: &str) -> Setup {
        Setup {
            server: lines.to_owned(),
            ..Setup::default()
        }
    }
}

/// Polls `probe` every 50 ms until it yields a value; panics naming `what` after `limit`.
pub async fn poll<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A message id unique within the test binary.
pub fn unique_id(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A DingTalk timestamp (epoch ms) never handed out before in this test binary: the bot binds each
/// signed timestamp to one message, as DingTalk signs each push anew.
pub fn unique_ts_ms() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = now_ms();
    let prev = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .unwrap();
    now.max(prev + 1)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The real server as a child process, its data dir, and the fake platform it talks to.
pub struct TestApp {
    pub addr: SocketAddr,
    pub fake: FakePlatform,
    pub http: reqwest::Client,
    pub wecom: WeComCrypto,
    dir: TempDir,
    child: Option<Child>,
    logs: Arc<Mutex<Vec<String>>>,
}

impl TestApp {
    /// A fresh server on a fresh data dir.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Setup::default()).await
    }

    /// A fresh server on a fresh data dir, set up as `setup` says.
    pub async fn spawn_with(setup: Setup) -> TestApp {
        TestApp::spawn_on(setup, FakePlatform::start()).await
    }

    /// A fresh server set up as `setup` says, talking to `fake` (one serving extra routes, such as a
    /// fake gateway's).
    pub async fn spawn_on(setup: Setup, fake: FakePlatform) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let config = config_toml(&dir, &fake, &setup);
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let mut app = TestApp {
            addr: "0.0.0.0:0".parse().unwrap(),
            fake,
            http,
            wecom: WeComCrypto::new(WECOM_TOKEN, WECOM_KEY, WECOM_RECEIVE_ID),
            dir,
            child: None,
            logs: Arc::default(),
        };
        app.start().await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The running server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The server's data dir (`server.data_dir`).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// The config file the server runs on.
    pub fn config_path(&self) -> std::path::PathBuf {
        self.dir.path().join("config.toml")
    }

    /// Starts the binary on the same config and data dir (after [`TestApp::stop`] or [`TestApp::kill9`]).
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut child = Command::new(BIN)
            .args(["serve", "--config"])
            .arg(self.dir.path().join("config.toml"))
            .env("RUST_LOG", "policybot=info")
            .env("NO_COLOR", "1")
            .envs_removed()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning policybot");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let stderr = child.stderr.take().unwrap();
        let logs = self.logs.clone();
        std::thread::spawn(move || read_logs(stderr, logs, tx));
        self.child = Some(child);
        let started = tokio::time::timeout(Duration::from_secs(15), rx).await;
        let Ok(Ok(addr)) = started else {
            panic!(
                "policybot did not report its address; log:\n{}",
                self.log_tail(40)
            );
        };
        self.addr = addr;
        let (http, health) = (&self.http, &self.url("/healthz"));
        poll("/healthz", Duration::from_secs(10), || async move {
            let r = http.get(health).send().await.ok()?;
            (r.status() == StatusCode::OK).then_some(())
        })
        .await;
    }

    /// Rewrites the config file (takes effect at the next start).
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let text = std::fs::read_to_string(self.config_path()).unwrap();
        std::fs::write(self.config_path(), edit(text)).unwrap();
    }

    /// Runs `policybot serve` on this config and data dir expecting it to refuse to start: returns its
    /// exit success and what it printed (bounded: panics if it is still running after 15 s).
    pub async fn serve_expecting_exit(&self) -> (bool, String) {
        let run = tokio::process::Command::new(BIN)
            .args(["serve", "--config"])
            .arg(self.config_path())
            .env("RUST_LOG", "policybot=info")
            .envs_removed_tokio()
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(15), run)
            .await
            .expect("policybot serve kept running on a damaged data dir")
            .expect("running policybot");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// Sets the running server's soft file-size limit (RLIMIT_FSIZE) with util-linux `prlimit`: a way
    /// to make every write that grows a file fail, as on a full disk, without privileges.
    pub fn limit_file_size(&self, bytes: Option<u64>) {
        let soft = bytes.map_or("unlimited".to_owned(), |b| b.to_string());
        self.prlimit(&format!("--fsize={soft}:unlimited"));
    }

    /// Sets the running server's soft limit on open files (RLIMIT_NOFILE), as a small `ulimit -n` would.
    pub fn limit_open_files(&self, n: u64) {
        self.prlimit(&format!("--nofile={n}"));
    }

    fn prlimit(&self, limit: &str) {
        let status = Command::new("prlimit")
            .arg("--pid")
            .arg(self.pid().to_string())
            .arg(limit)
            .status()
            .expect("prlimit (util-linux) is needed by this test");
        assert!(status.success(), "prlimit {limit} failed");
    }

    /// Graceful stop (SIGTERM), bounded.
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("policybot ignored SIGTERM for 10 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: no shutdown, no flush.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// The last `n` lines the server logged.
    pub fn log_tail(&self, n: usize) -> String {
        let logs = self.logs.lock().unwrap();
        logs[logs.len().saturating_sub(n)..].join("\n")
    }

    /// `/healthz`: status and body.
    pub async fn health(&self) -> (StatusCode, String) {
        let r = self.http.get(self.url("/healthz")).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> String {
        let r = self.http.get(self.url("/metrics")).send().await.unwrap();
        r.text().await.unwrap()
    }

    /// Asserts the server still answers `/healthz`.
    pub async fn assert_healthy(&self) {
        let r = self
            .http
            .get(self.url("/healthz"))
            .send()
            .await
            .expect("server reachable");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.unwrap(), "ok");
    }

    /// A signed DingTalk text callback from `sender` in [`USER_GROUP`]; returns status and JSON body.
    pub async fn post_dingtalk(
        &self,
        text: &str,
        msg_id: &str,
        sender: &str,
    ) -> (StatusCode, Value) {
        let msg = DingTalkMsg::new(self, text)
            .msg_id(msg_id)
            .from(sender, &format!("{sender}的昵称"));
        self.send_dingtalk(&msg).await
    }

    /// Sends `text` as a fresh DingTalk message from the default asker; returns the ticket number of the
    /// escalation it must cause.
    pub async fn escalate(&self, text: &str) -> u64 {
        let (status, body) = self.send_dingtalk(&DingTalkMsg::new(self, text)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ticket_number(markdown_text(&body)).unwrap_or_else(|| panic!("not escalated: {body}"))
    }

    /// A signed DingTalk callback.
    pub async fn send_dingtalk(&self, msg: &DingTalkMsg) -> (StatusCode, Value) {
        let ts = unique_ts_ms().to_string();
        let sign = dingtalk_sign(APP_SECRET, &ts);
        let (status, text) = self
            .post_dingtalk_raw(
                &[("timestamp", &ts), ("sign", &sign)],
                "application/json; charset=utf-8",
                msg.body().to_string().into_bytes(),
            )
            .await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A DingTalk callback with exactly these headers and body.
    pub async fn post_dingtalk_raw(
        &self,
        headers: &[(&str, &str)],
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let mut req = self
            .http
            .post(self.url("/dingtalk/callback"))
            .header("content-type", content_type)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.expect("server reachable");
        (r.status(), r.text().await.unwrap())
    }

    /// POSTs `plaintext` encrypted and signed with `crypto`; returns status and the raw response body.
    pub async fn post_wecom_with(
        &self,
        crypto: &WeComCrypto,
        plaintext: &str,
    ) -> (StatusCode, String) {
        let (ts, nonce) = ((now_ms() / 1000).to_string(), unique_id("n"));
        let encrypt = crypto.encrypt(plaintext, b"0123456789abcdef");
        let sig = crypto.signature(&ts, &nonce, &encrypt);
        let body = format!(
            "<xml><ToUserName><![CDATA[{WECOM_RECEIVE_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        );
        self.post_wecom_raw(
            &format!("msg_signature={sig}&timestamp={ts}&nonce={nonce}"),
            body,
        )
        .await
    }

    /// POSTs `plaintext` as the configured WeCom robot would.
    pub async fn post_wecom(&self, plaintext: &str) -> (StatusCode, String) {
        self.post_wecom_with(&self.wecom, plaintext).await
    }

    pub async fn post_wecom_raw(&self, query: &str, body: String) -> (StatusCode, String) {
        let r = self
            .http
            .post(self.url(&format!("/wecom/callback?{query}")))
            .header("content-type", "text/xml")
            .body(body)
            .send()
            .await
            .expect("server reachable");
        (r.status(), r.text().await.unwrap())
    }

    /// An admin API call with an explicit token (`None`: no Authorization header).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), self.url(&format!("/api/v1{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("server reachable");
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn api_get(&self, path: &str) -> (StatusCode, Value) {
        self.api("GET", path, Some(ADMIN_TOKEN), None).await
    }

    pub async fn api_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.api("POST", path, Some(ADMIN_TOKEN), Some(body)).await
    }

    /// A ticket that must exist.
    pub async fn ticket(&self, id: u64) -> Value {
        let (status, t) = self.api_get(&format!("/tickets/{id}")).await;
        assert_eq!(status, StatusCode::OK, "ticket #{id}: {t}");
        t
    }

    /// Waits (bounded) until ticket `id`'s delivery state is `state`.
    pub async fn wait_delivery(&self, id: u64, state: &str) -> Value {
        poll(
            &format!("ticket #{id} delivery {state}"),
            Duration::from_secs(15),
            || async move {
                let t = self.ticket(id).await;
                (t["delivery"]["state"] == state).then_some(t)
            },
        )
        .await
    }

    /// Runs the CLI binary with `args` (not `serve`); returns (success, stdout, stderr).
    pub async fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(BIN)
            .args(args)
            .envs_removed_tokio()
            .output()
            .await
            .expect("running the CLI");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "--- policybot log (last 30 lines) ---\n{}",
                self.log_tail(30)
            );
        }
    }
}

/// Runs the CLI binary with `args`, no server; returns (success, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs_removed()
        .output()
        .expect("running the CLI");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `policybot ask --json --as-of TEST_AS_OF` over `questions` (one per line on stdin), parsed.
pub fn ask_json(questions: &[&str]) -> Vec<Value> {
    ask_json_with(&["--as-of", TEST_AS_OF], questions)
}

/// `policybot ask --json` on the shipped base, stdin and stdout piped.
fn ask_json_command() -> Command {
    let mut c = Command::new(BIN);
    c.args([
        "ask",
        "--json",
        "--faq",
        concat!(env!("CARGO_MANIFEST_DIR"), "/faq"),
    ])
    .envs_removed()
    .stdin(Stdio::piped())
    .stdout(Stdio::piped());
    c
}

/// `policybot ask --json` with `args` over `questions` (one per line on stdin), parsed.
pub fn ask_json_with(args: &[&str], questions: &[&str]) -> Vec<Value> {
    use std::io::Write;
    let mut child = ask_json_command().args(args).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(questions.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `policybot ask --json` on the shipped base with `n` questions on stdin, whose reader takes one line of
/// the answers and closes the pipe; returns (success, stderr). The questions are fed from a thread that
/// stops when the bot no longer reads.
pub fn ask_json_read_one_line(n: usize) -> (bool, String) {
    use std::io::{BufRead, Write};
    let mut child = ask_json_command().stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        for _ in 0..n {
            if stdin
                .write_all("我们厂临时转产口罩，要办环评吗？\n".as_bytes())
                .is_err()
            {
                break;
            }
        }
    });
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is dropped here: the bot's next writes meet a closed pipe.
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The ticket number in a reply such as "…（工单 #12）…".
pub fn ticket_number(reply: &str) -> Option<u64> {
    let rest = &reply[reply.find("工单 #")? + "工单 #".len()..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// The value of `<tag>` in a flat XML document, without CDATA.
pub fn xml_field<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>")).unwrap();
    let v = &xml[start..end];
    v.strip_prefix("<![CDATA[")
        .and_then(|v| v.strip_suffix("]]>"))
        .unwrap_or(v)
}

/// The markdown text of a DingTalk callback response.
pub fn markdown_text(body: &Value) -> &str {
    body["markdown"]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("not a markdown reply: {body}"))
}

fn config_toml(dir: &TempDir, fake: &FakePlatform, setup: &Setup) -> String {
    let s = |v: &str| serde_json::to_string(v).unwrap();
    let repo_faq = repo_faq();
    let faq = setup.faq.as_ref().unwrap_or(&repo_faq);
    let server_lines = &setup.server;
    let knowledge = setup
        .knowledge
        .clone()
        .unwrap_or_else(|| format!("as_of = {}", s(TEST_AS_OF)));
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = {data}\nfaq_dir = {faq}\nadmin_token = {token}\n\
         allowed_outbound_hosts = [{host}]\nlog_format = \"json\"\n{server_lines}\n\n\
         [dingtalk]\napp_key = {key}\napp_secret = {secret}\nrobot_code = \"\"\napi_base = {api}\n{dt_lines}\n\n\
         [wecom]\ntoken = {wt}\nencoding_aes_key = {wk}\nreceive_id = {wr}\n\n\
         [officers]\nnotify_webhooks = [{officers}]\ngroups = [{og}]\nstaff_ids = [{staff}]\n\
         max_new_tickets_per_sender_per_hour = 10000\nmax_new_tickets_per_group_per_hour = 10000\n\n[knowledge]\n{knowledge}\n\n{tables}\n{extra}\n",
        data = s(&dir.path().join("data").display().to_string()),
        faq = s(&faq.display().to_string()),
        token = s(ADMIN_TOKEN),
        host = s(&fake.host()),
        key = s(APP_KEY),
        secret = s(APP_SECRET),
        api = s(&fake.url("")),
        wt = s(WECOM_TOKEN),
        wk = s(WECOM_KEY),
        wr = s(WECOM_RECEIVE_ID),
        officers = s(&fake.url(OFFICERS_PATH)),
        og = s(OFFICER_GROUP),
        staff = OFFICERS.map(s).join(", "),
        extra = setup.extra,
        dt_lines = setup.dingtalk,
        tables = setup.tables,
    )
}

/// Copies the server's stderr into `logs` and reports the address of the "policybot serving" line.
fn read_logs(
    stderr: std::process::ChildStderr,
    logs: Arc<Mutex<Vec<String>>>,
    tx: tokio::sync::oneshot::Sender<SocketAddr>,
) {
    let mut tx = Some(tx);
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(addr) = logs::served_at(&line)
            && let Some(tx) = tx.take()
        {
            let _ = tx.send(addr);
        }
        if std::env::var_os("TEST_LOG").is_some() {
            eprintln!("[policybot] {line}");
        }
        logs.lock().unwrap().push(line);
    }
}

/// Keeps the developer's environment out of the child: secrets overrides and proxies.
trait CleanEnv {
    fn envs_removed(&mut self) -> &mut Self;
}

const DIRTY_ENV: &[&str] = &[
    "POLICYBOT_OFFICER",
    "POLICYBOT_ADMIN_TOKEN",
    "POLICYBOT_DINGTALK_APP_KEY",
    "POLICYBOT_DINGTALK_APP_SECRET",
    "POLICYBOT_WECOM_TOKEN",
    "POLICYBOT_WECOM_ENCODING_AES_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

impl CleanEnv for Command {
    fn envs_removed(&mut self) -> &mut Self {
        DIRTY_ENV.iter().fold(self, |c, v| c.env_remove(v))
    }
}

trait CleanEnvTokio {
    fn envs_removed_tokio(&mut self) -> &mut Self;
}

impl CleanEnvTokio for tokio::process::Command {
    fn envs_removed_tokio(&mut self) -> &mut Self {
        DIRTY_ENV.iter().fold(self, |c, v| c.env_remove(v))
    }
}
