//! Sending one outbox message: to an officer webhook, a WeCom chat's WebhookUrl, a DingTalk session
//! webhook while it is valid, else the DingTalk robot OpenAPI with a cached access token. Every post is
//! checked against the allow-list first, and both the HTTP status and the platform's `errcode` decide
//! success; failures are classified as transient (retry) or permanent.

use super::outbound::allowed;
use super::{AppState, now_ms};
use crate::platform::{dingtalk, wecom};
use crate::store::{OutboxItem, ReplyRoute, Target};
use std::time::{Duration, Instant};

/// Why a send failed, and whether trying again can help.
#[derive(Debug)]
pub enum SendError {
    Transient(String),
    Permanent(String),
}

/// Cached DingTalk OpenAPI access token.
#[derive(Default)]
pub struct TokenCache {
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
}

/// Sends one outbox message.
pub async fn send(
    state: &AppState,
    tokens: &TokenCache,
    item: &OutboxItem,
) -> Result<(), SendError> {
    match &item.target {
        Target::OfficerWebhook { url } => {
            post(state, url, &dingtalk::text_message(&item.text), None).await
        }
        Target::Group(ReplyRoute::WeCom { webhook_url, .. }) => {
            let url = webhook_url
                .as_deref()
                .ok_or_else(|| SendError::Permanent("no WebhookUrl for this chat".into()))?;
            // Each outbox item is one part within the text limit (see `store::parts`).
            let body = wecom::webhook_text_body(&item.text, &item.mention);
            post(state, url, &body, None).await
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
        if e.is_transient() {
            SendError::Transient(format!("try again: {e}"))
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
