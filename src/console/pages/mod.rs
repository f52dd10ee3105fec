//! The console's routes and handlers, one file per page: [`auth`] sign-in, sign-out and the set-up
//! link; [`inbox`] and [`ticket`]; [`tryit`]; [`knowledge`] entries, sources and drafts; [`asks`] what
//! people ask; [`assets`] the embedded CSS and JS. Every response carries a strict content security
//! policy and is never cached.

mod asks;
mod assets;
mod auth;
mod inbox;
mod knowledge;
mod ticket;
mod tryit;

use super::Ctx;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};

/// Every console route.
pub fn routes() -> Router<Ctx> {
    Router::new()
        .route("/", get(inbox::page))
        .route("/inbox/rows", get(inbox::rows))
        .route("/signin", get(auth::signin_page).post(auth::signin))
        .route("/signout", post(auth::signout))
        .route("/setup", get(auth::setup_page).post(auth::setup))
        .route("/ticket/{id}", get(ticket::page))
        .route("/ticket/{id}/{action}", post(ticket::act))
        .route("/try", get(tryit::page).post(tryit::ask))
        .route("/knowledge", get(knowledge::entries))
        .route("/knowledge/entry/{id}", get(knowledge::entry))
        .route("/drafts", get(knowledge::drafts))
        .route("/drafts/{ticket}/{verdict}", post(knowledge::decide))
        .route("/asks", get(asks::page))
        .route("/assets/{file}", get(assets::file))
        .layer(axum::middleware::map_response(secure_headers))
}

async fn secure_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (k, v) in set {
        h.insert(k, HeaderValue::from_static(v));
    }
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    r
}
