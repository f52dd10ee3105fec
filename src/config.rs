//! Configuration: `config.example.toml` is the documented default and is embedded in the binary, so
//! `policybot serve` with no `--config` runs on exactly those values. A file given with `--config` is read
//! over the same structure (missing keys keep their defaults), then secrets may come from the environment,
//! then everything is validated; an error names the key. Durations are written with their unit
//! ([`duration`]: `sla = "24h"`).

pub mod duration;

use crate::matcher::Thresholds;
use regex::Regex;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;
use url::Url;

/// The shipped example, which is also the built-in default.
pub const EXAMPLE: &str = include_str!("../config.example.toml");

/// A string that never prints itself.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"[redacted]\""
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: Server,
    #[serde(default)]
    pub matcher: Thresholds,
    /// The as-of day and what to do with answers not in force.
    #[serde(default)]
    pub knowledge: crate::knowledge::Knowledge,
    pub dingtalk: DingTalk,
    pub wecom: WeCom,
    /// The WeCom intelligent robot over its long connection; off while `bot_id` is empty.
    pub wecom_aibot: WeComAibot,
    pub officers: Officers,
    /// The officers' console in the browser (`[console]`, accounts in `[[console.accounts]]`).
    pub console: Console,
    /// Groups configured as one place's (`[[groups]]`). Their places are names of the FAQ base's
    /// `places.toml`, checked against it at start-up and on each FAQ reload (not here: the config is read
    /// before the base).
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Deprecated keys that were used, each with what to write instead: logged at start-up.
    #[serde(skip)]
    pub deprecations: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub faq_dir: PathBuf,
    /// Bearer token of the admin API; empty disables the API.
    pub admin_token: Secret,
    /// `host` or `host:port` entries the bot may post to.
    pub allowed_outbound_hosts: Vec<String>,
    pub max_body_bytes: usize,
    pub log_format: LogFormat,
    /// How long a message id is remembered for de-duplication.
    pub dedupe_ttl_secs: u64,
    /// Closed tickets are removed this many days after their last change.
    pub closed_ticket_retention_days: u64,
    /// How long numbered suggestions stay answerable with "1"/"2"/"3".
    pub clarify_ttl_secs: u64,
    /// How far a callback's signed timestamp may be from now (both platforms), in seconds.
    pub signature_window_secs: u64,
    /// A request head must arrive whole within this many seconds of the connection opening (or of its
    /// first byte on a kept-alive connection).
    pub header_read_timeout_secs: u64,
    /// A kept-alive connection with no request for this many seconds is closed.
    pub idle_timeout_secs: u64,
    /// After SIGTERM, in-flight requests get this many seconds; then remaining connections are dropped.
    pub shutdown_grace_secs: u64,
    /// Open client connections at most; more are answered 503 and closed at once.
    pub max_connections: u64,
}

