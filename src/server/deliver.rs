//! The delivery worker: sends outbox messages (officer answers into groups, officer notifications),
//! only to allowed hosts, at most 20 a minute per robot, retrying transient failures with exponential
//! backoff; a permanent failure is recorded on the ticket and reported to the officers.
//! Also the housekeeping loop: SLA reminders and expiry of de-duplication records.

use super::{AppState, SharedState, now_ms, officer};
use crate::platform::{dingtalk, wecom};
use crate::store::{Delivery, OutboxItem, ReplyRoute, Target, message};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use url::Url;

const MAX_ATTEMPTS: u32 = 8;
const PER_MINUTE: usize = 20;

/// Why a send failed, and whether trying again can help.
#[derive(Debug)]
pub enum SendError {
    Transient(String),
    Permanent(String),
}

/// True when `url` may be posted to: HTTPS to a listed host, or plain HTTP to a listed loopback host.
/// List entries are `host` (any port) or `host:port`.
pub fn allowed(url: &str, hosts: &[String]) -> bool {
    let Ok(u) = Url::parse(url) else { return false };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && loopback);
    let port = u.port_or_known_default().unwrap_or(0);
    scheme_ok
        && hosts.iter().any(|h| match h.rsplit_once(':') {
            Some((hh, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
                hh == host && p.parse() == Ok(port)
            }
            _ => h == host,
        })
}

/// Sliding-window limit of sends per robot.
#[derive(Default)]
pub struct RateLimiter {
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Takes a slot for `key` now, or says how long to wait for one.
    pub fn try_take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let q = map.entry(key.to_owned()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            q.pop_front();
        }
        if q.len() >= PER_MINUTE {
            let oldest = *q.front().expect("non-empty");
            return Err(Duration::from_secs(60) - now.duration_since(oldest));
        }
        q.push_back(now);
        Ok(())
    }
}

/// Cached DingTalk OpenAPI access token.
#[derive(Default)]
pub struct TokenCache {
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
}

/// The worker loop: wakes on notification or every second, sends what is due.
pub async fn run(state: SharedState, cancel: CancellationToken) {
    let limiter = RateLimiter::default();
    let tokens = TokenCache::default();
    loop {
        let due = state.store.pending_outbox(now_ms()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "reading the outbox failed");
            vec![]
        });
        // Send only what is durable: a message whose ticket change could still be lost in a crash
        // must not reach the group. One group commit covers everything just read.
        if !due.is_empty() && state.store.commit().await.is_err() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        for item in due {
            if cancel.is_cancelled() {
                return;
            }
            deliver_one(&state, &limiter, &tokens, item).await;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = state.outbox_ready.notified() => {},
            _ = tokio::time::sleep(Duration::from_secs(1)) => {},
        }
    }
}

async fn deliver_one(
    state: &AppState,
    limiter: &RateLimiter,
    tokens: &TokenCache,
    mut item: OutboxItem,
) {
    let now = now_ms();
    if let Err(wait) = limiter.try_take(&robot_key(state, &item.target), Instant::now()) {
        item.not_before_ms = now + wait.as_millis() as i64;
        log_store(state.store.reschedule(&item));
        return;
    }
    match send(state, tokens, &item).await {
        Ok(()) => {
            state.metrics.outbound("sent");
            log_store(
                state
                    .store
                    .finish(&item, Delivery::Delivered { at_ms: now }, now),
            );
        }
        Err(SendError::Transient(e)) if item.attempts + 1 < MAX_ATTEMPTS => {
            state.metrics.outbound("retry");
            tracing::warn!(item = item.id, attempts = item.attempts + 1, error = %e, "delivery failed, will retry");
            item.attempts += 1;
            item.not_before_ms = now + backoff_ms(item.attempts);
            log_store(state.store.reschedule(&item));
        }
        Err(SendError::Transient(e) | SendError::Permanent(e)) => {
            state.metrics.outbound("failed");
            tracing::error!(item = item.id, error = %e, "delivery failed permanently");
            log_store(state.store.finish(
                &item,
                Delivery::Failed {
                    at_ms: now,
                    error: e.clone(),
                },
                now,
            ));
            report_failure(state, &item, &e, now);
        }
    }
    log_store(state.store.commit().await);
}

/// 2^attempts seconds, at most five minutes.
fn backoff_ms(attempts: u32) -> i64 {
    (1_000i64 << attempts.min(8)).min(300_000)
}

