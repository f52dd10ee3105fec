//! Group commit: writers that need durability queue a waiter; one task makes the store durable once for
//! every waiter that queued before the flush began, so N concurrent acknowledgements cost one fsync, not
//! N. The task holds no backend between flushes (it asks the [`Database`] for the current one each time),
//! so a failed store can be closed and reopened underneath it.

use super::{Database, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

pub type Waiter = oneshot::Sender<Result<(), Arc<StoreError>>>;

/// Runs until every sender is gone.
pub async fn flusher(db: Database, mut rx: mpsc::UnboundedReceiver<Waiter>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(w) = rx.try_recv() {
            batch.push(w);
        }
        let result = flush_once(&db).await.map_err(Arc::new);
        for w in batch {
            let _ = w.send(result.clone());
        }
    }
}

async fn flush_once(db: &Database) -> Result<(), StoreError> {
    db.unlaned(|b| b.durable_flush()).await
}
