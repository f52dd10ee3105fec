//! Headless Chromium driven through WebDriver (`chromedriver`), for the console's browser tests. Each
//! [`Browser`] runs its own chromedriver on a free port. When Chromium or chromedriver is missing, the
//! test fails saying how to install them, unless `POLICYBOT_SKIP_BROWSER_TESTS` is set (only `.ci/run`
//! sets it, when it could not install them): then it is skipped with a loud message on stderr.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
    /// Chromium's profile, unique to this browser: how its processes are found when a panicking test
    /// leaves them behind (killing chromedriver orphans them).
    profile: tempfile::TempDir,
}

impl Browser {
    /// A fresh headless Chromium with a `width`×`height` window; `None` when the browser tests are to
    /// be skipped (see the module doc).
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let missing = !std::path::Path::new(CHROMIUM).exists() || which(DRIVER).is_none();
        if missing {
            if std::env::var_os("POLICYBOT_SKIP_BROWSER_TESTS").is_some() {
                eprintln!(
                    "\n!!!!!!!! BROWSER TEST SKIPPED: chromium / chromedriver could not be installed \
                     (POLICYBOT_SKIP_BROWSER_TESTS is set) !!!!!!!!\n"
                );
                return None;
            }
            panic!(
                "the console's browser tests need Chromium and chromedriver: \
                 apt-get install chromium chromium-driver fonts-wqy-microhei (.ci/run does this)"
            );
        }
        let port = free_port();
        let driver = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         format!("--window-size={width},{height}"), "--lang=zh-CN", "--no-proxy-server",
                         format!("--user-data-dir={}", profile.path().display())],
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // chromedriver is plain HTTP on loopback: no TLS connector.
            let mut builder = ClientBuilder::new(HttpConnector::new());
            match builder.capabilities(caps.clone()).connect(&url).await {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        profile,
                    });
                }
                Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigating");
    }

    /// Fills the field with CSS selector `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clearing a field");
        e.send_keys(text).await.expect("typing");
    }

    /// Clicks the element with CSS selector `css` and waits for the page it leads to (every click in
    /// these tests submits a form or follows a link), so that what is read next is the new page and
    /// not the one being left.
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        let mark = "window.__left = true";
        self.client
            .execute(mark, vec![])
            .await
            .expect("marking the page");
        e.click().await.expect("clicking");
        let probe = "return window.__left === true ? 'old' : document.readyState";
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Between the two documents the script may fail: not there yet.
            let state = self.client.execute(probe, vec![]).await.ok();
            if state.as_ref().and_then(|v| v.as_str()) == Some("complete") {
                return;
            }
            assert!(Instant::now() < deadline, "`{css}` led to no new page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element with CSS selector `css`, waiting up to 10 s for it.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("reading text")
    }

    /// The text of the whole page.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Signs in on the sign-in page of `base`.
    pub async fn sign_in(&self, base: &str, name: &str, password: &str) {
        self.goto(&format!("{base}/signin")).await;
        self.fill("#name", name).await;
        self.fill("#password", password).await;
        self.click("#signin button[type=submit]").await;
    }

    /// Saves a PNG of the window as `target/screenshots/<name>.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("taking a screenshot");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the session and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A panicking test never reaches close(): leave neither chromedriver nor Chromium behind.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        kill_processes_mentioning(&self.profile.path().display().to_string());
    }
}

/// SIGKILLs every process whose command line contains `marker` (read from `/proc`; `sh`'s builtin
/// `kill`, so nothing beyond a shell is needed).
fn kill_processes_mentioning(marker: &str) {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for pid in procs
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
    {
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            let _ = Command::new("sh")
                .args(["-c", &format!("kill -9 {pid}")])
                .status();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.exists())
    })
}