fn log_store<T>(r: crate::store::Result<T>) {
    if let Err(e) = r {
        tracing::error!(error = %e, "outbox update failed");
    }
}

/// Tells the officers that a ticket's answer could not be delivered (not for officer messages).
fn report_failure(state: &AppState, item: &OutboxItem, error: &str, now: i64) {
    let (Some(ticket), Target::Group(_)) = (item.ticket, &item.target) else {
        return;
    };
    let text = format!(
        "【投递失败】工单 #{ticket} 的答复未能发送到群：{}",
        officer::sanitize(error)
    );
    for url in &state.config.officers.notify_webhooks {
        let target = Target::OfficerWebhook { url: url.clone() };
        log_store(
            state
                .store
                .enqueue(message(target, text.clone(), vec![], None, now)),
        );
    }
}

/// Which robot a message is sent by, for rate limiting.
fn robot_key(state: &AppState, target: &Target) -> String {
    match target {
        Target::OfficerWebhook { url } => url.clone(),
        Target::Group(ReplyRoute::WeCom { webhook_url, .. }) => {
            webhook_url.clone().unwrap_or_default()
        }
        Target::Group(ReplyRoute::DingTalk { robot_code, .. }) => {
            format!(
                "dingtalk:{}",
                robot_code
                    .as_deref()
                    .unwrap_or(&state.config.dingtalk.robot_code)
            )
        }
    }
}

async fn send(state: &AppState, tokens: &TokenCache, item: &OutboxItem) -> Result<(), SendError> {
    match &item.target {
        Target::OfficerWebhook { url } => {
            post(state, url, &dingtalk::text_message(&item.text), None).await
        }
        Target::Group(ReplyRoute::WeCom { webhook_url, .. }) => {
            let url = webhook_url
                .as_deref()
                .ok_or_else(|| SendError::Permanent("no WebhookUrl for this chat".into()))?;
            for part in crate::reply::split_for_limit(&item.text, crate::reply::WECOM_TEXT_LIMIT) {
                post(
                    state,
                    url,
                    &wecom::webhook_text_body(&part, &item.mention),
                    None,
                )
                .await?;
            }
            Ok(())
        }
        Target::Group(route @ ReplyRoute::DingTalk { .. }) => {
            send_dingtalk(state, tokens, route, item).await
        }
    }
}

async fn send_dingtalk(
    state: &AppState,
    tokens: &TokenCache,
    route: &ReplyRoute,
    item: &OutboxItem,
) -> Result<(), SendError> {
    let ReplyRoute::DingTalk {
        robot_code,
        conversation_id,
        session_webhook,
        session_webhook_expires_ms,
    } = route
    else {
        return Err(SendError::Permanent("not a DingTalk route".into()));
    };
    let mentions: String = item.mention.iter().map(|m| format!("@{m} ")).collect();
    let text = format!("{mentions}\n\n{}", item.text);
    let fresh = session_webhook_expires_ms.is_some_and(|exp| exp > now_ms() + 60_000);
    if let (Some(url), true) = (session_webhook, fresh) {
        let body = dingtalk::markdown_message("工作人员答复", &text, &item.mention);
        return post(state, url, &body, None).await;
    }
    let robot = robot_code
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| state.config.dingtalk.robot_code.clone());
    if robot.is_empty() {
        return Err(SendError::Permanent(
            "session webhook expired and no robot code for the OpenAPI".into(),
        ));
    }
    let token = access_token(state, tokens).await?;
    let base = state.config.dingtalk.api_base.trim_end_matches('/');
    let body =
        dingtalk::openapi_group_send_body(&robot, conversation_id, "工作人员答复", &item.text);
    let url = format!("{base}{}", dingtalk::GROUP_SEND_PATH);
    post(state, &url, &body, Some(&token)).await
}

