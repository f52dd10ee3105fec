//! Sign-in, sign-out and the one-time set-up link. The sign-in form has no session yet, so its CSRF
//! token is a double submit (a cookie and the same value in the form). A failed sign-in is logged with
//! the name tried, never the password, and counted; too many for a name are refused (429) without
//! checking the password.

use crate::console::Ctx;
use crate::console::guard::Posted;
use crate::console::session::{COOKIE, PRE_COOKIE, cookie, random_token, set_cookie, tokens_equal};
use crate::console::view::PageError;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use std::time::Duration;

pub async fn signin_page(State(ctx): State<Ctx>) -> Response {
    signin_form(&ctx, StatusCode::OK, None)
}

fn signin_form(ctx: &Ctx, status: StatusCode, error: Option<&str>) -> Response {
    let token = random_token();
    let no_accounts = ctx.console.accounts.is_empty();
    let data = context! { csrf => token, error => error, no_accounts => no_accounts };
    match ctx.console.views.page("signin.html", None, data) {
        Ok(html) => {
            let c = set_cookie(
                PRE_COOKIE,
                &token,
                Duration::from_secs(3600),
                ctx.console.secure,
            );
            (status, [(header::SET_COOKIE, c)], html).into_response()
        }
        Err(e) => e.into_page(&ctx.console.views),
    }
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn signin(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SignIn>,
) -> Response {
    let views = &ctx.console.views;
    let pre = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| cookie(c, PRE_COOKIE))
        .unwrap_or("");
    if !tokens_equal(pre, &f.csrf) {
        tracing::warn!(name = %f.name, "console: sign-in refused, missing or wrong CSRF token");
        return PageError::Forbidden("表单已失效或缺少安全令牌（CSRF），请刷新页面后重试")
            .into_page(views);
    }
    let name = f.name.trim().to_owned();
    if !ctx.console.sessions.may_try(&name) {
        tracing::warn!(%name, "console: sign-in refused, too many failures");
        return PageError::TooMany.into_page(views);
    }
    let console = ctx.console.clone();
    let (n, p) = (name.clone(), f.password);
    let found = tokio::task::spawn_blocking(move || console.accounts.verify(&n, &p))
        .await
        .ok()
        .flatten();
    let Some(account) = found else {
        ctx.console.sessions.failed(&name);
        tracing::warn!(%name, "console: failed sign-in");
        return signin_form(&ctx, StatusCode::UNAUTHORIZED, Some("用户名或密码错误"));
    };
    tracing::info!(name = %account.name, "console: signed in");
    start_session(&ctx, &account)
}

/// Starts a session for `account` and goes to the inbox.
fn start_session(ctx: &Ctx, account: &crate::console::accounts::Account) -> Response {
    let id = ctx.console.sessions.start(account);
    let c = set_cookie(COOKIE, &id, ctx.console.session_ttl, ctx.console.secure);
    let gone = set_cookie(PRE_COOKIE, "", Duration::ZERO, ctx.console.secure);
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, c.parse().expect("cookie header"));
    r.headers_mut()
        .append(header::SET_COOKIE, gone.parse().expect("cookie header"));
    r
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn signout(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    posted: Posted<Nothing>,
) -> Response {
    if let Some(id) = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| cookie(c, COOKIE))
    {
        ctx.console.sessions.end(id);
    }
    tracing::info!(name = %posted.session.name, "console: signed out");
    let gone = set_cookie(COOKIE, "", Duration::ZERO, ctx.console.secure);
    ([(header::SET_COOKIE, gone)], Redirect::to("/signin")).into_response()
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

pub async fn setup_page(State(ctx): State<Ctx>, Query(q): Query<SetupQuery>) -> Response {
    setup_form(&ctx, &q.token, StatusCode::OK, None)
}

fn setup_form(ctx: &Ctx, token: &str, status: StatusCode, error: Option<&str>) -> Response {
    let views = &ctx.console.views;
    if !ctx.console.sessions.setup_ok(token) {
        return PageError::NotFound("设置链接无效或已使用".into()).into_page(views);
    }
    match views.page(
        "setup.html",
        None,
        context! { token => token, error => error },
    ) {
        Ok(html) => (status, html).into_response(),
        Err(e) => e.into_page(views),
    }
}

#[derive(Deserialize)]
pub struct Setup {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

pub async fn setup(State(ctx): State<Ctx>, axum::Form(f): axum::Form<Setup>) -> Response {
    let name = f.name.trim();
    let problem = if name.is_empty() || name.chars().count() > 32 {
        Some("用户名须为1到32个字符")
    } else if f.password.chars().count() < 8 {
        Some("密码至少8个字符")
    } else if f.password != f.password2 {
        Some("两次输入的密码不一致")
    } else {
        None
    };
    if let Some(p) = problem {
        return setup_form(&ctx, &f.token, StatusCode::BAD_REQUEST, Some(p));
    }
    if !ctx.console.sessions.take_setup(&f.token) {
        return PageError::NotFound("设置链接无效或已使用".into()).into_page(&ctx.console.views);
    }
    let console = ctx.console.clone();
    let (n, p) = (name.to_owned(), f.password);
    let made = tokio::task::spawn_blocking(move || console.accounts.add_admin(&n, &p)).await;
    match made {
        Ok(Ok(account)) => {
            tracing::info!(name = %account.name, "console: first admin account created with the set-up link");
            start_session(&ctx, &account)
        }
        Ok(Err(e)) => PageError::Internal(format!("creating the first account: {e:#}"))
            .into_page(&ctx.console.views),
        Err(e) => PageError::Internal(e.to_string()).into_page(&ctx.console.views),
    }
}