/// How logs are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DingTalk {
    pub app_key: Secret,
    pub app_secret: Secret,
    pub robot_code: String,
    pub api_base: Url,
    /// `http` (DingTalk posts callbacks to `/dingtalk/callback`) or `stream` (the bot opens a
    /// WebSocket to DingTalk: no public address needed).
    pub mode: DingTalkMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DingTalkMode {
    Http,
    Stream,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeComAibot {
    pub bot_id: String,
    pub secret: Secret,
    pub ws_url: Url,
    /// Between heartbeats; two unanswered ones make the connection dead.
    #[serde(deserialize_with = "duration::deserialize")]
    pub heartbeat: Duration,
}

impl WeComAibot {
    pub fn enabled(&self) -> bool {
        !self.bot_id.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeCom {
    pub token: Secret,
    pub encoding_aes_key: Secret,
    pub receive_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officers {
    pub notify_webhooks: Vec<Url>,
    /// 加签: the secret (SEC…) of each DingTalk custom robot in `notify_webhooks` that signs, by its URL.
    #[serde(default)]
    pub webhook_secrets: std::collections::BTreeMap<String, Secret>,
    pub groups: Vec<String>,
    /// Officers' user ids (DingTalk senderStaffId / WeCom UserId): officer commands need one of these
    /// senders in one of `groups`.
    pub staff_ids: Vec<String>,
    /// Tickets waiting longer are announced to the officers again, once per period.
    #[serde(deserialize_with = "duration::deserialize")]
    pub sla: Duration,
    /// Deprecated: `sla` in hours. Read into `sla` (with a deprecation) when given.
    #[serde(default)]
    pub sla_hours: Option<f64>,
    /// New tickets one sender may open in any hour; beyond, the question is politely refused.
    pub max_new_tickets_per_sender_per_hour: u64,
    /// New tickets one group may open in any hour.
    pub max_new_tickets_per_group_per_hour: u64,
}

/// The officers' console at `/` on the bot's listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Console {
    /// Off: `/` and every console page answer 404.
    pub enabled: bool,
    /// Mark session cookies `Secure` (set behind an HTTPS reverse proxy).
    pub secure_cookies: bool,
    /// A session ends this long after sign-in.
    #[serde(deserialize_with = "duration::deserialize")]
    pub session: Duration,
    /// Failed sign-ins allowed per account name in 15 minutes before further tries are refused.
    pub max_failed_signins: u64,
    /// "What people ask" groups the unanswered questions of this many days into topics.
    pub topic_days: u64,
    #[serde(default)]
    pub accounts: Vec<ConsoleAccount>,
}

/// A group that serves one place: a question asked there that names no place is decided as if it named
/// `place`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub platform: ChatPlatform,
    /// The group's id: DingTalk conversationId, WeCom chatid.
    pub chat: String,
    /// A name or alias of `faq/places.toml`.
    pub place: String,
}

/// The platform a configured group is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatPlatform {
    DingTalk,
    WeCom,
}

/// One console account: `password_hash` is an argon2id PHC string (`policybot officer hash-password`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleAccount {
    pub name: String,
    pub password_hash: Secret,
    /// `officer` or `admin`.
    pub role: String,
}

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("config: {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        message: message.into(),
    }
}

