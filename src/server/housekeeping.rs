//! Housekeeping: SLA reminders to officers for tickets waiting longer than `officers.sla` (once per
//! period); every hour, expiry of old de-duplication, signature, rate and flood records and of closed
//! tickets past `server.closed_ticket_retention_days`.

use super::deliver::log_store;
use super::{SharedState, now_ms};
use crate::store::Chain;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// SLA reminders every minute; expired records and closed tickets past retention every hour.
pub async fn run(state: SharedState, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {},
        }
        let now = now_ms();
        match state.tickets.remind_overdue(now).await {
            Ok(ids) if !ids.is_empty() => tracing::info!(tickets = ?ids, "SLA reminders queued"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %Chain(&e), "SLA scan failed"),
        }
        if n.is_multiple_of(60) {
            let days = state.config.server.closed_ticket_retention_days as i64;
            let cutoff = now - days * 86_400_000;
            log_store(state.store.expire(now).await);
            log_store(state.store.purge_closed(cutoff).await);
        }
        n += 1;
    }
}
