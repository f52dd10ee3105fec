//! The reply to a DingTalk stream message, before its frame is acked. An HTTP callback's 200 carries
//! its reply, so an acknowledged message has been answered; over the stream the same holds this way:
//! the reply is posted to the message's session webhook first (through the DingTalk channel, as a
//! [`Destination::Reply`](crate::platform::Destination::Reply)), and only what cannot be posted at
//! once is queued in the outbox, durably, for the delivery worker to send later:
//! - the group's 20-a-minute limit is used up: queued for when the next slot frees;
//! - the post failed: queued, due now (the worker retries with its backoff);
//! - the post is still under way after [`POST_WAIT`]: queued, due after [`LATE_GRACE_MS`], while the
//!   post goes on; if it succeeds, the queued copy is removed, so a slow platform does not get the
//!   reply twice (only a crash in between would send it again).
//!
//! Either way nothing is acked that a crash could still lose, and no reply costs an fsync unless it
//! has to wait. Replies to one destination are serialised (their send slots are counted one at a
//! time, and they leave in the order their messages were handled), through one of [`STRIPES`] locks
//! picked by the destination.

use crate::platform::Outgoing;
use crate::server::deliver::{destination, log_store, metric_kind, take_slot};
use crate::server::{AppState, SharedState, now_ms};
use crate::store::{Delivery, OutboxItem, StoreError};
use std::hash::{Hash, Hasher};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long a reply may take to post before its message is acked anyway, with the reply queued.
pub const POST_WAIT: Duration = Duration::from_secs(3);
/// How long a queued copy of a post still under way waits before the worker may send it (more than
/// the HTTP client's 10 s timeout).
pub const LATE_GRACE_MS: i64 = 30_000;
const STRIPES: usize = 256;

/// One lock per stripe of destinations: a destination's replies take their turns.
pub struct Turns(Vec<tokio::sync::Mutex<()>>);

impl Default for Turns {
    fn default() -> Self {
        Turns((0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect())
    }
}

/// How a post went within [`POST_WAIT`].
enum Posted {
    Sent,
    Failed,
    /// Still under way.
    Late(JoinHandle<bool>),
}

/// Posts `item` now if its destination has a send slot, else queues it durably. `Err` only when it
/// could be neither posted nor queued (the storage is failing): the message must not be acked.
pub async fn deliver(state: &SharedState, mut item: OutboxItem) -> Result<(), StoreError> {
    let key = state.outbound.rate_key(destination(&item.target));
    let _turn = state.transports.replies.0[stripe_of(&key)].lock().await;
    let now = now_ms();
    match take_slot(state, &item.target, now).await? {
        Some(wait_ms) => item.not_before_ms = now + wait_ms,
        None => match post(state, &item).await {
            Posted::Sent => return Ok(()),
            Posted::Failed => {}
            Posted::Late(pending) => {
                item.not_before_ms = now + LATE_GRACE_MS;
                queue(state, item.clone()).await?;
                tokio::spawn(unqueue_when_sent(state.clone(), item, pending));
                return Ok(());
            }
        },
    }
    queue(state, item).await
}

/// Queues `item` and makes it durable.
async fn queue(state: &AppState, item: OutboxItem) -> Result<(), StoreError> {
    state.store.enqueue(vec![item]).await?;
    state.outbox_ready.notify_one();
    Ok(())
}

/// Once a late post succeeded, removes its queued copy (found by destination, text and creation).
async fn unqueue_when_sent(state: SharedState, item: OutboxItem, pending: JoinHandle<bool>) {
    if !pending.await.unwrap_or(false) {
        return;
    }
    let now = now_ms();
    let queued = match state.store.outbox(now).await {
        Ok(items) => items.into_iter().find(|q| {
            (&q.target, &q.text, q.created_ms) == (&item.target, &item.text, item.created_ms)
        }),
        Err(e) => return log_store::<()>(Err(e)),
    };
    if let Some(q) = queued {
        let done = Delivery::Delivered { at_ms: now };
        log_store(state.store.finish(&q, done, now, vec![]).await);
    }
}

/// Starts the post and waits for it up to [`POST_WAIT`].
async fn post(state: &SharedState, item: &OutboxItem) -> Posted {
    let (st, it) = (state.clone(), item.clone());
    let mut task = tokio::spawn(async move {
        let people = it.people();
        let outgoing = Outgoing {
            to: destination(&it.target),
            text: &it.text,
            to_people: &people,
            now_ms: now_ms(),
        };
        let sent = st.outbound.deliver(outgoing).await;
        match &sent {
            Ok(()) => st.metrics.outbound(metric_kind(&it.target), "sent"),
            Err(e) => {
                let error = crate::server::deliver::describe(e);
                tracing::warn!(%error, "posting a stream reply failed: queued for the delivery worker")
            }
        }
        sent.is_ok()
    });
    match tokio::time::timeout(POST_WAIT, &mut task).await {
        Ok(Ok(true)) => Posted::Sent,
        Ok(_) => Posted::Failed,
        Err(_) => {
            tracing::warn!("posting a stream reply is slow: acked with a queued copy");
            Posted::Late(task)
        }
    }
}

fn stripe_of(key: &str) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() as usize) % STRIPES
}
