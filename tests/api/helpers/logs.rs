//! What the server logs, from the outside: waiting for a line, the address of the "policybot serving"
//! line in either log format, and a run with stderr a pipe (as under a service manager).

use super::{BIN, CleanEnvTokio, TestApp, poll};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

impl TestApp {
    /// Waits (bounded) for a logged line containing every one of `words`; returns it. The log is read
    /// by another thread, so a line written just before a response may arrive just after it.
    pub async fn logged(&self, words: &[&str]) -> String {
        let found = || {
            let logs = self.logs.lock().unwrap();
            logs.iter()
                .find(|l| words.iter().all(|w| l.contains(w)))
                .cloned()
        };
        poll(
            &format!("a log line with {words:?}"),
            Duration::from_secs(10),
            || {
                let line = found();
                async move { line }
            },
        )
        .await
    }

    /// Runs `policybot serve` on this config (the app stopped) with stderr a pipe, as under a service
    /// manager, and `NO_COLOR` unset; once it answers `/healthz` stops it and returns all it logged.
    pub async fn serve_to_a_pipe(&self) -> String {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(BIN)
            .args(["serve", "--config"])
            .arg(self.config_path())
            .env("RUST_LOG", "policybot=info")
            .env_remove("NO_COLOR")
            .envs_removed_tokio()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawning policybot");
        let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let mut logged = String::new();
        let serving = async {
            while let Some(line) = lines.next_line().await.unwrap() {
                logged.push_str(&line);
                logged.push('\n');
                if let Some(addr) = served_at(&line) {
                    return addr;
                }
            }
            panic!("policybot exited before serving:\n{logged}")
        };
        let addr = tokio::time::timeout(Duration::from_secs(15), serving)
            .await
            .expect("policybot did not report its address within 15 s");
        let health = format!("http://{addr}/healthz");
        poll("/healthz", Duration::from_secs(10), || async {
            let r = self.http.get(&health).send().await.ok()?;
            (r.status() == StatusCode::OK).then_some(())
        })
        .await;
        child.start_kill().unwrap();
        while let Ok(Some(line)) = lines.next_line().await {
            logged.push_str(&line);
            logged.push('\n');
        }
        logged
    }
}

/// The address of a "policybot serving" line, in the text or the JSON log format.
pub(super) fn served_at(line: &str) -> Option<SocketAddr> {
    if let Ok(v) = serde_json::from_str::<Value>(line) {
        return (v["fields"]["message"] == "policybot serving")
            .then(|| v["fields"]["addr"].as_str()?.parse().ok())
            .flatten();
    }
    let rest = &line[line.find("policybot serving")?..];
    let addr = rest
        .split_whitespace()
        .find_map(|w| w.strip_prefix("addr="))?;
    addr.parse().ok()
}
