//! The delivery worker: sends outbox messages (officer answers into groups, officer notifications) that
//! are durable, within the per-robot rate limit, retrying transient failures with exponential backoff; a
//! permanent failure is recorded on the ticket and reported to the officers.

use super::outbound::RateLimiter;
use super::send::{SendError, TokenCache, send};
use super::{AppState, SharedState, now_ms};
use crate::store::{Delivery, OutboxItem, ReplyRoute, Target, message};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const MAX_ATTEMPTS: u32 = 8;

/// The worker loop: wakes on notification or every second, sends what is due.
pub async fn run(state: SharedState, cancel: CancellationToken) {
    let limiter = RateLimiter::default();
    let tokens = TokenCache::default();
    loop {
        let outbox = state.store.get().and_then(|s| s.pending_outbox(now_ms()));
        let due = outbox.unwrap_or_else(|e| {
            // While the storage is offline its recovery task reports; nothing to add every second.
            if !matches!(e, crate::store::StoreError::Unavailable(_)) {
                tracing::error!(error = %e, "reading the outbox failed");
            }
            vec![]
        });
        // Send only what is durable: a message whose ticket change could still be lost in a crash
        // must not reach the group. One group commit covers everything just read.
        if !due.is_empty() && state.store.commit().await.is_err() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        for item in due {
            if cancel.is_cancelled() {
                return;
            }
            deliver_one(&state, &limiter, &tokens, item).await;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = state.outbox_ready.notified() => {},
            _ = tokio::time::sleep(Duration::from_secs(1)) => {},
        }
    }
}

async fn deliver_one(
    state: &AppState,
    limiter: &RateLimiter,
    tokens: &TokenCache,
    mut item: OutboxItem,
) {
    let now = now_ms();
    if let Err(wait) = limiter.try_take(&robot_key(state, &item.target), Instant::now()) {
        item.not_before_ms = now + wait.as_millis() as i64;
        log_store(state.store.get().and_then(|s| s.reschedule(&item)));
        return;
    }
    match send(state, tokens, &item).await {
        Ok(()) => {
            state.metrics.outbound("sent");
            let delivered = Delivery::Delivered { at_ms: now };
            log_store(
                state
                    .store
                    .get()
                    .and_then(|s| s.finish(&item, delivered, now)),
            );
        }
        Err(SendError::Transient(e)) if item.attempts + 1 < MAX_ATTEMPTS => {
            state.metrics.outbound("retry");
            tracing::warn!(item = item.id, attempts = item.attempts + 1, error = %e, "delivery failed, will retry");
            item.attempts += 1;
            item.not_before_ms = now + backoff_ms(item.attempts);
            log_store(state.store.get().and_then(|s| s.reschedule(&item)));
        }
        Err(SendError::Transient(e) | SendError::Permanent(e)) => {
            state.metrics.outbound("failed");
            tracing::error!(item = item.id, error = %e, "delivery failed permanently");
            let failed = Delivery::Failed {
                at_ms: now,
                error: e.clone(),
            };
            log_store(state.store.get().and_then(|s| s.finish(&item, failed, now)));
            report_failure(state, &item, &e, now);
        }
    }
    log_store(state.store.commit().await);
}

/// 2^attempts seconds, at most five minutes.
fn backoff_ms(attempts: u32) -> i64 {
    (1_000i64 << attempts.min(8)).min(300_000)
}

pub(super) fn log_store<T>(r: crate::store::Result<T>) {
    if let Err(e) = r {
        tracing::error!(error = %e, "outbox update failed");
    }
}

/// Tells the officers that a ticket's answer could not be delivered (not for officer messages).
fn report_failure(state: &AppState, item: &OutboxItem, error: &str, now: i64) {
    let (Some(ticket), Target::Group(_)) = (item.ticket, &item.target) else {
        return;
    };
    let text = format!(
        "【投递失败】工单 #{ticket} 的答复未能发送到群：{}",
        crate::sanitize::user_text(error, crate::sanitize::QUESTION_CHARS)
    );
    for url in &state.config.officers.notify_webhooks {
        let target = Target::OfficerWebhook { url: url.clone() };
        let item = message(target, text.clone(), vec![], None, now);
        log_store(state.store.get().and_then(|s| s.enqueue(item)));
    }
}

/// Which robot a message is sent by, for rate limiting.
fn robot_key(state: &AppState, target: &Target) -> String {
    match target {
        Target::OfficerWebhook { url } => url.clone(),
        Target::Group(ReplyRoute::WeCom { webhook_url, .. }) => {
            webhook_url.clone().unwrap_or_default()
        }
        Target::Group(ReplyRoute::DingTalk { robot_code, .. }) => {
            format!(
                "dingtalk:{}",
                robot_code
                    .as_deref()
                    .unwrap_or(&state.config.dingtalk.robot_code)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(3), 8_000);
        assert_eq!(backoff_ms(20), 256_000);
    }
}
