//! The program's handle to its storage: async operations on the current [`Backend`] and, when they
//! change what someone is told, awaited until a group commit has made them durable; and the storage's
//! health.
//!
//! Where they run: the fsyncs and the reads of many records off the async workers, writes of a few
//! records on them:
//! - writes that must be durable go to the group commit (`commit`): its applier runs them one after
//!   the other on its own task, its flusher makes them durable on the blocking pool, once for all that
//!   were applied;
//! - scans and other reads of many records go to the blocking pool, at most one per core at a time;
//! - operations on one record ([`Backend`] lists them as point operations) run on the calling task:
//!   on sled they touch only its page cache and write buffer, and a hop to the pool and back costs
//!   more than they do (with `scripts/bench_load.sh` on a busy 2-core machine, about a third of the
//!   server's CPU time per answered question).
//!
//! When a write or a commit fails (disk full, I/O error), nothing written since the last good commit may
//! be acknowledged or even read: sled keeps those writes in memory and refuses all further I/O once one
//! has failed. So the store is taken offline at once (every operation answers
//! [`StoreError::Unavailable`], callbacks get 503 and the platforms retry, `/healthz` says why), and a
//! recovery task reopens it every second: the reopened store holds exactly what was committed, so a
//! retried message is handled afresh. A store found damaged on reopening stays offline until an
//! operator acts (`policybot db check` / `db restore`).

use super::backend::{Backend, Effects, Escalated};
use super::commit::{Job, Request, applier, flusher};
use super::model::*;
use super::{Result, SledStore, StoreError};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How often a failed store is reopened.
const RECOVERY_INTERVAL: Duration = Duration::from_secs(1);

/// Opens the backend (again, after a failure).
type Opener = Arc<dyn Fn() -> Result<Arc<dyn Backend>> + Send + Sync>;

/// Whether a write waits for a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Returns once the write is durable.
    Durable,
    /// Returns at once; durable with the next commit or the backend's own write-back (sled: within
    /// 500 ms). For state whose loss in a crash only costs a convenience.
    WriteBehind,
}

/// Cheap to clone; all clones share one store.
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
    commits: mpsc::UnboundedSender<Request>,
    writes: mpsc::UnboundedSender<Job>,
}

struct Shared {
    open: Opener,
    current: RwLock<Option<Arc<dyn Backend>>>,
    /// Permits to read on the blocking pool: one per core.
    lanes: tokio::sync::Semaphore,
    /// Why the store is offline; `None` when healthy.
    failure: Mutex<Option<Arc<StoreError>>>,
}

impl Database {
    /// Opens and checks the sled store in `data_dir` (see [`SledStore::open`]) and starts the group
    /// commit. Must be called inside a tokio runtime.
    pub fn open(data_dir: &Path) -> Result<Database> {
        let dir = data_dir.to_owned();
        Database::with_backend(Arc::new(move || {
            Ok(Arc::new(SledStore::open(&dir)?) as Arc<dyn Backend>)
        }))
    }

