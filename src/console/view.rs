//! Templates (embedded, auto-escaped minijinja), the page frame every page is rendered in, times shown in
//! Beijing time, and [`PageError`]: how a refused or failed request looks (an HTML page with a status;
//! a 500 shows no detail, the cause goes to the log).

use super::session::Session;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Environment, Value, context};

/// The templates of `src/console/templates/`, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("error.html", include_str!("templates/error.html")),
    ("signin.html", include_str!("templates/signin.html")),
    ("setup.html", include_str!("templates/setup.html")),
    ("inbox.html", include_str!("templates/inbox.html")),
    ("inbox_rows.html", include_str!("templates/inbox_rows.html")),
    ("ticket.html", include_str!("templates/ticket.html")),
    ("try.html", include_str!("templates/try.html")),
    ("knowledge.html", include_str!("templates/knowledge.html")),
    ("entry.html", include_str!("templates/entry.html")),
    ("drafts.html", include_str!("templates/drafts.html")),
    ("asks.html", include_str!("templates/asks.html")),
];

pub struct Views {
    env: Environment<'static>,
}

impl Default for Views {
    fn default() -> Self {
        Self::new()
    }
}

impl Views {
    pub fn new() -> Views {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("console templates are checked by the unit tests");
        }
        env.add_filter("time", |ms: i64| beijing_time(ms));
        Views { env }
    }

    /// Renders page `name` for `session` (the frame shows who is signed in and carries the CSRF token).
    pub fn page(
        &self,
        name: &str,
        session: Option<&Session>,
        data: Value,
    ) -> Result<Html<String>, PageError> {
        let me =
            session.map(|s| context! { name => s.name, admin => s.is_admin(), csrf => s.csrf });
        let ctx = context! { me => me, ..data };
        self.render(name, ctx).map(Html)
    }

    /// A fragment (no frame).
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, PageError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| PageError::Internal(format!("template {name}: {e:#}")))
    }

    fn error_page(&self, status: StatusCode, message: &str) -> Response {
        let body = self
            .render(
                "error.html",
                context! { status => status.as_u16(), message => message },
            )
            .unwrap_or_else(|_| message.to_owned());
        (status, Html(body)).into_response()
    }
}

pub use crate::server::daily::beijing_time;

/// Every way a console request is refused or fails.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the sign-in page.
    SignIn,
    BadRequest(String),
    /// 403: a missing or wrong CSRF token, or a page for admins.
    Forbidden(&'static str),
    NotFound(String),
    Conflict(String),
    /// 429: too many failed sign-ins.
    TooMany,
    /// 503: storage offline; detail logged.
    Unavailable(String),
    /// 500: detail logged, never shown.
    Internal(String),
}

impl PageError {
    /// The error as a page rendered with `views`.
    pub fn into_page(self, views: &Views) -> Response {
        let (status, message) = match self {
            PageError::SignIn => return Redirect::to("/signin").into_response(),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, m.to_owned()),
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            PageError::Conflict(m) => (StatusCode::CONFLICT, m),
            PageError::TooMany => (
                StatusCode::TOO_MANY_REQUESTS,
                "登录失败次数过多，请15分钟后再试".to_owned(),
            ),
            PageError::Unavailable(cause) => {
                tracing::warn!(%cause, "console: storage unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "存储暂时不可用，请稍后重试".to_owned(),
                )
            }
            PageError::Internal(cause) => {
                tracing::error!(%cause, "console: internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "内部错误".to_owned())
            }
        };
        views.error_page(status, &message)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::server::http::ApiError as A;
        match A::from(e) {
            A::NotFound(m) => PageError::NotFound(m),
            A::Conflict(m) => PageError::Conflict(m),
            A::BadRequest(m) => PageError::BadRequest(m),
            A::Unavailable(m) => PageError::Unavailable(m),
            other => PageError::Internal(format!("{other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let v = Views::new();
        for (name, _) in TEMPLATES {
            assert!(v.env.get_template(name).is_ok(), "{name}");
        }
    }
}
