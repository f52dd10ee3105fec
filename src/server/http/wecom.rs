//! `GET /wecom/callback` (URL verification) and `POST /wecom/callback` (encrypted messages) for the
//! group-robot callback (receive_id "") and the self-built app callback (receive_id = corpid). Messages
//! are answered with an encrypted passive reply; the parts of a reply beyond WeCom's 2048-byte text limit
//! go through the chat's `WebhookUrl`. A message's `timestamp` (seconds) must be within
//! `server.signature_window_secs` of now, so a captured request cannot be replayed after its
//! de-duplication record has expired.

use super::ApiError;
use crate::platform::wecom as wc;
use crate::platform::wxcrypt::{CryptoError, WxCrypt, random16};
use crate::reply::{WECOM_TEXT_LIMIT, split_for_limit};
use crate::server::dispatch::{self, Handled, Inbound};
use crate::server::{SharedState, now_ms};
use crate::store::{Chain, OutboxItem, Platform, ReplyRoute, Target};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use std::collections::HashMap;

/// Query parameters, percent-decoded without turning `+` into a space (it is Base64 here).
fn params(raw: Option<String>) -> HashMap<String, String> {
    raw.unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

fn required<'a>(p: &'a HashMap<String, String>, key: &'static str) -> Result<&'a str, ApiError> {
    p.get(key)
        .map(String::as_str)
        .ok_or_else(|| ApiError::BadRequest(format!("missing query parameter `{key}`")))
}

fn crypt(state: &SharedState) -> Result<&WxCrypt, ApiError> {
    state
        .wecom
        .as_ref()
        .ok_or(ApiError::Unauthorized("WeCom callback is not configured"))
}

fn rejected(state: &SharedState, e: CryptoError) -> ApiError {
    tracing::warn!(code = e.code(), error = %e, "WeCom callback rejected");
    match e {
        CryptoError::BadSignature | CryptoError::ReceiveIdMismatch | CryptoError::IllegalAesKey => {
            state.metrics.rejected("wecom", "signature");
            ApiError::Unauthorized("signature or receiveid check failed")
        }
        _ => {
            state.metrics.rejected("wecom", "malformed");
            ApiError::BadRequest(format!("cannot decrypt: {}", e.code()))
        }
    }
}

pub async fn verify_url(
    State(state): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<String, ApiError> {
    let p = params(q);
    let c = crypt(&state)?;
    let echo = c
        .verify_url(
            required(&p, "msg_signature")?,
            required(&p, "timestamp")?,
            required(&p, "nonce")?,
            required(&p, "echostr")?,
        )
        .map_err(|e| rejected(&state, e))?;
    Ok(echo)
}

pub async fn callback(
    State(state): State<SharedState>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<String, ApiError> {
    let p = params(q);
    let c = crypt(&state)?;
    let (sig, ts, nonce) = (
        required(&p, "msg_signature")?,
        required(&p, "timestamp")?,
        required(&p, "nonce")?,
    );
    if !fresh(ts, now_ms(), state.config.server.signature_window_secs) {
        state.metrics.rejected("wecom", "stale");
        tracing::warn!("WeCom callback rejected: timestamp outside the window");
        return Err(ApiError::Unauthorized(
            "timestamp outside the accepted window",
        ));
    }
    let plain = c
        .decrypt_post(sig, ts, nonce, &body)
        .map_err(|e| rejected(&state, e))?;
    let msg = wc::parse_robot_message(&plain)
        .map_err(|e| ApiError::BadRequest(format!("malformed message: {e}")))?;
    if msg.msg_type == "event" {
        return Ok(String::new());
    }
    let inbound = inbound(&msg);
    let handled = dispatch::handle(&state, inbound.clone()).await?;
    let Handled::Reply { text, .. } = handled else {
        return Ok(String::new());
    };
    let mut parts = split_for_limit(&text, WECOM_TEXT_LIMIT).into_iter();
    let first = parts.next().unwrap_or_default();
    queue_rest(&state, &inbound, parts.collect()).await;
    let plaintext = match (&msg.to_user_name, &msg.agent_id) {
        (Some(corp), Some(_)) => {
            wc::app_passive_text_reply(&msg.from_user_id, corp, now_ms() / 1000, &first)
        }
        _ => wc::passive_text_reply(&first),
    };
    Ok(c.encrypt_reply(&plaintext, ts, nonce, random16()))
}

/// True when `ts` (decimal seconds) is within `window_secs` of `now_ms`.
fn fresh(ts: &str, now_ms: i64, window_secs: u64) -> bool {
    let digits = !ts.is_empty() && ts.len() <= 12 && ts.bytes().all(|b| b.is_ascii_digit());
    digits
        && ts
            .parse::<i64>()
            .is_ok_and(|t| t.abs_diff(now_ms / 1000) <= window_secs)
}

/// Sends the overflow of a long reply through the chat's webhook, in order.
async fn queue_rest(state: &SharedState, inbound: &Inbound, rest: Vec<String>) {
    if rest.is_empty() {
        return;
    }
    let now = now_ms();
    let target = Target::Group(inbound.route.clone());
    let items = rest
        .into_iter()
        .map(|part| OutboxItem::new(target.clone(), part, vec![], None, now))
        .collect();
    if let Err(e) = state.store.enqueue(items).await {
        tracing::error!(error = %Chain(&e), "queueing a reply's parts failed");
    }
    state.outbox_ready.notify_one();
}

fn inbound(m: &wc::WeComMessage) -> Inbound {
    let group = m.chat_id.clone().unwrap_or_else(|| m.from_user_id.clone());
    Inbound {
        platform: Platform::WeCom,
        msg_id: m.msg_id.clone(),
        group_id: group,
        group_title: m
            .chat_id
            .clone()
            .map_or_else(|| "单聊".to_owned(), |c| format!("企业微信群 {c}")),
        sender_id: m.from_user_id.clone(),
        sender_nick: m
            .from_name
            .clone()
            .unwrap_or_else(|| m.from_user_id.clone()),
        // A "mixed" message (text with a picture) is asked by its text items.
        text: match (m.msg_type.as_str(), m.content.as_deref()) {
            ("text", c) => Some(strip_mentions(c.unwrap_or_default()).to_owned()),
            ("mixed", Some(c)) => Some(strip_mentions(c).to_owned()),
            _ => None,
        },
        route: ReplyRoute::WeCom {
            webhook_url: m.webhook_url.clone(),
            chat_id: m.chat_id.clone(),
        },
    }
}

/// The text after the leading `@name` mentions: unlike DingTalk, WeCom keeps the "@机器人" the message
/// started with, and officer commands ("认领 12") and stored ticket questions must not carry it.
fn strip_mentions(content: &str) -> &str {
    let mut rest = content.trim_start();
    while let Some(after_at) = rest.strip_prefix('@') {
        rest = after_at
            .find(char::is_whitespace)
            .map_or("", |i| after_at[i..].trim_start());
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_plus_signs_survive_and_percent_escapes_decode() {
        let p = params(Some("echostr=Ce%2Bsf+x%2F%3D&nonce=1".into()));
        assert_eq!(p["echostr"], "Ce+sf+x/=");
        assert_eq!(p["nonce"], "1");
    }

    #[test]
    fn timestamps_are_decimal_seconds_within_the_window() {
        let now_ms = 1_700_000_000_000;
        assert!(fresh("1700000000", now_ms, 300));
        assert!(fresh("1700000300", now_ms, 300));
        assert!(!fresh("1700000301", now_ms, 300));
        assert!(!fresh("1699999699", now_ms, 300));
        assert!(!fresh("1700000000000", now_ms, 300), "milliseconds");
        assert!(!fresh("+1700000000", now_ms, 300));
        assert!(!fresh("", now_ms, 300));
    }

    #[test]
    fn leading_mentions_are_stripped_and_the_rest_is_kept() {
        assert_eq!(strip_mentions("@政策助手 认领 12"), "认领 12");
        assert_eq!(strip_mentions(" @a  @b\n房租 @c 呢"), "房租 @c 呢");
        assert_eq!(strip_mentions("@政策助手"), "");
        assert_eq!(strip_mentions("房租能减免吗"), "房租能减免吗");
    }
}
