//! Validation of a parsed [`Config`]: ranges, the relations between keys, the forms of secrets and URLs,
//! the places' groups and the console's accounts. Each error names the key to fix.

use super::{Config, ConfigError, DingTalkMode, Group, err};
use std::time::Duration;
use url::Url;

impl Config {
    /// Every check, in the order of the example's sections; the first failure is the error.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        self.validate_server()?;
        self.validate_matcher()?;
        self.validate_transports()?;
        self.validate_wecom()?;
        self.validate_officers()?;
        self.validate_console()?;
        self.validate_groups()
    }

    fn validate_server(&self) -> Result<(), ConfigError> {
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

    /// WeCom's EncodingAESKey, when set, is 43 characters of base64 without its padding.
    fn validate_wecom(&self) -> Result<(), ConfigError> {
        let key = self.wecom.encoding_aes_key.expose();
        if !key.is_empty() && (key.len() != 43 || !key.chars().all(|c| c.is_ascii_alphanumeric())) {
            return Err(err(
                "wecom.encoding_aes_key",
                "must be 43 characters [A-Za-z0-9]",
            ));
        }
        Ok(())
    }

    fn validate_officers(&self) -> Result<(), ConfigError> {
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
        let sla_key = match o.sla_hours {
            Some(_) => "officers.sla_hours",
            None => "officers.sla",
        };
        if !(Duration::from_secs(60)..=Duration::from_secs(365 * 86_400)).contains(&o.sla) {
            return Err(err(sla_key, "must be between 1m and 365d"));
        }
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
        )
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
}

/// `Ok` when `min <= value <= max`, else an error naming `key` and the range.
fn in_range(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(err(key, format!("must be between {min} and {max}")))
    }
}
