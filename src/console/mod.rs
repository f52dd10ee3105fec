//! The officers' console in the browser, at `/` on the bot's own listener: sign-in with console
//! accounts, the inbox and ticket pages, a try-it pane, the knowledge base with drafts for admins, and
//! "what people ask". Server-rendered HTML ([`view`]) with a few lines of plain JS, all embedded in the
//! binary (no CDN, no build chain). The console is the fourth front end of the ticket service, beside
//! chat commands, the admin API and `policybot queue`: every ticket read and action is a ticket
//! `Action` ([`tickets`]), so it follows the same rules and defaults and is recorded the same way.
//!
//! Modules: [`accounts`] and [`session`] who may sign in and who is; [`guard`] the extractors that
//! demand a session, an admin, a CSRF token; [`view`] templates and the error page; [`pages`] the
//! handlers; [`stats`], [`chart`], [`topics`] "what people ask"; [`why`] why a candidate matched;
//! [`review`] an admin's decision on a draft, [`approve`] an approved draft written into `faq/entries/`.

pub mod accounts;
pub mod approve;
pub mod chart;
pub mod guard;
pub mod pages;
pub mod review;
pub mod session;
pub mod stats;
pub mod tickets;
pub mod topics;
pub mod view;
pub mod why;

use crate::server::SharedState;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The console's own state next to the app's.
pub struct Console {
    pub accounts: accounts::Accounts,
    pub sessions: session::Sessions,
    /// `console.secure_cookies`.
    pub secure: bool,
    pub session_ttl: Duration,
    pub views: view::Views,
}

/// What every console handler gets.
#[derive(Clone)]
pub struct Ctx {
    pub app: SharedState,
    pub console: Arc<Console>,
}

/// The console's routes (none when `console.enabled` is false). On a first start with no account, logs
/// the one-time set-up link for `addr`.
pub fn router(app: SharedState, addr: SocketAddr) -> anyhow::Result<Router<SharedState>> {
    let c = &app.config.console;
    if !c.enabled {
        return Ok(Router::new());
    }
    let accounts = accounts::Accounts::load(&c.accounts, &app.config.server.data_dir)?;
    let ttl = c.session;
    let sessions = session::Sessions::new(ttl, c.max_failed_signins as usize);
    if accounts.is_empty() {
        let token = sessions.new_setup_token();
        tracing::warn!(
            "console: no account yet. Open this one-time link to create the first admin: \
             http://{addr}/setup?token={token}"
        );
    }
    let console = Arc::new(Console {
        accounts,
        sessions,
        secure: c.secure_cookies,
        session_ttl: ttl,
        views: view::Views::new(),
    });
    Ok(pages::routes().with_state(Ctx { app, console }))
}
