//! Group commit, in two tasks that work side by side:
//! - the applier runs the writes that must be durable before they return ([`Job`]s), one after the
//!   other, in batches on its own task: no thread hop per write (on sled a write touches only its page
//!   cache and log buffer; a hop to the blocking pool per batch cost 15% of escalation throughput), and
//!   writes never contend with each other (sled transactions are optimistic: run side by side,
//!   escalations taking the next ticket number would only conflict and re-run);
//! - the flusher makes everything applied durable (on the blocking pool), once for all the writes and waiters queued when it
//!   begins ([`Request`]), so N concurrent acknowledgements cost one fsync; while it waits for the
//!   disk, the applier goes on with the next writes.
//!
//! A write is answered only by a flush that began after it was applied. Neither task holds a backend
//! between batches (they ask the [`Database`] for the current one each time), so a failed store can be
//! closed and reopened underneath them.

use super::{Backend, Database, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The outcome of a flush, shared by everyone who waited for it.
pub type Flushed = Result<(), Arc<StoreError>>;

/// A write. Returns how to answer its caller once a flush has covered it, or `None` when it wrote
/// nothing (or failed) and has answered already.
pub type Job = Box<dyn FnOnce(&dyn Backend) -> Option<Answer> + Send>;

/// Answers a write's caller with the outcome of the flush that covers it.
pub type Answer = Box<dyn FnOnce(Flushed) + Send>;

/// What the flusher is asked.
pub enum Request {
    /// Tell me when everything written so far is durable.
    Flush(oneshot::Sender<Flushed>),
    /// Answer an applied write once it is durable.
    Settle(Answer),
}

/// Runs jobs until every sender is gone, handing their answers to the flusher. While the store is
/// offline, jobs are dropped unrun: their callers learn that it is unavailable.
pub async fn applier(
    db: Database,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    flusher: mpsc::UnboundedSender<Request>,
) {
    while let Some(first) = jobs.recv().await {
        let batch: Vec<Job> = std::iter::once(first)
            .chain(std::iter::from_fn(|| jobs.try_recv().ok()))
            .collect();
        let run = move |b: &dyn Backend| Ok(batch.into_iter().filter_map(|job| job(b)).collect());
        let answers: Vec<Answer> = db.point(run).unwrap_or_default();
        for answer in answers {
            let _ = flusher.send(Request::Settle(answer));
        }
    }
}

/// Flushes for every batch of requests until every sender is gone.
pub async fn flusher(db: Database, mut rx: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = rx.recv().await {
        let batch: Vec<Request> = std::iter::once(first)
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            .collect();
        let flushed = db.unlaned(|b| b.durable_flush()).await.map_err(Arc::new);
        for request in batch {
            match request {
                Request::Flush(w) => {
                    let _ = w.send(flushed.clone());
                }
                Request::Settle(answer) => answer(flushed.clone()),
            }
        }
    }
}
