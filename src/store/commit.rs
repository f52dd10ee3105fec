//! Group commit: callers that need durability queue a waiter; one task makes the store durable once for
//! every waiter that queued before the flush began, so N concurrent acknowledgements cost one fsync, not
//! N. The task holds no database handle between flushes (it asks the [`Database`] for the current store
//! each time), so a failed store can be closed and reopened underneath it.

use super::{Database, StoreError};
use tokio::sync::{mpsc, oneshot};

pub type Waiter = oneshot::Sender<Result<(), String>>;

/// Runs until every sender is gone.
pub async fn flusher(db: Database, mut rx: mpsc::UnboundedReceiver<Waiter>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(w) = rx.try_recv() {
            batch.push(w);
        }
        let result = flush_once(&db).await;
        for w in batch {
            let _ = w.send(result.clone());
        }
    }
}

async fn flush_once(db: &Database) -> Result<(), String> {
    let store = db.get().map_err(|e| e.to_string())?;
    let flushed = tokio::task::spawn_blocking(move || store.durable_flush()).await;
    match flushed {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            db.fail(&e);
            Err(e.to_string())
        }
        Err(join) => {
            let e = StoreError::Commit(join.to_string());
            db.fail(&e);
            Err(e.to_string())
        }
    }
}
