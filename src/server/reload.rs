//! New FAQ snapshots while serving: on SIGHUP, on `POST /api/v1/faq/reload` and with `policybot faq
//! reload` (which calls that route). Each reload runs as a task of its own, so a caller that gives up (a
//! request that timed out) does not cancel it halfway: it finishes, is logged, and counted in `/metrics`
//! when refused. What a reload does is [`crate::snapshot::Live::reload`].

use super::SharedState;
use crate::snapshot::{Refusal, Reloaded};
use tokio_util::sync::CancellationToken;

/// Reloads `faq/` (`trigger` names who asked, for the log); on refusal the served snapshot stays.
#[tracing::instrument(skip(state))]
pub async fn reload(state: &SharedState, trigger: &'static str) -> Result<Reloaded, Refusal> {
    let s = state.clone();
    let outcome = tokio::spawn(async move { s.faq.reload().await })
        .await
        .unwrap_or_else(|e| Err(Refusal::Crashed(e.to_string())));
    match &outcome {
        Ok(r) => tracing::info!(
            trigger,
            version = r.version,
            entries = r.entries,
            load_seconds = r.load_seconds,
            added = ?r.changes.added,
            changed = ?r.changes.changed,
            removed = ?r.changes.removed,
            "FAQ reloaded"
        ),
        Err(e) => {
            state.metrics.faq_reload_failed();
            let serving = state.faq.current().version;
            let problems = e.messages().join("\n");
            tracing::warn!(trigger, serving, %problems, "FAQ reload refused: still serving the old snapshot");
        }
    }
    outcome
}

/// Reloads on each SIGHUP until `cancel`. SIGHUP is caught from this call on (before the returned future
/// first runs), so it no longer ends the process; hangups that arrive during a reload make one more.
#[cfg(unix)]
pub fn on_hangup(
    state: SharedState,
    cancel: CancellationToken,
) -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let hangups = signal(SignalKind::hangup());
    async move {
        let mut hangups = match hangups {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot catch SIGHUP: reload through the API instead");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                got = hangups.recv() => {
                    if got.is_none() {
                        return;
                    }
                    let _ = reload(&state, "sighup").await;
                }
            }
        }
    }
}

#[cfg(not(unix))]
pub async fn on_hangup(_state: SharedState, _cancel: CancellationToken) {}
