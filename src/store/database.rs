//! The server's handle to its storage: the current [`Store`], the group commit, and the storage's health.
//!
//! When a commit fails (disk full, I/O error), nothing written since the last good commit may be
//! acknowledged or even read: sled keeps those writes in memory and refuses all further I/O once one
//! has failed. So the store is taken offline at once ([`Database::get`] answers
//! [`StoreError::Unavailable`], callbacks get 503 and the platforms retry, `/healthz` says why), and a
//! recovery task reopens it from disk every second: the reopened store holds exactly what was
//! committed, so a retried message is handled afresh. A store found damaged on reopening stays offline
//! until an operator acts (`policybot db check` / `db restore`).

use super::commit::{Waiter, flusher};
use super::{Result, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How often a failed store is reopened.
const RECOVERY_INTERVAL: Duration = Duration::from_secs(1);

/// Cheap to clone; all clones share one store.
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
    commits: mpsc::UnboundedSender<Waiter>,
}

struct Shared {
    data_dir: PathBuf,
    current: RwLock<Option<Arc<Store>>>,
    /// Why the store is offline; `None` when healthy.
    failure: Mutex<Option<String>>,
}

impl Database {
    /// Opens and checks the store (see [`Store::open`]) and starts the group commit. Must be called
    /// inside a tokio runtime.
    pub fn open(data_dir: &Path) -> Result<Database> {
        let store = Store::open(data_dir)?;
        let (commits, rx) = mpsc::unbounded_channel();
        let db = Database {
            shared: Arc::new(Shared {
                data_dir: data_dir.to_owned(),
                current: RwLock::new(Some(Arc::new(store))),
                failure: Mutex::new(None),
            }),
            commits,
        };
        tokio::spawn(flusher(db.without_commits(), rx));
        Ok(db)
    }

    /// A clone for the flusher that does not keep the commit channel open (so the flusher ends with
    /// the last user handle).
    fn without_commits(&self) -> Database {
        let (commits, _) = mpsc::unbounded_channel();
        Database {
            shared: self.shared.clone(),
            commits,
        }
    }

    /// The current store, or `Unavailable` while it is offline.
    pub fn get(&self) -> Result<Arc<Store>> {
        let current = self.shared.current.read().expect("lock");
        match current.as_ref() {
            Some(store) => Ok(store.clone()),
            None => Err(StoreError::Unavailable(
                self.failure().unwrap_or_else(|| "closed".to_owned()),
            )),
        }
    }

    /// Waits until everything written before this call is durable.
    pub async fn commit(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        let stopped = || StoreError::Commit("flusher stopped".to_owned());
        self.commits.send(done).map_err(|_| stopped())?;
        wait.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Commit)
    }

    /// Why the storage is offline, if it is.
    pub fn failure(&self) -> Option<String> {
        self.shared.failure.lock().expect("lock").clone()
    }

    /// Flushes synchronously (shutdown).
    pub fn flush(&self) -> Result<()> {
        self.get()?.flush()
    }

    /// Passes `e` on, first taking the store offline if `e` is an I/O failure of sled (after one,
    /// sled refuses all further I/O until it is reopened).
    pub fn failed(&self, e: StoreError) -> StoreError {
        if let StoreError::Sled(sled::Error::Io(_) | sled::Error::ReportableBug(_)) = &e {
            self.fail(&e);
        }
        e
    }

    /// Takes the store offline after a failed commit and starts reopening it.
    pub(super) fn fail(&self, cause: &StoreError) {
        let taken = self.shared.current.write().expect("lock").take();
        *self.shared.failure.lock().expect("lock") = Some(cause.to_string());
        tracing::error!(error = %cause, "storage failed; refusing messages until it is reopened");
        if taken.is_some() {
            tokio::spawn(recover(self.without_commits()));
        }
    }

    fn restore(&self, store: Store) {
        *self.shared.current.write().expect("lock") = Some(Arc::new(store));
        *self.shared.failure.lock().expect("lock") = None;
    }
}

/// Reopens the store from disk until that works and a durable flush succeeds on it.
async fn recover(db: Database) {
    loop {
        tokio::time::sleep(RECOVERY_INTERVAL).await;
        let dir = db.shared.data_dir.clone();
        let reopened = tokio::task::spawn_blocking(move || {
            let store = Store::open(&dir)?;
            store.durable_flush()?;
            Ok::<_, StoreError>(store)
        })
        .await;
        match reopened {
            Ok(Ok(store)) => {
                db.restore(store);
                tracing::info!("storage recovered");
                return;
            }
            Ok(Err(e)) => {
                *db.shared.failure.lock().expect("lock") = Some(e.to_string());
                tracing::warn!(error = %e, "storage still unavailable");
            }
            Err(e) => tracing::warn!(error = %e, "storage recovery task failed"),
        }
    }
}
