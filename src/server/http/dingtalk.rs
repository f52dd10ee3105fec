//! `POST /dingtalk/callback`: verify `timestamp` + `sign` (within `server.signature_window_secs`) before
//! reading the body, parse, refuse a signature already used by another message (the sign covers only the
//! timestamp, so a captured pair would otherwise carry any body), hand to dispatch, answer in the
//! response body as markdown that @-s the asker.

use super::{ApiError, is_json};
use crate::platform::dingtalk as dt;
use crate::sanitize::{NAME_CHARS, user_text};
use crate::server::dispatch::{self, Handled, Inbound};
use crate::server::{SharedState, now_ms};
use crate::store::{Platform, ReplyRoute};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;

pub async fn callback(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let secret = state.config.dingtalk.app_secret.expose();
    let window_ms = state.config.server.signature_window_secs * 1000;
    let timestamp = header(dt::TIMESTAMP_HEADER);
    if let Err(e) = dt::verify_headers(
        secret,
        timestamp,
        header(dt::SIGN_HEADER),
        now_ms(),
        window_ms,
    ) {
        state.metrics.rejected("dingtalk", "signature");
        tracing::warn!(error = ?e, "DingTalk callback rejected");
        return Err(ApiError::Unauthorized("invalid timestamp or sign"));
    }
    if !is_json(&headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let cb = dt::parse_callback(&body).map_err(|e| {
        state.metrics.rejected("dingtalk", "malformed");
        ApiError::BadRequest(format!("malformed callback: {e}"))
    })?;
    let signature = format!("dingtalk:{}", timestamp.unwrap_or_default());
    let expires = now_ms() + 2 * window_ms as i64;
    if !state
        .store
        .bind_signature(&signature, &cb.msg_id, expires)
        .await?
    {
        state.metrics.rejected("dingtalk", "replay");
        tracing::warn!("DingTalk callback rejected: signature already used by another message");
        return Err(ApiError::Unauthorized("signature already used"));
    }
    let asker = cb.at_user_id().unwrap_or_default().to_owned();
    let handled = dispatch::handle(&state, inbound(&cb)).await?;
    Ok(Json(match handled {
        Handled::Duplicate => dt::empty_message(),
        Handled::Reply { text, .. } => reply(&asker, &cb.sender_nick, &text),
    }))
}

/// Markdown that @-s the asker: the `@id` must be in the text and in `atUserIds` for DingTalk to notify.
/// An external member has no id: the reply names their nick, sanitised (it is theirs to choose).
fn reply(asker_id: &str, nick: &str, text: &str) -> serde_json::Value {
    let title: String = text.chars().take(20).collect();
    if asker_id.is_empty() {
        let nick = user_text(nick, NAME_CHARS);
        return dt::markdown_message(&title, &format!("@{nick} \n\n{text}"), &[]);
    }
    dt::markdown_message(
        &title,
        &format!("@{asker_id} \n\n{text}"),
        &[asker_id.to_owned()],
    )
}

fn inbound(cb: &dt::DingTalkCallback) -> Inbound {
    Inbound {
        platform: Platform::DingTalk,
        msg_id: cb.msg_id.clone(),
        group_id: cb.conversation_id.clone(),
        group_title: cb
            .conversation_title
            .clone()
            .unwrap_or_else(|| "单聊".to_owned()),
        sender_id: cb.at_user_id().unwrap_or_default().to_owned(),
        sender_nick: cb.sender_nick.clone(),
        text: (cb.msgtype == "text").then(|| cb.text.clone().unwrap_or_default()),
        route: ReplyRoute::DingTalk {
            robot_code: cb.robot_code.clone(),
            conversation_id: cb.conversation_id.clone(),
            session_webhook: cb.session_webhook.clone(),
            session_webhook_expires_ms: cb.session_webhook_expired_time,
        },
    }
}
