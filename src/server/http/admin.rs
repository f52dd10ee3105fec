//! The admin API under `/api/v1`, for officers' tools and `policybot queue`: bearer-token auth
//! (constant-time comparison; an empty configured token disables the API), JSON in and out. Ticket
//! routes parse the request into a ticket [`Action`] and answer with its outcome as JSON.

use super::{ApiError, is_json};
use crate::ask::ask_in;
use crate::server::{SharedState, now_ms};
use crate::store::TicketFilter;
use crate::ticket::{Action, Context, Outcome};
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
    Ok(state.store.backup(now_ms()).await?)
}

/// Applies `action` and answers with its outcome.
async fn apply(state: &SharedState, action: Action) -> Result<Json<serde_json::Value>, ApiError> {
    let kb = state.faq.current();
    let cx = Context {
        kb: &kb,
        on: state.config.knowledge.as_of.day(),
        now: now_ms(),
    };
    let name = action.name();
    let applied = state.tickets.apply(action, cx).await;
    state.metrics.officer_action(name, applied.is_ok());
    let outcome = applied?;
    let value = match outcome {
        Outcome::Listed(tickets) => serde_json::to_value(tickets),
        Outcome::Shown(t)
        | Outcome::Claimed(t)
        | Outcome::TakenOver { ticket: t, .. }
        | Outcome::Answered(t)
        | Outcome::Taught { ticket: t, .. }
        | Outcome::Closed(t)
        | Outcome::Merged { ticket: t, .. }
        | Outcome::Reopened(t)
        | Outcome::Settled(t) => serde_json::to_value(t),
        Outcome::Drafted(d) => serde_json::to_value(d),
        Outcome::Drafts(ds) => serde_json::to_value(ds),
    };
    value
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
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
) -> Result<Json<serde_json::Value>, ApiError> {
    let status = q.status.as_deref().unwrap_or("open");
    let filter = TicketFilter::parse(status)
        .ok_or_else(|| ApiError::BadRequest(format!("unknown status `{status}`")))?;
    apply(&state, Action::List(filter)).await
}

async fn show(
    State(state): State<SharedState>,
    Path(id): Path<u64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    apply(&state, Action::Show(id)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficerBody {
    officer: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// The ticket to merge into (`merge`).
    #[serde(default)]
    into: Option<u64>,
    /// Answer with this FAQ entry instead of `text` (see `Action::Teach`).
    #[serde(default)]
    faq_id: Option<String>,
}

/// What `POST /tickets/{id}/{verb}` can ask for.
const VERBS: [&str; 7] = [
    "claim",
    "take_over",
    "answer",
    "close",
    "merge",
    "reopen",
    "draft",
];

/// The action a `POST /tickets/{id}/{verb}` asks for (`verb` is one of [`VERBS`]).
fn action(id: u64, verb: &str, b: OfficerBody) -> Action {
    let officer = b.officer;
    match verb {
        "claim" => Action::Claim { id, officer },
        "take_over" => Action::TakeOver { id, officer },
        "answer" => match b.faq_id {
            Some(faq_id) => Action::Teach {
                id,
                officer,
                faq_id,
            },
            None => Action::Answer {
                id,
                officer,
                text: b.text.unwrap_or_default(),
            },
        },
        "close" => Action::Close {
            id,
            officer,
            reason: b.reason,
        },
        "reopen" => Action::Reopen { id, officer },
        "merge" => Action::Merge {
            id,
            into: b.into.unwrap_or(id),
            officer,
        },
        _ => Action::Draft { id, officer },
    }
}

/// `POST /tickets/{id}/{claim|take_over|answer|close|merge|reopen|draft}`: one officer action, durable before the
/// answer (the changed ticket, or the draft).
async fn act(
    State(state): State<SharedState>,
    Path((id, verb)): Path<(u64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !VERBS.contains(&verb.as_str()) {
        return Err(ApiError::NotFound(format!("unknown action `{verb}`")));
    }
    let b: OfficerBody = json_body(&headers, &body)?;
    apply(&state, action(id, &verb, b)).await
}

async fn drafts(State(state): State<SharedState>) -> Result<Json<serde_json::Value>, ApiError> {
    apply(&state, Action::Drafts).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AskBody {
    question: String,
    /// Asked as in a group configured as this place's (a name or alias of places.toml).
    #[serde(default)]
    place: Option<String>,
}

async fn ask_one(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<crate::ask::AskResult>, ApiError> {
    let b: AskBody = json_body(&headers, &body)?;
    let kb = state.faq.current();
    let home = match b.place.as_deref() {
        None => None,
        Some(p) => Some(kb.home(p).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown place `{p}`: not a name or alias of faq/places.toml"
            ))
        })?),
    };
    Ok(Json(ask_in(&kb, state.config.knowledge, &b.question, home)))
}
