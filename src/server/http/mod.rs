//! The HTTP surface: platform callbacks, the admin API, `/healthz` and `/metrics`, with a body limit,
//! request ids, tracing, a timeout and panic catching. Handlers return [`ApiError`], the one place that
//! picks status codes; 500s carry no detail (the cause goes to the log).

mod admin;
mod dingtalk;
mod faq;
mod wecom;

use super::{AppState, SharedState};
use crate::platform::{Platform, Refusal, Rejected};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// All routes, with `mounted` ones (the console), with their layers.
pub fn router(state: SharedState, mounted: Router<SharedState>) -> Router {
    let limit = state.config.server.max_body_bytes;
    Router::new()
        .merge(mounted)
        .route("/dingtalk/callback", post(dingtalk::callback))
        .route("/wecom/callback", get(wecom::verify_url).post(wecom::callback))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .nest("/api/v1", admin::routes(state.clone()).merge(faq::routes(state.clone())))
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(|_| ApiError::Internal("handler panicked".into()).into_response()))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(10)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Liveness and storage: 503 with the reason while the storage is offline (it recovers by itself).
/// Then one line per long connection with its state (see `transport::status`).
async fn healthz(State(state): State<SharedState>) -> (StatusCode, String) {
    let (status, first) = match state.store.failure() {
        None if state.transports.all_connected() => (StatusCode::OK, "ok"),
        None => (StatusCode::OK, "ok, but a connection is not up"),
        Some(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "storage failing: messages are refused with 503 until it recovers",
        ),
    };
    (status, first.to_owned() + &state.transports.health_lines())
}

/// For a load balancer: ready when the storage can acknowledge messages.
async fn readyz(State(state): State<SharedState>) -> (StatusCode, &'static str) {
    match state.store.failure() {
        None => (StatusCode::OK, "ready"),
        Some(_) => (StatusCode::SERVICE_UNAVAILABLE, "not ready"),
    }
}

async fn metrics(State(state): State<SharedState>) -> impl IntoResponse {
    let outbox = state.store.outbox_len().await.unwrap_or(0);
    let mut body = state.metrics.render(outbox);
    let bytes = crate::store::dir_bytes(&state.config.server.data_dir);
    body.push_str(&super::metrics::gauge("policybot_data_dir_bytes", bytes));
    let on = state.config.knowledge.as_of.day();
    let kb = state.faq.current();
    let counts = crate::faq::validity::counts(&kb.base, on);
    body.push_str(&super::metrics::faq_status(&counts));
    body.push_str(&state.metrics.faq_snapshot(&kb));
    let gauges = state
        .tickets
        .gauges(super::now_ms())
        .await
        .unwrap_or_default();
    body.push_str(&super::metrics::tickets(&gauges));
    body.push_str(&state.transports.metrics());
    ([("content-type", "text/plain; version=0.0.4")], body)
}

/// Every way a request can fail, mapped to a status in one place.
#[derive(Debug)]
pub enum ApiError {
    /// 400 with a message safe to show.
    BadRequest(String),
    /// 401: missing or wrong signature / token.
    Unauthorized(&'static str),
    NotFound(String),
    Conflict(String),
    UnsupportedMediaType,
    /// 503: storage is offline; the platform should retry. The detail is logged, never sent.
    Unavailable(String),
    /// 500: the detail is logged, never sent.
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.to_owned()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a JSON body".to_owned(),
            ),
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "refused: storage unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily unavailable, retry later".to_owned(),
                )
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_owned(),
                )
            }
        };
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        let cause = crate::store::Chain(&e).to_string();
        match e.is_outage() {
            true => ApiError::Unavailable(cause),
            false => ApiError::Internal(cause),
        }
    }
}

impl From<crate::ticket::ServiceError> for ApiError {
    fn from(e: crate::ticket::ServiceError) -> Self {
        use crate::ticket::ServiceError as E;
        match e {
            E::NotFound(id) => ApiError::NotFound(format!("ticket #{id} not found")),
            e @ (E::Refused { .. } | E::Held { .. }) => ApiError::Conflict(e.to_string()),
            e @ (E::UnknownEntry(_) | E::Invalid(_)) => ApiError::BadRequest(e.to_string()),
            E::Store(e) => e.into(),
        }
    }
}

/// A request its platform's transport refused: counted under its reason and then logged at warn with
/// its cause (a counted refusal may be an attack or a misconfiguration worth seeing), answered by its
/// kind.
fn rejected(state: &AppState, platform: Platform, r: Rejected) -> ApiError {
    let cause = std::error::Error::source(&r).map(ToString::to_string);
    let (platform, answer, cause) = (platform.as_str(), r.message(), cause.as_deref());
    match r.counted_as {
        Some(reason) => {
            state.metrics.rejected(platform, reason);
            tracing::warn!(platform, reason, answer, cause, "callback rejected");
        }
        None => tracing::debug!(platform, answer, cause, "callback rejected"),
    }
    match r.refusal {
        Refusal::Unauthorized(message) => ApiError::Unauthorized(message),
        Refusal::Malformed(message) => ApiError::BadRequest(message),
        Refusal::NotJson => ApiError::UnsupportedMediaType,
    }
}

/// True when the request declares a JSON body.
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"))
}
