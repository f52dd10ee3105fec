//! Housekeeping: SLA reminders to officers for tickets waiting longer than `officers.sla` (once per
//! period); every hour, expiry of old de-duplication, signature, rate and flood records and of closed
//! tickets past `server.closed_ticket_retention_days`.

use super::deliver::log_store;
use super::{SharedState, now_ms, officer};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// SLA reminders every minute; expired de-duplication records every hour.
pub async fn run(state: SharedState, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {},
        }
        let now = now_ms();
        let sla_ms = state.config.officers.sla.as_millis() as i64;
        let hooks = &state.config.officers.notify_webhooks;
        let reminded = state
            .store
            .get()
            .and_then(|s| s.remind_overdue(sla_ms, now, hooks, |t| officer::reminder(t, now)));
        match reminded {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(tickets = ?ids, "SLA reminders queued");
                log_store(state.store.commit().await);
                state.outbox_ready.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "SLA scan failed"),
        }
        if n.is_multiple_of(60) {
            let days = state.config.server.closed_ticket_retention_days as i64;
            let cutoff = now - days * 86_400_000;
            log_store(state.store.get().and_then(|s| s.expire_seen(now)));
            log_store(state.store.get().and_then(|s| s.purge_closed(cutoff)));
            log_store(state.store.commit().await);
        }
        n += 1;
    }
}