    /// Opens the store with `open` (called again to reopen it after a failure) and starts the group
    /// commit. Must be called inside a tokio runtime.
    pub fn with_backend(open: Opener) -> Result<Database> {
        let backend = open()?;
        let (commits, requests) = mpsc::unbounded_channel();
        let (writes, jobs) = mpsc::unbounded_channel();
        let db = Database {
            shared: Arc::new(Shared {
                open,
                current: RwLock::new(Some(backend)),
                lanes: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                ),
                failure: Mutex::new(None),
            }),
            commits: commits.clone(),
            writes,
        };
        tokio::spawn(flusher(db.without_commits(), requests));
        tokio::spawn(applier(db.without_commits(), jobs, commits));
        Ok(db)
    }

    /// A clone for the group commit's tasks and the recovery task that keeps neither of its channels
    /// open (so those tasks end with the last user handle).
    fn without_commits(&self) -> Database {
        Database {
            shared: self.shared.clone(),
            commits: mpsc::unbounded_channel().0,
            writes: mpsc::unbounded_channel().0,
        }
    }

    fn current(&self) -> Result<Arc<dyn Backend>> {
        let current = self.shared.current.read().expect("lock");
        match current.as_ref() {
            Some(b) => Ok(b.clone()),
            None => Err(StoreError::Unavailable(self.failure())),
        }
    }

    /// Runs `op` (a read) on the current backend on the blocking pool, in one of the lanes; a storage
    /// failure takes the store offline.
    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Backend) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _lane = self.shared.lanes.acquire().await.expect("never closed");
        self.unlaned(op).await
    }

    /// Runs `op` on the blocking pool without waiting for a lane (the committer's writes and flushes:
    /// they wait for the disk, not for reads, and must not hold those up).
    pub(super) async fn unlaned<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Backend) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let backend = self.current()?;
        let joined = tokio::task::spawn_blocking(move || op(backend.as_ref())).await;
        let result = joined.unwrap_or_else(|e| Err(StoreError::Backend(Box::new(e))));
        result.map_err(|e| self.failed(e))
    }

    /// Runs a point operation on the calling task; a storage failure takes the store offline.
    pub(super) fn point<T>(&self, op: impl FnOnce(&dyn Backend) -> Result<T>) -> Result<T> {
        op(self.current()?.as_ref()).map_err(|e| self.failed(e))
    }

    /// Has the applier run `op` and waits until a flush has made what it wrote durable; `wrote` tells
    /// whether it wrote anything (if not, it returns without waiting for a flush).
    async fn durably<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Backend) -> Result<T> + Send + 'static,
        wrote: fn(&T) -> bool,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |b| match op(b) {
            Ok(v) if wrote(&v) => Some(Box::new(move |flushed: super::commit::Flushed| {
                let _ = tx.send(flushed.map(|()| v).map_err(StoreError::Commit));
            })),
            other => {
                let _ = tx.send(other);
                None
            }
        });
        self.writes
            .send(job)
            .map_err(|_| StoreError::Unavailable(None))?;
        let result = rx
            .await
            .map_err(|_| StoreError::Unavailable(self.failure()))?;
        result.map_err(|e| self.failed(e))
    }

    /// Waits until everything written before this call is durable.
    async fn commit(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        let stopped = || StoreError::Unavailable(None);
        self.commits
            .send(Request::Flush(done))
            .map_err(|_| stopped())?;
        wait.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Commit)
    }

    /// Why the storage is offline, if it is.
    pub fn failure(&self) -> Option<Arc<StoreError>> {
        self.shared.failure.lock().expect("lock").clone()
    }

    /// Makes everything written so far durable (shutdown).
    pub async fn close(&self) -> Result<()> {
        self.unlaned(|b| b.durable_flush()).await
    }

    /// Passes `e` on, first taking the store offline if the storage itself failed.
    pub(super) fn failed(&self, e: StoreError) -> StoreError {
        if matches!(e, StoreError::Io(_) | StoreError::Backend(_)) {
            self.fail(e)
        } else {
            e
        }
    }

    /// Takes the store offline and starts reopening it; returns the failure, shared.
    fn fail(&self, cause: StoreError) -> StoreError {
        let cause = Arc::new(cause);
        let taken = self.shared.current.write().expect("lock").take();
        *self.shared.failure.lock().expect("lock") = Some(cause.clone());
        tracing::error!(error = %Chain(&*cause), "storage failed; refusing messages until it is reopened");
        if taken.is_some() {
            tokio::spawn(recover(self.without_commits()));
        }
        StoreError::Unavailable(Some(cause))
    }

    fn restore(&self, backend: Arc<dyn Backend>) {
        *self.shared.current.write().expect("lock") = Some(backend);
        *self.shared.failure.lock().expect("lock") = None;
    }
}

/// Reopens the store until that works and a durable flush succeeds on it.
async fn recover(db: Database) {
    loop {
        tokio::time::sleep(RECOVERY_INTERVAL).await;
        let open = db.shared.open.clone();
        let reopened = tokio::task::spawn_blocking(move || {
            let backend = open()?;
            backend.durable_flush()?;
            Ok::<_, StoreError>(backend)
        })
        .await;
        match reopened {
            Ok(Ok(backend)) => {
                db.restore(backend);
                tracing::info!("storage recovered");
                return;
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %Chain(&e), "storage still unavailable");
                *db.shared.failure.lock().expect("lock") = Some(Arc::new(e));
            }
            Err(e) => tracing::warn!(error = %e, "storage recovery task failed"),
        }
    }
}

/// An error with its causes, `a: b: c`, for the log.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// Messages: de-duplication and replay protection.
impl Database {
    /// True when message key `key` was already recorded.
    pub async fn is_seen(&self, key: &str) -> Result<bool> {
        self.point(|b| b.is_seen(key))
    }

    /// Records message key `key`; false when it was already recorded. Write-behind: a reply that only
    /// quotes the FAQ carries no other state, and an fsync per answer would cost a third of answering;
    /// if the bot dies before the write-back, a redelivery is answered again, which is better than
    /// never. Any durable operation after it commits it too.
    pub async fn mark_seen(&self, key: &str, expires_ms: i64) -> Result<bool> {
        self.point(|b| b.mark_seen(key, expires_ms))
    }

    /// Binds a signature to the message it first carried (see [`Backend::bind_signature`]).
    /// Write-behind: after a crash the window of the lost record is what a captured signature had
    /// anyway until its first use.
    pub async fn bind_signature(&self, key: &str, msg_id: &str, expires_ms: i64) -> Result<bool> {
        self.point(|b| b.bind_signature(key, msg_id, expires_ms))
    }

    /// Forgets expired de-duplication, signature, send-slot and flood records. Durable.
    pub async fn expire(&self, now_ms: i64) -> Result<usize> {
        self.durably(move |b| b.expire(now_ms), |_| true).await
    }

