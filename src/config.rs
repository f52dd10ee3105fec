//! Configuration: `config.example.toml` is the documented default and is embedded in the binary, so
//! `policybot serve` with no `--config` runs on exactly those values. A file given with `--config` is read
//! over the same structure (missing keys keep their defaults), then secrets may come from the environment,
//! then everything is validated; an error names the key. Durations are written with their unit
//! ([`duration`]: `sla = "24h"`).

pub mod duration;
mod toml_text;
mod validate;

use toml_text::{key_at, merge, syntax_error_at};

use crate::matcher::Thresholds;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
}

#[cfg(test)]
mod tests;
