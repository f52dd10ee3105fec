//! `POST /dingtalk/callback`: the request handed to DingTalk's HTTP-callback transport (verification
//! before the body is read, then parsing), its signature bound to the message in the store (a pair
//! used by another message is a replay), the message to dispatch, and the reply the transport renders
//! as the response body.

use super::{ApiError, is_json, rejected};
use crate::platform::dingtalk::http::{self as dt, Auth, Request};
use crate::platform::{Inbound, Platform};
use crate::server::dispatch::{self, Handled};
use crate::server::{AppState, SharedState, now_ms};
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
    let request = Request {
        timestamp: header(dt::TIMESTAMP_HEADER),
        sign: header(dt::SIGN_HEADER),
        json: is_json(&headers),
        body: &body,
    };
    let auth = Auth {
        app_secret: state.config.dingtalk.app_secret.expose(),
        window_ms: state.config.server.signature_window_secs * 1000,
    };
    let received = dt::receive(auth, request, now_ms())
        .map_err(|r| rejected(&state, Platform::DingTalk, r))?;
    bind_signature(&state, &received).await?;
    let handled = dispatch::handle(&state, received.inbound.clone()).await?;
    Ok(Json(respond(&received.inbound, handled)))
}

/// Binds the request's (timestamp, sign) pair to its message; refuses it if another message has it.
async fn bind_signature(state: &AppState, received: &dt::Received) -> Result<(), ApiError> {
    let sig = &received.signature;
    let msg_id = &received.inbound.msg_id;
    let bound = state.store.bind_signature(&sig.key, msg_id, sig.expires_ms);
    if bound.await? {
        return Ok(());
    }
    Err(rejected(state, Platform::DingTalk, dt::replayed()))
}

fn respond(inbound: &Inbound, handled: Handled) -> serde_json::Value {
    match handled {
        Handled::Duplicate => dt::respond(inbound, None),
        Handled::Reply { text } => dt::respond(inbound, Some(&text)),
    }
}
