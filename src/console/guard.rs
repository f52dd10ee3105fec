//! Extractors that refuse before a handler runs: [`Officer`] needs a live session (else to the sign-in
//! page), [`Admin`] an admin's (else 403), [`Posted`] a form carrying the session's CSRF token (else 403,
//! and nothing changes). Every console form is read through [`Posted`].

use super::Ctx;
use super::session::{COOKIE, Session, cookie};
use super::view::PageError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A signed-in officer or admin.
pub struct Officer(pub Session);

/// A signed-in admin.
pub struct Admin(pub Session);

/// A form posted by a signed-in officer with the right CSRF token.
pub struct Posted<T> {
    pub session: Session,
    pub form: T,
}

/// The session of the request's cookie, if live.
pub fn session_of(headers: &HeaderMap, ctx: &Ctx) -> Option<Session> {
    let header = headers.get(axum::http::header::COOKIE)?.to_str().ok()?;
    ctx.console.sessions.get(cookie(header, COOKIE)?)
}

impl FromRequestParts<Ctx> for Officer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, Response> {
        session_of(&parts.headers, ctx)
            .map(Officer)
            .ok_or_else(|| PageError::SignIn.into_page(&ctx.console.views))
    }
}

impl FromRequestParts<Ctx> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, Response> {
        let Officer(s) = Officer::from_request_parts(parts, ctx).await?;
        if !s.is_admin() {
            tracing::warn!(officer = %s.name, path = %parts.uri.path(), "console: admin page refused");
            return Err(PageError::Forbidden("此页面仅限管理员").into_page(&ctx.console.views));
        }
        Ok(Admin(s))
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<Ctx> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, ctx: &Ctx) -> Result<Self, Response> {
        let views = &ctx.console.views;
        let Some(session) = session_of(req.headers(), ctx) else {
            return Err(PageError::SignIn.into_page(views));
        };
        let path = req.uri().path().to_owned();
        let body = Bytes::from_request(req, ctx)
            .await
            .map_err(|_| PageError::BadRequest("无法读取表单".into()).into_page(views))?;
        let given: CsrfOnly = serde_urlencoded::from_bytes(&body).unwrap_or(CsrfOnly {
            csrf: String::new(),
        });
        if !session.csrf_ok(&given.csrf) {
            tracing::warn!(officer = %session.name, %path, "console: form refused, missing or wrong CSRF token");
            return Err(
                PageError::Forbidden("表单已失效或缺少安全令牌（CSRF），请刷新页面后重试")
                    .into_page(views),
            );
        }
        let form = serde_urlencoded::from_bytes(&body)
            .map_err(|e| PageError::BadRequest(format!("表单内容有误：{e}")).into_page(views))?;
        Ok(Posted { session, form })
    }
}