impl Config {
    /// Reads `path` over the defaults, applies environment secrets, validates.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        match path {
            None => Self::from_toml(EXAMPLE, &env),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| err(&p.display().to_string(), e.to_string()))?;
                Self::from_toml(&text, &env)
            }
        }
    }

    /// Parses `text` layered over the example, applies `env` secrets, validates.
    pub fn from_toml(text: &str, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut merged: toml::Table =
            toml::from_str(EXAMPLE).map_err(|e| err("config.example.toml", e.to_string()))?;
        let overlay: toml::Table =
            toml::from_str(text).map_err(|e| err(&syntax_error_at(text, &e), e.message()))?;
        let sla_given = overlay.get("officers").and_then(|o| o.get("sla")).is_some();
        merge(&mut merged, overlay);
        // Through text again so that a wrongly typed value's error has a span, hence a key.
        let merged = toml::to_string(&merged).map_err(|e| err("config", e.to_string()))?;
        let mut cfg: Config = toml::from_str(&merged).map_err(|e| {
            let key = e.span().and_then(|s| key_at(&merged, s.start));
            err(key.as_deref().unwrap_or("config"), e.message())
        })?;
        cfg.apply_env(env);
        cfg.read_sla_hours(sla_given)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The deprecated `officers.sla_hours` (a number of hours) into `officers.sla`, with a deprecation.
    fn read_sla_hours(&mut self, sla_given: bool) -> Result<(), ConfigError> {
        let Some(hours) = self.officers.sla_hours else {
            return Ok(());
        };
        if sla_given {
            return Err(err(
                "officers.sla_hours",
                "replaced by officers.sla: give only officers.sla",
            ));
        }
        self.officers.sla = Duration::try_from_secs_f64(hours * 3600.0)
            .map_err(|_| err("officers.sla_hours", "must be a positive number of hours"))?;
        self.deprecations.push(format!(
            "officers.sla_hours is deprecated: write officers.sla = \"{}\" (a duration with its unit: \
             \"30m\", \"24h\", \"2d\")",
            duration::show(self.officers.sla)
        ));
        Ok(())
    }

    fn apply_env(&mut self, env: &[(String, String)]) {
        for (var, value) in env {
            let slot = match var.as_str() {
                "POLICYBOT_ADMIN_TOKEN" => &mut self.server.admin_token,
                "POLICYBOT_DINGTALK_APP_KEY" => &mut self.dingtalk.app_key,
                "POLICYBOT_DINGTALK_APP_SECRET" => &mut self.dingtalk.app_secret,
                "POLICYBOT_WECOM_TOKEN" => &mut self.wecom.token,
                "POLICYBOT_WECOM_ENCODING_AES_KEY" => &mut self.wecom.encoding_aes_key,
                "POLICYBOT_WECOM_AIBOT_SECRET" => &mut self.wecom_aibot.secret,
                _ => continue,
            };
            *slot = Secret::new(value.clone());
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let o = &self.officers;
        let listed = |key: &String| {
            o.notify_webhooks
                .iter()
                .any(|u| Url::parse(key).is_ok_and(|k| &k == u))
        };
        if !o.webhook_secrets.keys().all(listed) {
            // Not naming the URL: it carries the robot's access token.
            return Err(err(
                "officers.webhook_secrets",
                "every key must be a webhook of officers.notify_webhooks, written the same way",
            ));
        }
        let s = &self.server;
        if s.max_body_bytes == 0 || s.max_body_bytes > 16 << 20 {
            return Err(err(
                "server.max_body_bytes",
                "must be between 1 and 16777216",
            ));
        }
        in_range(
            "server.signature_window_secs",
            s.signature_window_secs,
            30,
            3600,
        )?;
        in_range("server.clarify_ttl_secs", s.clarify_ttl_secs, 10, 86_400)?;
        in_range(
            "server.header_read_timeout_secs",
            s.header_read_timeout_secs,
            1,
            300,
        )?;
        in_range("server.idle_timeout_secs", s.idle_timeout_secs, 1, 3600)?;
        in_range("server.shutdown_grace_secs", s.shutdown_grace_secs, 1, 300)?;
        in_range("server.max_connections", s.max_connections, 1, 65_536)?;
        in_range("server.dedupe_ttl_secs", s.dedupe_ttl_secs, 60, 30 * 86_400)?;
        let retention = s.closed_ticket_retention_days;
        in_range("server.closed_ticket_retention_days", retention, 1, 3650)?;
        if s.dedupe_ttl_secs < 2 * s.signature_window_secs {
            // A callback replayed inside the window must still find its de-duplication record.
            return Err(err(
                "server.dedupe_ttl_secs",
                "must be at least twice server.signature_window_secs",
            ));
        }
        for (i, h) in s.allowed_outbound_hosts.iter().enumerate() {
            if h.is_empty() || h.contains('/') || h.contains("://") {
                return Err(err(
                    &format!("server.allowed_outbound_hosts[{i}]"),
                    "expected `host` or `host:port`",
                ));
            }
        }
        self.validate_matcher()?;
        self.validate_transports()?;
        let key = self.wecom.encoding_aes_key.expose();
        if !key.is_empty() && (key.len() != 43 || !key.chars().all(|c| c.is_ascii_alphanumeric())) {
            return Err(err(
                "wecom.encoding_aes_key",
                "must be 43 characters [A-Za-z0-9]",
            ));
        }
        let sla_key = match self.officers.sla_hours {
            Some(_) => "officers.sla_hours",
            None => "officers.sla",
        };
        let sla = self.officers.sla;
        if !(Duration::from_secs(60)..=Duration::from_secs(365 * 86_400)).contains(&sla) {
            return Err(err(sla_key, "must be between 1m and 365d"));
        }
        let o = &self.officers;
        let per_sender = o.max_new_tickets_per_sender_per_hour;
        in_range(
            "officers.max_new_tickets_per_sender_per_hour",
            per_sender,
            1,
            10_000,
        )?;
        let per_group = o.max_new_tickets_per_group_per_hour;
        in_range(
            "officers.max_new_tickets_per_group_per_hour",
            per_group,
            1,
            10_000,
        )?;
        self.validate_console()?;
        self.validate_groups()
    }

    /// The configured groups' places, in order.
    pub fn places(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.place.clone()).collect()
    }

    /// The place configured for a group, if any.
    pub fn place_of(&self, platform: ChatPlatform, chat: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|g| g.platform == platform && g.chat == chat)
            .map(|g| g.place.as_str())
    }

    fn validate_groups(&self) -> Result<(), ConfigError> {
        for (i, g) in self.groups.iter().enumerate() {
            let key = |k: &str| format!("groups[{i}].{k}");
            if g.chat.trim().is_empty() {
                return Err(err(&key("chat"), "must not be empty"));
            }
            if g.place.trim().is_empty() {
                return Err(err(&key("place"), "must name a place of faq/places.toml"));
            }
            if self.officers.groups.iter().any(|o| o == &g.chat) {
                return Err(err(
                    &key("chat"),
                    "is also in officers.groups: an officer group takes officers' commands, not \
                     enterprises' questions, so it serves no place",
                ));
            }
            let same = |h: &Group| h.platform == g.platform && h.chat == g.chat;
            if let Some(j) = self.groups[..i].iter().position(same) {
                return Err(err(
                    &key("chat"),
                    format!("groups[{j}] configures the same chat on the same platform"),
                ));
            }
        }
        Ok(())
    }

    fn validate_console(&self) -> Result<(), ConfigError> {
        let c = &self.console;
        if !(Duration::from_secs(300)..=Duration::from_secs(30 * 86_400)).contains(&c.session) {
            return Err(err("console.session", "must be between 5m and 30d"));
        }
        in_range("console.max_failed_signins", c.max_failed_signins, 1, 1000)?;
        in_range("console.topic_days", c.topic_days, 1, 365)?;
        for (i, a) in c.accounts.iter().enumerate() {
            let key = |k: &str| format!("console.accounts[{i}].{k}");
            if a.name.trim().is_empty() || a.name.chars().count() > 32 {
                return Err(err(&key("name"), "must be 1 to 32 characters"));
            }
            if c.accounts[..i].iter().any(|b| b.name == a.name) {
                return Err(err(&key("name"), "another account has this name"));
            }
            if !matches!(a.role.as_str(), "officer" | "admin") {
                return Err(err(&key("role"), "must be \"officer\" or \"admin\""));
            }
            if !a.password_hash.expose().starts_with("$argon2id$") {
                return Err(err(
                    &key("password_hash"),
                    "expected an argon2id hash from `policybot officer hash-password`",
                ));
            }
        }
        Ok(())
    }

    /// Stream mode and the intelligent robot need their credentials; the robot's URL is a WebSocket.
    fn validate_transports(&self) -> Result<(), ConfigError> {
        let d = &self.dingtalk;
        if d.mode == DingTalkMode::Stream {
            for (key, v) in [
                ("dingtalk.app_key", &d.app_key),
                ("dingtalk.app_secret", &d.app_secret),
            ] {
                if !v.is_set() {
                    return Err(err(key, "is required with dingtalk.mode = \"stream\""));
                }
            }
        }
        let a = &self.wecom_aibot;
        if !a.enabled() {
            return Ok(());
        }
        if !a.secret.is_set() {
            return Err(err(
                "wecom_aibot.secret",
                "is required when wecom_aibot.bot_id is set",
            ));
        }
        if !matches!(a.ws_url.scheme(), "wss" | "ws") {
            return Err(err("wecom_aibot.ws_url", "must be a wss:// URL"));
        }
        let beat = Duration::from_secs(1)..=Duration::from_secs(300);
        if !beat.contains(&a.heartbeat) {
            return Err(err("wecom_aibot.heartbeat", "must be between 1s and 5m"));
        }
        Ok(())
    }

    fn validate_matcher(&self) -> Result<(), ConfigError> {
        let m = self.matcher;
        for (k, v) in [
            ("matcher.answer", m.answer),
            ("matcher.margin", m.margin),
            ("matcher.clarify", m.clarify),
            ("matcher.lead_answer", m.lead_answer),
            ("matcher.lead_margin", m.lead_margin),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(err(k, "must be between 0 and 1"));
            }
        }
        if m.clarify > m.answer {
            return Err(err("matcher.clarify", "must not exceed matcher.answer"));
        }
        if m.lead_answer > m.answer {
            return Err(err("matcher.lead_answer", "must not exceed matcher.answer"));
        }
        Ok(())
    }
}

