//! `GET /wecom/callback` (URL verification) and `POST /wecom/callback` (encrypted messages): the
//! request handed to WeCom's HTTP-callback transport, the message to dispatch, the reply rendered by
//! the transport as an encrypted passive reply, and the parts of a long reply beyond WeCom's text
//! limit queued for the chat's `WebhookUrl`.

use super::{ApiError, rejected};
use crate::platform::wecom::http::{self as wc, Query};
use crate::platform::{Inbound, Platform};
use crate::server::dispatch::{self, Handled};
use crate::server::{SharedState, now_ms};
use crate::store::{Chain, OutboxItem, Target};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};

pub async fn verify_url(
    State(state): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<String, ApiError> {
    let query = Query::parse(q.as_deref());
    wc::verify_url(state.wecom.as_ref(), &query).map_err(|r| rejected(&state, Platform::WeCom, r))
}

pub async fn callback(
    State(state): State<SharedState>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<String, ApiError> {
    let query = Query::parse(q.as_deref());
    let window = state.config.server.signature_window_secs;
    let received = wc::receive(state.wecom.as_ref(), &query, &body, window, now_ms())
        .map_err(|r| rejected(&state, Platform::WeCom, r))?;
    let Some(received) = received else {
        return Ok(String::new());
    };
    let handled = dispatch::handle(&state, received.inbound.clone()).await?;
    let Handled::Reply { text } = handled else {
        return Ok(String::new());
    };
    let passive = received.respond(&text, now_ms());
    queue_rest(&state, &received.inbound, passive.rest).await;
    Ok(passive.body)
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
