//! Group commit: callers that need durability queue a waiter; one task flushes sled once for every waiter
//! that queued before the flush began, so N concurrent acknowledgements cost one fsync, not N.

use tokio::sync::{mpsc, oneshot};

type Waiter = oneshot::Sender<Result<(), String>>;

#[derive(Clone)]
pub struct GroupCommit {
    tx: mpsc::UnboundedSender<Waiter>,
}

impl GroupCommit {
    /// Spawns the flusher task on the current runtime.
    pub fn start(db: sled::Db) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(flusher(db, rx));
        GroupCommit { tx }
    }

    /// Resolves once a flush that started after this call has finished.
    pub async fn wait(&self) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(done)
            .map_err(|_| "flusher stopped".to_owned())?;
        wait.await.map_err(|_| "flusher stopped".to_owned())?
    }
}

async fn flusher(db: sled::Db, mut rx: mpsc::UnboundedReceiver<Waiter>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(w) = rx.try_recv() {
            batch.push(w);
        }
        let db = db.clone();
        let result = match tokio::task::spawn_blocking(move || db.flush()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = &result {
            tracing::error!(error = %e, "sled flush failed");
        }
        for w in batch {
            let _ = w.send(result.clone());
        }
    }
}
