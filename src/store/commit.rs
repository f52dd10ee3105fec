//! Group commit. Writers that must be durable before they return hand their write to the committer
//! (a [`Request::Write`]); callers that only need what was already written made durable queue a
//! waiter ([`Request::Flush`]). The committer takes everything queued, runs the writes one after the
//! other on the blocking pool and makes them durable with one flush in the same task: N concurrent
//! acknowledgements cost one fsync and no thread hop each, and writes never contend with each other
//! (sled transactions are optimistic: run side by side, escalations taking the next ticket number
//! would only conflict and re-run).
//!
//! The committer holds no backend between batches (it asks the [`Database`] for the current one each
//! time), so a failed store can be closed and reopened underneath it.

use super::{Backend, Database, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The outcome of a flush, shared by everyone who waited for it.
pub type Flushed = Result<(), Arc<StoreError>>;

pub enum Request {
    /// Tell me when everything written so far is durable.
    Flush(oneshot::Sender<Flushed>),
    /// Run this write, then tell its caller once it is durable.
    Write(Job),
}

/// A write, run by the committer. Returns how to answer its caller once the flush is done, or `None`
/// when it wrote nothing (or failed) and has answered already.
pub type Job = Box<dyn FnOnce(&dyn Backend) -> Option<Answer> + Send>;

/// Answers a write's caller with the outcome of the flush that covers it.
pub type Answer = Box<dyn FnOnce(Flushed) + Send>;

/// Runs until every sender is gone.
pub async fn committer(db: Database, mut rx: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = Vec::new();
        let mut waiters = Vec::new();
        for request in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match request {
                Request::Flush(w) => waiters.push(w),
                Request::Write(job) => jobs.push(job),
            }
        }
        let (answers, flushed) = run(&db, jobs, !waiters.is_empty()).await;
        for answer in answers {
            answer(flushed.clone());
        }
        for w in waiters {
            let _ = w.send(flushed.clone());
        }
    }
}

/// Runs `jobs` and flushes if any of them wrote or `flush` is asked for. A store that is offline runs
/// nothing: the jobs are dropped, and their callers learn that the store is unavailable.
async fn run(db: &Database, jobs: Vec<Job>, flush: bool) -> (Vec<Answer>, Flushed) {
    let ran = db
        .unlaned(move |b| {
            let answers: Vec<Answer> = jobs.into_iter().filter_map(|job| job(b)).collect();
            let flushed = match flush || !answers.is_empty() {
                true => b.durable_flush(),
                false => Ok(()),
            };
            Ok((answers, flushed))
        })
        .await;
    match ran {
        Ok((answers, Ok(()))) => (answers, Ok(())),
        Ok((answers, Err(e))) => (answers, Err(Arc::new(db.failed(e)))),
        Err(e) => (vec![], Err(Arc::new(e))),
    }
}
