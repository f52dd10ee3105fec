//! The admin API under `/api/v1`, for officers' tools and `policybot queue`: bearer-token auth
//! (constant-time comparison; an empty configured token disables the API), JSON in and out.

use super::{ApiError, is_json};
use crate::ask::ask;
use crate::server::officer::answer_text;
use crate::server::{SharedState, now_ms};
use crate::store::{Draft, Status, Ticket, TicketFilter};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

pub fn routes(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route("/tickets", get(list))
        .route("/tickets/{id}", get(show))
        .route("/tickets/{id}/{action}", post(act))
        .route("/drafts", get(drafts))
        .route("/ask", post(ask_one))
        .route("/backup", get(backup))
        .route_layer(middleware::from_fn_with_state(state, auth_layer))
}

/// The admin bearer token check, for every `/api/v1` route.
pub(super) async fn auth_layer(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = state.config.server.admin_token.expose();
    let given = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if token.is_empty() || !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        return Err(ApiError::Unauthorized("missing or wrong bearer token"));
    }
    Ok(next.run(req).await)
}

/// A consistent backup of the live store (`policybot db backup --online`), as JSON lines.
async fn backup(State(state): State<SharedState>) -> Result<Vec<u8>, ApiError> {
    let store = state.store.get()?;
    let dump = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        store.backup(&mut out, now_ms()).map(|_| out)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(dump)
}

/// Parses a JSON body with a useful 400 on failure.
fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<SharedState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Ticket>>, ApiError> {
    let filter = match q.status.as_deref().unwrap_or("open") {
        "open" => TicketFilter::Status(Status::Open),
        "claimed" => TicketFilter::Status(Status::Claimed),
        "answered" => TicketFilter::Status(Status::Answered),
        "closed" => TicketFilter::Status(Status::Closed),
        "pending" => TicketFilter::Pending,
        "all" => TicketFilter::All,
        other => return Err(ApiError::BadRequest(format!("unknown status `{other}`"))),
    };
    Ok(Json(state.store.get()?.tickets(filter)?))
}

async fn show(
    State(state): State<SharedState>,
    Path(id): Path<u64>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(state.store.get()?.ticket(id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficerBody {
    officer: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// Answer with this FAQ entry instead of `text` (see `server::teach`).
    #[serde(default)]
    faq_id: Option<String>,
}

fn officer_body(headers: &HeaderMap, body: &Bytes) -> Result<OfficerBody, ApiError> {
    let b: OfficerBody = json_body(headers, body)?;
    if b.officer.trim().is_empty() {
        return Err(ApiError::BadRequest("`officer` is required".into()));
    }
    Ok(b)
}

/// `POST /tickets/{id}/{claim|answer|close|reopen|draft}`: one officer action, committed durably
/// before the answer (the changed ticket, or the draft).
async fn act(
    State(state): State<SharedState>,
    Path((id, action)): Path<(u64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !matches!(
        action.as_str(),
        "claim" | "answer" | "close" | "reopen" | "draft"
    ) {
        return Err(ApiError::NotFound(format!("unknown action `{action}`")));
    }
    let b = officer_body(&headers, &body)?;
    let (store, officer, now) = (&state.store.get()?, b.officer.as_str(), now_ms());
    let value = match action.as_str() {
        "claim" => to_value(store.claim(id, officer, now)?),
        "answer" if b.faq_id.is_some() => {
            let faq_id = b.faq_id.as_deref().unwrap_or_default();
            let act = (id, officer, faq_id);
            let r = crate::server::teach::answer_with_entry(&state, store, act, now, answer_text);
            to_value(r.map_err(|e| match e {
                crate::server::teach::TeachError::UnknownEntry(_) => {
                    ApiError::BadRequest(e.to_string())
                }
                crate::server::teach::TeachError::Store(e) => e.into(),
            })?)
        }
        "answer" => {
            let text = b
                .text
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| ApiError::BadRequest("`text` is required".into()))?;
            to_value(store.answer(id, officer, &text, now, answer_text)?)
        }
        "close" => {
            let reason = b.reason.unwrap_or_else(|| "未注明".into());
            to_value(store.close(id, officer, &reason, now)?)
        }
        "reopen" => to_value(store.reopen(id, officer, now)?),
        _ => to_value(store.draft_from(id, officer, now)?),
    }?;
    state.store.commit().await?;
    state.outbox_ready.notify_one();
    Ok(Json(value))
}

fn to_value<T: serde::Serialize>(v: T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string()))
}

async fn drafts(State(state): State<SharedState>) -> Result<Json<Vec<Draft>>, ApiError> {
    Ok(Json(state.store.get()?.drafts()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AskBody {
    question: String,
}

async fn ask_one(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<crate::ask::AskResult>, ApiError> {
    let b: AskBody = json_body(&headers, &body)?;
    let kb = state.faq.current();
    Ok(Json(ask(&kb, state.config.knowledge, &b.question)))
}