    /// Remembers suggestions (or an offer of an officer) made to `who`.
    pub async fn put_clarify(
        &self,
        who: &str,
        pending: PendingClarify,
        durability: Durability,
    ) -> Result<()> {
        self.point(|b| b.put_clarify(who, &pending))?;
        match durability {
            Durability::Durable => self.commit().await,
            Durability::WriteBehind => Ok(()),
        }
    }

    /// Takes what was offered to `who`. Write-behind: a crash can only bring an offer back.
    pub async fn take_clarify(&self, who: &str, now_ms: i64) -> Result<Option<PendingClarify>> {
        self.point(|b| b.take_clarify(who, now_ms))
    }
}

/// Tickets and drafts.
impl Database {
    /// Opens or joins a ticket (see [`Backend::escalate`]). Durable unless nothing changed.
    pub async fn escalate(
        &self,
        (esc, limits): (Escalation, FloodLimits),
        now_ms: i64,
        notices: impl Fn(&Ticket, bool) -> Vec<OutboxItem> + Send + 'static,
    ) -> Result<Escalated> {
        let escalate = move |b: &dyn Backend| b.escalate(&esc, limits, now_ms, &notices);
        let changed = |r: &Escalated| matches!(r, Escalated::Opened(_) | Escalated::Joined(_));
        self.durably(escalate, changed).await
    }

    pub async fn ticket(&self, id: u64) -> Result<Option<Ticket>> {
        self.point(|b| b.ticket(id))
    }

    pub async fn tickets(&self, filter: TicketFilter) -> Result<Vec<Ticket>> {
        self.blocking(move |b| b.tickets(filter)).await
    }

    /// Replaces `before` by `after` with its effects unless the ticket changed meanwhile (false).
    /// Durable when it returns true.
    pub async fn save(&self, before: Ticket, after: Ticket, effects: Effects) -> Result<bool> {
        let save = move |b: &dyn Backend| b.save(&before, &after, &effects);
        self.durably(save, |saved| *saved).await
    }

    /// Removes closed tickets last changed before `cutoff_ms`. Durable.
    pub async fn purge_closed(&self, cutoff_ms: i64) -> Result<usize> {
        self.durably(move |b| b.purge_closed(cutoff_ms), |_| true)
            .await
    }

    pub async fn drafts(&self) -> Result<Vec<Draft>> {
        self.blocking(|b| b.drafts()).await
    }

    /// A backup of every record (JSON lines, see `SledStore`'s backup format).
    pub async fn backup(&self, now_ms: i64) -> Result<Vec<u8>> {
        self.blocking(move |b| {
            let mut out = Vec::new();
            b.backup(&mut out, now_ms).map(|_| out)
        })
        .await
    }
}

/// The outbox, for the delivery worker.
impl Database {
    /// Every queued message, oldest first. When any is due at `now_ms` the store is committed first, so
    /// that only durable messages are sent (a message whose ticket change a crash could still undo
    /// must not reach a group).
    pub async fn outbox(&self, now_ms: i64) -> Result<Vec<OutboxItem>> {
        let items = self.blocking(|b| b.outbox()).await?;
        if items.iter().any(|i| i.not_before_ms <= now_ms) {
            self.commit().await?;
        }
        Ok(items)
    }

    pub async fn outbox_len(&self) -> Result<usize> {
        self.blocking(|b| b.outbox_len()).await
    }

    /// Queues messages outside any ticket change. Durable.
    pub async fn enqueue(&self, items: Vec<OutboxItem>) -> Result<()> {
        self.durably(move |b| b.enqueue(&items), |_| true).await
    }

    /// The item about to be sent, as it is now (see [`Backend::seal`]). Write-behind, as the delivery
    /// bookkeeping below: a crash before the item is finished sends it again (at least once).
    pub async fn seal(&self, item: &OutboxItem) -> Result<Option<OutboxItem>> {
        let item = item.clone();
        self.blocking(move |b| b.seal(&item)).await
    }

    /// Puts an item back to be retried. Write-behind.
    pub async fn reschedule(&self, item: &OutboxItem) -> Result<()> {
        self.point(|b| b.reschedule(item))
    }

    /// Removes a sent or abandoned item, records the outcome on its ticket and queues `messages`.
    /// Durable.
    pub async fn finish(
        &self,
        item: &OutboxItem,
        delivery: Delivery,
        now_ms: i64,
        messages: Vec<OutboxItem>,
    ) -> Result<()> {
        let item = item.clone();
        let finish = move |b: &dyn Backend| b.finish(&item, &delivery, now_ms, &messages);
        self.durably(finish, |_| true).await
    }

    /// Takes a send slot for destination `key`, or says how many ms to wait. Write-behind.
    pub async fn take_send_slot(
        &self,
        key: &str,
        now_ms: i64,
        per_minute: usize,
    ) -> Result<Option<i64>> {
        self.point(|b| b.take_send_slot(key, now_ms, per_minute))
    }
}

#[cfg(test)]
mod tests;
