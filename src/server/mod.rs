//! The running bot: `policybot serve`. [`App::build`] opens the store, loads the FAQ snapshot (base and
//! matcher) and binds the listener (so tests can ask for port 0 and read [`App::local_addr`]);
//! [`App::run`] serves until the shutdown future resolves, then drains in-flight requests, stops the
//! workers and flushes sled.
//!
//! Modules: [`listen`] the accept loop and connection limit, [`conn`] one connection and its timeouts,
//! [`http`] routes and handlers, [`dispatch`] the platform-neutral handling of one message,
//! [`officer`] officer commands in chat, [`deliver`] the outbox worker (which posts through the
//! platform layer's [`Outbound`]), [`housekeeping`] SLA reminders and expiry, [`reload`] new FAQ
//! snapshots while serving, [`metrics`], [`daily`] questions per day for the console, [`transport`] the long
//! connections (DingTalk Stream mode, the WeCom intelligent robot). Tickets change only through the ticket
//! service ([`crate::ticket`]).

pub mod conn;
pub mod daily;
pub mod deliver;
pub mod dispatch;
pub mod housekeeping;
pub mod http;
pub mod listen;
pub mod metrics;
pub mod officer;
pub mod reload;
pub mod transport;

use crate::config::Config;
use crate::platform::wecom::{GroupRobot, WxCrypt, aibot};
use crate::platform::{Outbound, dingtalk};
use crate::snapshot::{self, Snapshot};
use crate::store::Database;
use crate::ticket;
use anyhow::{Context, Result};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Everything request handlers and workers share. Built once.
pub struct AppState {
    pub config: Config,
    /// The FAQ base and its matcher: take [`snapshot::Live::current`] once per request and use only it.
    pub faq: snapshot::Live,
    pub store: Database,
    /// The ticket service, on `store`.
    pub tickets: ticket::Service,
    /// WXBizMsgCrypt for the configured WeCom callback, if a token and key are set.
    pub wecom: Option<WxCrypt>,
    pub metrics: metrics::Metrics,
    /// Wakes the delivery worker when something was queued.
    pub outbox_ready: Arc<tokio::sync::Notify>,
    /// Every platform's channel for later messages, and the allow-listed client they post with.
    pub outbound: Outbound,
    /// The long connections configured (none in plain HTTP mode).
    pub transports: transport::Transports,
}

pub type SharedState = Arc<AppState>;

/// A built, bound, not yet running server.
pub struct App {
    listener: tokio::net::TcpListener,
    state: SharedState,
    /// Routes mounted from outside the server (the console), served with the same layers.
    mounted: axum::Router<SharedState>,
}

impl App {
    /// Opens the data dir, loads the FAQ, builds the matcher and binds `server.listen`.
    pub async fn build(config: Config) -> Result<App> {
        let dir = &config.server.faq_dir;
        let first = Snapshot::load(dir, config.matcher)
            .with_context(|| format!("loading the FAQ base from {}", dir.display()))?;
        first.knows_places(&config.places())?;
        let faq = snapshot::Live::new(first, dir.clone(), config.matcher).serving(config.places());
        let store = Database::open(&config.server.data_dir).with_context(|| {
            format!(
                "opening the database in {}",
                config.server.data_dir.display()
            )
        })?;
        let wecom = wecom_crypt(&config)?;
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("binding {}", config.server.listen))?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the HTTP client")?;
        let transports = transport::Transports::new(&config, http.clone());
        let outbound = outbound(&config, http, &transports);
        let outbox_ready = Arc::new(tokio::sync::Notify::new());
        let tickets =
            ticket::Service::new(store.clone(), config.officers.clone(), outbox_ready.clone());
        let metrics = metrics::Metrics::default();
        metrics.daily.open(&config.server.data_dir);
        let state = Arc::new(AppState {
            config,
            faq,
            store,
            tickets,
            wecom,
            metrics,
            outbox_ready,
            outbound,
            transports,
        });
        Ok(App {
            listener,
            state,
            mounted: axum::Router::new(),
        })
    }

    /// The shared state, for routes mounted with [`App::mount`].
    pub fn state(&self) -> SharedState {
        self.state.clone()
    }

    /// Serves `routes` too (the console), behind the same limits and layers as the API.
    pub fn mount(mut self, routes: axum::Router<SharedState>) -> App {
        self.mounted = self.mounted.merge(routes);
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves until `shutdown` resolves; then stops accepting, finishes in-flight requests (within
    /// `server.shutdown_grace_secs`), stops the background workers and the long connections (after
    /// their in-flight messages are acked) and flushes the database.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        survive_file_size_limit();
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        tracker.spawn(deliver::run(self.state.clone(), cancel.clone()));
        tracker.spawn(housekeeping::run(self.state.clone(), cancel.clone()));
        // Caught before the bot says it serves: from then on a SIGHUP reloads and never kills.
        tracker.spawn(reload::on_hangup(self.state.clone(), cancel.clone()));
        transport::spawn(&self.state, &tracker, &cancel);
        let entries = self.state.faq.current().base.entries.len();
        tracing::info!(addr = %self.local_addr(), entries, "policybot serving");
        warn_unconfigured(&self.state.config);
        let router = http::router(self.state.clone(), self.mounted);
        listen::serve(self.listener, router, self.state.clone(), shutdown).await;
        cancel.cancel();
        tracker.close();
        tracker.wait().await;
        self.state.metrics.daily.flush();
        self.state
            .store
            .close()
            .await
            .context("flushing the database")?;
        tracing::info!("policybot stopped");
        Ok(())
    }
}

