//! The delivery worker: sends outbox messages (officer answers into groups, officer notifications) that
//! are durable, within the per-robot rate limit, retrying transient failures with exponential backoff; a
//! permanent failure is recorded on the ticket and reported to the officers.
//!
//! Destinations are independent: each robot or webhook with due messages gets its own task, which sends
//! that destination's messages one at a time, in order, and stops at the first one that must wait (so
//! the parts of a long answer never overtake each other). A webhook that hangs holds up only its own
//! messages. The per-destination send count lives in the store and survives restarts.

use super::{AppState, SharedState, now_ms};
use crate::platform::{Destination, Outgoing, PER_MINUTE, SendError};
use crate::store::{Chain, OutboxItem, Target, Undelivered};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

const MAX_ATTEMPTS: u32 = 8;
/// How long shutdown waits for sends in progress before abandoning them (they stay queued).
const DRAIN: Duration = Duration::from_secs(5);

/// The worker loop: wakes on notification, on a finished destination or every second, and starts a
/// task for every destination with due messages that has none running.
pub async fn run(state: SharedState, cancel: CancellationToken) {
    let mut running: JoinSet<String> = JoinSet::new();
    let mut busy: HashSet<String> = HashSet::new();
    loop {
        for (key, items) in due_by_destination(&state).await {
            if busy.insert(key.clone()) {
                let task = deliver_destination(state.clone(), items, cancel.clone());
                running.spawn(async move {
                    task.await;
                    key
                });
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = state.outbox_ready.notified() => {},
            Some(Ok(key)) = running.join_next(), if !running.is_empty() => {
                busy.remove(&key);
            }
            _ = tokio::time::sleep(Duration::from_secs(1)) => {},
        }
        while let Some(done) = running.try_join_next() {
            if let Ok(key) = done {
                busy.remove(&key);
            }
        }
    }
    if tokio::time::timeout(DRAIN, async {
        while running.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("shutdown: abandoning sends in progress; they stay queued");
    }
}

/// Due outbox items grouped by destination, each group oldest first and stopping at the destination's
/// first item that is not due (its later items must not overtake it). Only what is durable (see
/// [`crate::store::Database::outbox`]).
async fn due_by_destination(state: &AppState) -> HashMap<String, Vec<OutboxItem>> {
    let now = now_ms();
    let due = state.store.outbox(now).await.unwrap_or_else(|e| {
        // While the storage is offline its recovery task reports; nothing to add every second.
        if !matches!(e, crate::store::StoreError::Unavailable(_)) {
            tracing::error!(error = %Chain(&e), "reading the outbox failed");
        }
        vec![]
    });
    let mut groups: HashMap<String, Vec<OutboxItem>> = HashMap::new();
    let mut waiting: HashSet<String> = HashSet::new();
    for item in due {
        let key = state.outbound.rate_key(destination(&item.target));
        if item.not_before_ms > now {
            waiting.insert(key);
        } else if !waiting.contains(&key) {
            groups.entry(key).or_default().push(item);
        }
    }
    groups
}

/// Sends one destination's due items in order; stops at the first that has to wait.
async fn deliver_destination(
    state: SharedState,
    items: Vec<OutboxItem>,
    cancel: CancellationToken,
) {
    for item in items {
        if cancel.is_cancelled() || !deliver_one(&state, item).await {
            break;
        }
    }
    state.outbox_ready.notify_one();
}

/// Sends `item` if its destination has a slot; true when the next item may follow it now.
#[tracing::instrument(skip_all, fields(item = item.id, ticket = item.ticket, to = item.target.kind()))]
async fn deliver_one(state: &AppState, mut item: OutboxItem) -> bool {
    let now = now_ms();
    match take_slot(state, &item.target, now).await {
        Ok(None) => {}
        Ok(Some(wait_ms)) => {
            item.not_before_ms = now + wait_ms;
            log_store(state.store.reschedule(&item).await);
            return false;
        }
        Err(e) => {
            log_store::<()>(Err(e));
            return false;
        }
    }
    // From here the item is being sent: a notification stops taking additions.
    item = match state.store.seal(&item).await {
        Ok(Some(current)) => current,
        Ok(None) => return true,
        Err(e) => {
            log_store::<()>(Err(e));
            return false;
        }
    };
    let people = item.people();
    let outgoing = Outgoing {
        to: destination(&item.target),
        text: &item.text,
        to_people: &people,
        now_ms: now,
    };
    let kind = metric_kind(&item.target);
    match state.outbound.deliver(outgoing).await {
        Ok(()) => {
            state.metrics.outbound(kind, "sent");
            log_store(state.tickets.delivered(&item, now).await);
            true
        }
        Err(e) if e.is_transient() && item.attempts + 1 < MAX_ATTEMPTS => {
            state.metrics.outbound(kind, "retry");
            let error = describe(&e);
            tracing::warn!(item = item.id, attempts = item.attempts + 1, %error, "delivery failed, will retry");
            item.attempts += 1;
            item.not_before_ms = now + backoff_ms(item.attempts);
            log_store(state.store.reschedule(&item).await);
            false
        }
        Err(e) => {
            state.metrics.outbound(kind, "failed");
            let error = describe(&e);
            tracing::error!(item = item.id, %error, "delivery failed permanently");
            let cause = undelivered(&e);
            log_store(
                state
                    .tickets
                    .undeliverable(&item, (error, cause), now)
                    .await,
            );
            true
        }
    }
}

/// A send slot of `target`'s destination (the store keeps the count per destination, hashed: a key
/// may hold a webhook's key), or how many ms to wait for one.
pub(crate) async fn take_slot(
    state: &AppState,
    target: &Target,
    now: i64,
) -> crate::store::Result<Option<i64>> {
    let robot = state.outbound.rate_key(destination(target));
    let slot_key = hex::encode(Sha256::digest(robot));
    state.store.take_send_slot(&slot_key, now, PER_MINUTE).await
}

/// 2^attempts seconds, at most five minutes.
fn backoff_ms(attempts: u32) -> i64 {
    (1_000i64 << attempts.min(8)).min(300_000)
}

pub(super) fn log_store<T>(r: crate::store::Result<T>) {
    if let Err(e) = r {
        tracing::error!(error = %Chain(&e), "storage update failed");
    }
}

/// The destination label of `policybot_outbound_by_destination_total`: a user group (answers, notices and
/// stream replies alike) or the officers' webhooks.
pub(crate) fn metric_kind(target: &Target) -> &'static str {
    match target {
        Target::Group(_) | Target::Reply(_) => "group",
        Target::OfficerWebhook { .. } => "officers",
    }
}

/// Where an outbox item goes, in the platform layer's terms.
pub(crate) fn destination(target: &Target) -> Destination<'_> {
    match target {
        Target::Group(route) => Destination::Group(route),
        Target::Reply(route) => Destination::Reply(route),
        Target::OfficerWebhook { url } => Destination::Webhook(url),
    }
}

/// What kind of failure `e` is, for the officers' next step.
fn undelivered(e: &SendError) -> Undelivered {
    match e {
        SendError::NotAllowed => Undelivered::NotAllowed,
        SendError::NoChannel | SendError::NoWebhook | SendError::NoRobotCode => {
            Undelivered::NoRoute
        }
        _ if e.is_transient() => Undelivered::GaveUp,
        _ => Undelivered::Refused,
    }
}

/// A send failure and its causes on one line, as logged and recorded on the ticket (no URL, no
/// secret: see [`SendError`]).
pub(crate) fn describe(e: &SendError) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_described_with_its_causes() {
        let refused = SendError::Refused(crate::platform::ApiError::Api {
            code: 310000,
            message: "sign not match".into(),
        });
        assert_eq!(
            describe(&refused),
            "the platform refused the message: platform API error 310000: sign not match"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(3), 8_000);
        assert_eq!(backoff_ms(20), 256_000);
    }
}