/// `Ok` when `min <= value <= max`, else an error naming `key` and the range.
fn in_range(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(err(key, format!("must be between {min} and {max}")))
    }
}

/// Where a TOML syntax error is: the key it is in, if any, and the line (`server.listen (line 2)`).
fn syntax_error_at(text: &str, e: &toml::de::Error) -> String {
    let Some(start) = e.span().map(|s| s.start.min(text.len())) else {
        return "config".into();
    };
    let line = text.as_bytes()[..start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    match key_at(text, start) {
        Some(key) => format!("{key} (line {line})"),
        None => format!("config (line {line})"),
    }
}

/// The dotted key whose assignment covers byte `pos` of `text`: the nearest `key =` at or above that
/// line, under the nearest `[table]` header above it.
fn key_at(text: &str, pos: usize) -> Option<String> {
    static ASSIGN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"^\s*([A-Za-z0-9_\-."']+)\s*="#).expect("static regex"));
    let upto = text.get(..pos.min(text.len()))?;
    let line_end = text[upto.len()..]
        .find('\n')
        .map_or(text.len(), |i| upto.len() + i);
    let mut key = None;
    for line in text[..line_end].lines().rev() {
        let line = line.trim();
        if line.starts_with('[') {
            let table = line.trim_matches(|c| c == '[' || c == ']').trim();
            return Some(match key {
                Some(k) => format!("{table}.{k}"),
                None => table.to_owned(),
            });
        }
        if key.is_none() {
            key = ASSIGN
                .captures(line)
                .map(|c| c[1].trim_matches(['"', '\'']).to_owned());
        }
    }
    key
}

/// Deep-merges `overlay` into `base`: tables merge, other values replace.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_a_valid_config() {
        let c = Config::from_toml(EXAMPLE, &[]).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.server.max_body_bytes, 65536);
        assert_eq!(c.matcher, Thresholds::default());
    }

    #[test]
    fn the_local_try_out_config_is_valid() {
        let local = include_str!("../config.local.example.toml");
        let c = Config::from_toml(local, &[]).unwrap();
        assert!(c.dingtalk.app_secret.is_set() && c.server.admin_token.is_set());
        assert_eq!(
            c.officers.notify_webhooks,
            [Url::parse("http://127.0.0.1:9009/officers").unwrap()]
        );
    }

    #[test]
    fn transports_default_to_http_and_off_and_name_what_they_miss() {
        let c = Config::from_toml(EXAMPLE, &[]).unwrap();
        assert_eq!(c.dingtalk.mode, DingTalkMode::Http);
        assert!(!c.wecom_aibot.enabled());
        assert_eq!(
            c.wecom_aibot.ws_url.as_str(),
            "wss://openws.work.weixin.qq.com/"
        );
        assert_eq!(c.wecom_aibot.heartbeat, Duration::from_secs(30));
        for (toml, key) in [
            ("[dingtalk]\nmode = \"stream\"\n", "dingtalk.app_key"),
            (
                "[dingtalk]\nmode = \"stream\"\napp_key = \"k\"\n",
                "dingtalk.app_secret",
            ),
            ("[dingtalk]\nmode = \"websocket\"\n", "dingtalk.mode"),
            ("[wecom_aibot]\nbot_id = \"b\"\n", "wecom_aibot.secret"),
            (
                "[wecom_aibot]\nbot_id = \"b\"\nsecret = \"s\"\nws_url = \"https://x\"\n",
                "wecom_aibot.ws_url",
            ),
            (
                "[wecom_aibot]\nbot_id = \"b\"\nsecret = \"s\"\nheartbeat = \"0s\"\n",
                "wecom_aibot.heartbeat",
            ),
        ] {
            let e = Config::from_toml(toml, &[]).unwrap_err();
            assert_eq!(e.key, key, "{toml}: {e}");
        }
        let env = vec![("POLICYBOT_WECOM_AIBOT_SECRET".to_owned(), "s".to_owned())];
        let c = Config::from_toml("[wecom_aibot]\nbot_id = \"b\"\n", &env).unwrap();
        assert_eq!(c.wecom_aibot.secret.expose(), "s");
    }

    #[test]
    fn a_partial_file_keeps_the_defaults() {
        let c = Config::from_toml("[server]\nlisten = \"127.0.0.1:0\"\n", &[]).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:0");
        assert_eq!(c.officers.sla, Duration::from_secs(24 * 3600));
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::from_toml("[server]\nlisten = \"nope\"\n", &[]).unwrap_err();
        assert_eq!(e.key, "server.listen");
        let e = Config::from_toml("[wecom]\nencoding_aes_key = \"short\"\n", &[]).unwrap_err();
        assert_eq!(e.key, "wecom.encoding_aes_key");
        let e = Config::from_toml("[matcher]\nanswer = 0.2\nclarify = 0.5\n", &[]).unwrap_err();
        assert_eq!(e.key, "matcher.clarify");
    }

    #[test]
    fn numbers_out_of_their_range_are_refused_by_key() {
        for (toml, key) in [
            (
                "[officers]\nsla_hours = 9223372036854775807\n",
                "officers.sla_hours",
            ),
            ("[officers]\nsla_hours = 0\n", "officers.sla_hours"),
            ("[officers]\nsla = \"30s\"\n", "officers.sla"),
            ("[officers]\nsla = \"400d\"\n", "officers.sla"),
            (
                "[server]\nsignature_window_secs = 7200\n",
                "server.signature_window_secs",
            ),
            (
                "[server]\nclarify_ttl_secs = 0\n",
                "server.clarify_ttl_secs",
            ),
            (
                "[server]\ndedupe_ttl_secs = 300\n",
                "server.dedupe_ttl_secs",
            ),
            (
                "[server]\nheader_read_timeout_secs = 0\n",
                "server.header_read_timeout_secs",
            ),
            (
                "[server]\nidle_timeout_secs = 86400\n",
                "server.idle_timeout_secs",
            ),
            (
                "[server]\nshutdown_grace_secs = 0\n",
                "server.shutdown_grace_secs",
            ),
            ("[server]\nmax_connections = 0\n", "server.max_connections"),
        ] {
            let e = Config::from_toml(toml, &[]).unwrap_err();
            assert_eq!(e.key, key, "{toml}");
        }
    }

    #[test]
    fn knowledge_defaults_to_today_with_notices_and_names_bad_values() {
        use crate::knowledge::{AsOf, Lapsed};
        let c = Config::from_toml(EXAMPLE, &[]).unwrap();
        assert_eq!(
            (c.knowledge.as_of, c.knowledge.lapsed),
            (AsOf::Today, Lapsed::AnswerWithNotice)
        );
        let c = Config::from_toml("[knowledge]\nlapsed = \"escalate\"\n", &[]).unwrap();
        assert_eq!(c.knowledge.lapsed, Lapsed::Escalate);
        let e = Config::from_toml("[knowledge]\nas_of = \"2020-02-30\"\n", &[]).unwrap_err();
        assert!(e.message.contains("knowledge.as_of"), "{e}");
    }

    #[test]
    fn syntax_and_type_errors_name_the_key_not_a_byte_range() {
        for (toml, key) in [
            (
                "[server]\nlisten = 127.0.0.1:8080\n",
                "server.listen (line 2)",
            ),
            ("[server\nlisten = \"x\"\n", "server (line 1)"),
            (
                "# c\n[server]\nlisten = \"a\"\nlisten = \"b\"\n",
                "server.listen (line 4)",
            ),
            (
                "[server]\nmax_body_bytes = \"big\"\n",
                "server.max_body_bytes",
            ),
            ("[officers]\nsla_hours = -1\n", "officers.sla_hours"),
            (
                "[server]\nallowed_outbound_hosts = [\n  \"a\",\n  3,\n]\n",
                "server.allowed_outbound_hosts",
            ),
        ] {
            let e = Config::from_toml(toml, &[]).unwrap_err();
            assert_eq!(e.key, key, "{toml:?}: {e}");
        }
    }

    #[test]
    fn durations_take_units_and_a_bare_or_invalid_one_names_the_key() {
        let c = Config::from_toml("[officers]\nsla = \"1.5h\"\n", &[]).unwrap();
        assert_eq!(c.officers.sla, Duration::from_secs(5400));
        assert!(c.deprecations.is_empty());
        for bad in ["0.01", "24", "\"24\"", "\"soon\"", "\"1.5 hours\""] {
            let e = Config::from_toml(&format!("[officers]\nsla = {bad}\n"), &[]).unwrap_err();
            assert_eq!(e.key, "officers.sla", "{bad}: {e}");
            assert!(
                e.to_string()
                    .starts_with("config: officers.sla: invalid duration `"),
                "{e}"
            );
        }
    }

    #[test]
    fn the_old_sla_hours_still_works_with_a_deprecation() {
        let c = Config::from_toml("[officers]\nsla_hours = 2\n", &[]).unwrap();
        assert_eq!(c.officers.sla, Duration::from_secs(7200));
        assert_eq!(
            c.deprecations,
            [
                "officers.sla_hours is deprecated: write officers.sla = \"2h\" (a duration with its unit: \
              \"30m\", \"24h\", \"2d\")"
            ]
        );
        let c = Config::from_toml("[officers]\nsla_hours = 0.5\n", &[]).unwrap();
        assert_eq!(c.officers.sla, Duration::from_secs(1800));
        let e = Config::from_toml("[officers]\nsla_hours = 0.01\n", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config: officers.sla_hours: must be between 1m and 365d"
        );
        let both = "[officers]\nsla = \"2h\"\nsla_hours = 2\n";
        assert_eq!(
            Config::from_toml(both, &[]).unwrap_err().key,
            "officers.sla_hours"
        );
    }

    #[test]
    fn wrong_values_anywhere_name_their_key() {
        for (toml, key) in [
            ("[officers]\nstaff_ids = \"u1\"\n", "officers.staff_ids"),
            ("[officers]\nunknown = 1\n", "officers.unknown"),
            ("[knowledge]\nlapsed = \"never\"\n", "knowledge.lapsed"),
            ("[matcher]\nanswer = \"high\"\n", "matcher.answer"),
            ("[dingtalk]\napp_secret = 5\n", "dingtalk.app_secret"),
            ("officers = 3\n", "officers"),
        ] {
            let e = Config::from_toml(toml, &[]).unwrap_err();
            assert_eq!(e.key, key, "{toml:?}: {e}");
        }
    }

    #[test]
    fn console_accounts_are_validated_by_key() {
        let acct = |name: &str, hash: &str, role: &str| {
            format!(
                "[[console.accounts]]\nname = \"{name}\"\npassword_hash = \"{hash}\"\nrole = \"{role}\"\n"
            )
        };
        let good = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
        let c = Config::from_toml(&acct("王科长", good, "officer"), &[]).unwrap();
        assert_eq!(c.console.accounts[0].name, "王科长");
        assert!(
            !format!("{c:?}").contains("aGFzaGhhc2hoYXNo"),
            "the hash never prints"
        );
        for (toml, key) in [
            (acct("a", good, "boss"), "console.accounts[0].role"),
            (
                acct("a", "plain", "admin"),
                "console.accounts[0].password_hash",
            ),
            (acct(" ", good, "admin"), "console.accounts[0].name"),
            (
                format!("{}{}", acct("a", good, "admin"), acct("a", good, "officer")),
                "console.accounts[1].name",
            ),
            (
                "[console]\nsession = \"1s\"\n".to_owned(),
                "console.session",
            ),
        ] {
            let e = Config::from_toml(&toml, &[]).unwrap_err();
            assert_eq!(e.key, key, "{toml}");
        }
    }

    #[test]
    fn groups_name_their_place_and_a_chat_once_per_platform() {
        let group = |platform: &str, chat: &str, place: &str| {
            format!(
                "[[groups]]\nplatform = \"{platform}\"\nchat = \"{chat}\"\nplace = \"{place}\"\n"
            )
        };
        let two = format!(
            "{}{}",
            group("dingtalk", "cid1", "郑州"),
            group("wecom", "cid1", "开封市")
        );
        let c = Config::from_toml(&two, &[]).unwrap();
        assert_eq!(c.place_of(ChatPlatform::DingTalk, "cid1"), Some("郑州"));
        assert_eq!(c.place_of(ChatPlatform::WeCom, "cid1"), Some("开封市"));
        assert_eq!(c.place_of(ChatPlatform::DingTalk, "cid2"), None);
        for (toml, key) in [
            (
                format!(
                    "{}{}",
                    group("dingtalk", "c", "郑州"),
                    group("dingtalk", "c", "开封")
                ),
                "groups[1].chat",
            ),
            (group("wecom", " ", "郑州"), "groups[0].chat"),
            (group("wecom", "c", ""), "groups[0].place"),
            (
                format!(
                    "{}[officers]\ngroups = [\"c\"]\n",
                    group("wecom", "c", "郑州")
                ),
                "groups[0].chat",
            ),
        ] {
            let e = Config::from_toml(&toml, &[]).unwrap_err();
            assert_eq!(e.key, key, "{toml}");
        }
        let e = Config::from_toml(&group("feishu", "c", "郑州"), &[]).unwrap_err();
        assert!(e.to_string().contains("groups"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = Config::from_toml("[server]\nlisten_addr = \"x\"\n", &[]).unwrap_err();
        assert!(e.message.contains("listen_addr"), "{e}");
    }

    #[test]
    fn secrets_come_from_the_environment_and_never_print() {
        let env = vec![(
            "POLICYBOT_DINGTALK_APP_SECRET".to_owned(),
            "s3cret".to_owned(),
        )];
        let c = Config::from_toml("", &env).unwrap();
        assert_eq!(c.dingtalk.app_secret.expose(), "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