/// A cached access token, refreshed five minutes before it expires.
async fn access_token(state: &AppState, tokens: &TokenCache) -> Result<String, SendError> {
    let mut slot = tokens.token.lock().await;
    if let Some((t, until)) = slot.as_ref()
        && Instant::now() < *until
    {
        return Ok(t.clone());
    }
    let d = &state.config.dingtalk;
    let url = format!(
        "{}/v1.0/oauth2/accessToken",
        d.api_base.trim_end_matches('/')
    );
    check_allowed(state, &url)?;
    let body =
        serde_json::json!({"appKey": d.app_key.expose(), "appSecret": d.app_secret.expose()});
    let resp = state
        .http
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(network)?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(network)?;
    if !status.is_success() {
        return Err(classify_status(status, "access token"));
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Token {
        access_token: String,
        expire_in: u64,
    }
    let t: Token = serde_json::from_slice(&bytes)
        .map_err(|_| SendError::Transient("access token: unexpected body".into()))?;
    let until = Instant::now() + Duration::from_secs(t.expire_in.saturating_sub(300));
    *slot = Some((t.access_token.clone(), until));
    Ok(t.access_token)
}

fn check_allowed(state: &AppState, url: &str) -> Result<(), SendError> {
    if allowed(url, &state.config.server.allowed_outbound_hosts) {
        Ok(())
    } else {
        Err(SendError::Permanent(
            "destination host is not on server.allowed_outbound_hosts".into(),
        ))
    }
}

/// Posts JSON and checks both the HTTP status and the platform envelope (`errcode`, or the OpenAPI's
/// `code`/`message`): platforms answer 200 with an error code.
async fn post(
    state: &AppState,
    url: &str,
    body: &serde_json::Value,
    token: Option<&str>,
) -> Result<(), SendError> {
    check_allowed(state, url)?;
    let mut req = state.http.post(url).json(body);
    if let Some(t) = token {
        req = req.header(dingtalk::ACCESS_TOKEN_HEADER, t);
    }
    let resp = req.send().await.map_err(network)?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(network)?;
    let envelope = dingtalk::parse_api_envelope(&bytes);
    if !status.is_success() {
        return Err(classify_status(
            status,
            &envelope.err().map_or_else(String::new, |e| e.to_string()),
        ));
    }
    envelope.map_err(|e| {
        if e.is_rate_limited() {
            SendError::Transient(format!("rate limited: {e}"))
        } else {
            SendError::Permanent(format!("platform error: {e}"))
        }
    })
}

fn network(e: reqwest::Error) -> SendError {
    // The URL can carry a webhook key; never log it.
    SendError::Transient(format!("network: {}", e.without_url()))
}

fn classify_status(status: reqwest::StatusCode, detail: &str) -> SendError {
    let msg = format!("HTTP {status} {detail}");
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        SendError::Transient(msg)
    } else {
        SendError::Permanent(msg)
    }
}

/// SLA reminders every minute; expired de-duplication records every hour.
pub async fn housekeeping(state: SharedState, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {},
        }
        let now = now_ms();
        let sla_ms = state.config.officers.sla_hours as i64 * 3_600_000;
        let hooks = &state.config.officers.notify_webhooks;
        match state
            .store
            .remind_overdue(sla_ms, now, hooks, |t| officer::reminder(t, now))
        {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(tickets = ?ids, "SLA reminders queued");
                log_store(state.store.commit().await);
                state.outbox_ready.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "SLA scan failed"),
        }
        if n.is_multiple_of(60) {
            log_store(state.store.expire_seen(now));
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_listed_hosts_over_https_are_allowed() {
        let list = hosts(&["oapi.dingtalk.com", "qyapi.weixin.qq.com"]);
        assert!(allowed(
            "https://oapi.dingtalk.com/robot/sendBySession?session=x",
            &list
        ));
        assert!(!allowed("http://oapi.dingtalk.com/robot", &list));
        assert!(!allowed("https://evil.example/robot", &list));
        assert!(!allowed("https://oapi.dingtalk.com.evil.example/", &list));
        assert!(!allowed("not a url", &list));
    }

    #[test]
    fn plain_http_only_to_a_listed_loopback_host_and_port() {
        let list = hosts(&["127.0.0.1:8081", "10.0.0.1"]);
        assert!(allowed("http://127.0.0.1:8081/hook", &list));
        assert!(!allowed("http://127.0.0.1:8082/hook", &list));
        assert!(!allowed("http://10.0.0.1/hook", &list));
    }

    #[test]
    fn the_limiter_allows_twenty_a_minute_per_robot() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..20 {
            assert!(l.try_take("r", t0).is_ok());
        }
        assert!(l.try_take("r", t0).is_err());
        assert!(l.try_take("other", t0).is_ok());
        assert!(l.try_take("r", t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(3), 8_000);
        assert_eq!(backoff_ms(20), 256_000);
    }
}