/// Says at start-up what will be refused, so an operator is not left guessing at 401s.
fn warn_unconfigured(c: &Config) {
    if !c.dingtalk.app_secret.is_set() {
        tracing::warn!("dingtalk.app_secret is empty: DingTalk callbacks will be refused (401)");
    }
    if !c.wecom.token.is_set() || !c.wecom.encoding_aes_key.is_set() {
        tracing::warn!(
            "wecom.token or wecom.encoding_aes_key is empty: WeCom callbacks will be refused (401)"
        );
    }
    if !c.server.admin_token.is_set() {
        tracing::warn!(
            "server.admin_token is empty: the admin API and `policybot queue` are disabled"
        );
    }
    if !c.officers.groups.is_empty() && c.officers.staff_ids.is_empty() {
        tracing::warn!(
            "officers.staff_ids is empty: officer commands will be refused in every officer group"
        );
    }
    warn_no_officers(c);
    for d in &c.deprecations {
        tracing::warn!("{d}");
    }
    warn_off_the_allow_list(c);
}

/// Says plainly when escalated questions reach nobody: no webhook announces them, no officer can list them
/// in a group, and the admin API is off.
fn warn_no_officers(c: &Config) {
    let o = &c.officers;
    let in_groups = !o.groups.is_empty() && !o.staff_ids.is_empty();
    if !o.notify_webhooks.is_empty() {
        return;
    }
    if !in_groups && !c.server.admin_token.is_set() {
        tracing::warn!(
            "no officer channel is configured (officers.notify_webhooks, officers.groups with \
             officers.staff_ids, server.admin_token are all empty): escalated questions become tickets \
             that nobody sees and nobody answers"
        );
    } else {
        tracing::warn!(
            "officers.notify_webhooks is empty: officers are not notified of new tickets; they see them \
             only by asking (待办 in an officer group, or `policybot queue list`)"
        );
    }
}

/// Destinations from the config itself that the allow-list would refuse at every send: a warning names
/// them at start-up rather than at the first failed delivery. Not a refusal: a WeCom-only deployment
/// never uses `dingtalk.api_base`.
fn warn_off_the_allow_list(c: &Config) {
    let hosts = &c.server.allowed_outbound_hosts;
    let officers = c.officers.notify_webhooks.iter().enumerate();
    let named = officers.map(|(i, url)| (format!("officers.notify_webhooks[{i}]"), url));
    let api = std::iter::once(("dingtalk.api_base".to_owned(), &c.dingtalk.api_base));
    for (key, url) in named.chain(api) {
        if !crate::platform::allowed(url.as_str(), hosts) {
            tracing::warn!(
                key,
                "its host is not on server.allowed_outbound_hosts (or it is plain HTTP to a host that \
                 is not loopback): nothing will be posted there"
            );
        }
    }
}

/// The channel of every platform, registered for the routes it delivers to.
fn outbound(config: &Config, http: reqwest::Client, t: &transport::Transports) -> Outbound {
    let d = &config.dingtalk;
    let api = dingtalk::OpenApi {
        base: d.api_base.as_str().trim_end_matches('/').to_owned(),
        app_key: d.app_key.expose().to_owned(),
        app_secret: d.app_secret.expose().to_owned(),
        robot_code: d.robot_code.clone(),
    };
    let secrets = config.officers.webhook_secrets.iter();
    let secrets = secrets
        .map(|(u, s)| (u.clone(), s.expose().to_owned()))
        .collect();
    let outbound = Outbound::new(http, config.server.allowed_outbound_hosts.clone())
        .with(dingtalk::Robot::new(api))
        .with(GroupRobot)
        .signing(secrets);
    match &t.aibot {
        Some(client) => outbound.with(aibot::Chat(client.clone())),
        None => outbound,
    }
}

fn wecom_crypt(config: &Config) -> Result<Option<WxCrypt>> {
    let w = &config.wecom;
    if !w.token.is_set() || !w.encoding_aes_key.is_set() {
        return Ok(None);
    }
    WxCrypt::new(w.token.expose(), w.encoding_aes_key.expose(), &w.receive_id)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("config: wecom.encoding_aes_key: {e}"))
}

/// A file-size limit (RLIMIT_FSIZE, as a full quota is often set up) must reach the store as a write
/// error (EFBIG) that it recovers from, not kill the process with SIGXFSZ: catching the signal (and
/// ignoring it) does that.
fn survive_file_size_limit() {
    #[cfg(unix)]
    {
        const SIGXFSZ: i32 = 25;
        let kind = tokio::signal::unix::SignalKind::from_raw(SIGXFSZ);
        if let Err(e) = tokio::signal::unix::signal(kind) {
            tracing::warn!(error = %e, "cannot catch SIGXFSZ");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received");
}

pub use crate::clock::now_ms;
