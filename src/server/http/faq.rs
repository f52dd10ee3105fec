//! `POST /api/v1/faq/reload` (admin bearer token): reloads `faq/` (see `server::reload`) and answers the
//! version now served and the entry ids added, changed and removed; or 422 with the reasons (every
//! `faq check` message, or why `faq/` did not load) while the old snapshot keeps being served.

use super::ApiError;
use super::admin::auth_layer;
use crate::server::SharedState;
use crate::snapshot::Refusal;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

pub fn routes(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route("/faq/reload", post(reload))
        .route_layer(middleware::from_fn_with_state(state, auth_layer))
}

async fn reload(State(state): State<SharedState>) -> Response {
    match crate::server::reload::reload(&state, "api").await {
        Ok(reloaded) => Json(reloaded).into_response(),
        // A bug, not a problem of faq/: opaque, like every 500.
        Err(Refusal::Crashed(cause)) => ApiError::Internal(cause).into_response(),
        Err(refusal) => {
            let serving = state.faq.current().version;
            let body = json!({
                "error": format!("faq/ was not reloaded ({refusal}); still serving version {serving}"),
                "problems": refusal.messages(),
                "serving_version": serving,
            });
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
    }
}
