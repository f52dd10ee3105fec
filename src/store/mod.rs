//! The durable state: de-duplication records, signatures already used (replay protection), tickets (with
//! an index of open tickets by group and question for merging), the outbox of messages to send, clarify
//! state and officer drafts.
//!
//! Two layers, so that a second storage engine is one new module:
//! - [`Backend`] is the seam an engine implements: blocking, transactional operations on those records
//!   and a durable flush. [`SledStore`] (sled under `<data_dir>/v1`, checked against a manifest) is the
//!   one in use. What any backend must do is written down as tests in `contract`, run against sled by
//!   `cargo test`.
//! - [`Database`] is what the rest of the program holds: async operations that run the backend on the
//!   blocking pool and return once what they wrote is durable (a group commit: concurrent writers share
//!   one flush, see `commit`), and the storage's health (a failed write takes the store offline until it
//!   can be reopened from disk).
//!
//! Invariants:
//! - every operation that changes what someone is told (tickets, the outbox, drafts, suggestions
//!   offered) is durable when it returns; the few write-behind operations (de-duplication records,
//!   signatures, send slots, an offer of an officer) say so, and why losing them in a crash is harmless;
//! - a backend never silently runs behind what was committed (sled: the manifest, see `manifest`);
//! - a ticket change and the messages it causes are written in one transaction, so a crash leaves either
//!   both or neither;
//! - the store keeps records, not rules: which changes a ticket allows, who is told and in what words
//!   belong to the ticket service (`crate::ticket`).

mod backend;
mod commit;
#[cfg(test)]
mod contract;
mod database;
pub mod model;
mod sled_store;

pub use backend::{Backend, Effects, Escalated};
pub use database::{Chain, Database, Durability};
pub use model::*;
pub use sled_store::{SledStore, restore};

use std::sync::Arc;

/// A failure of a backend that is not an I/O error (a bug it reports, an unsupported operation).
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed. Names no backend: each backend converts its own errors, keeping them
/// as the source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing the storage failed (disk full, I/O error): the store goes offline until it
    /// can be reopened.
    #[error("storage I/O failed")]
    Io(#[source] std::io::Error),
    /// The backend failed otherwise; treated like an I/O failure.
    #[error("storage backend failed")]
    Backend(#[source] BackendError),
    #[error("unreadable record")]
    Corrupt(#[source] serde_json::Error),
    #[error("durable commit failed")]
    Commit(#[source] Arc<StoreError>),
    /// The storage failed and is being reopened; nothing can be acknowledged until it is back.
    #[error("storage unavailable")]
    Unavailable(#[source] Option<Arc<StoreError>>),
    /// The data dir is damaged or behind its manifest: refuse to run on it. `what` says what to do.
    #[error("{what}")]
    Damaged {
        what: String,
        #[source]
        cause: Option<BackendError>,
    },
}

impl StoreError {
    /// A damaged data dir, with an explanation for the operator.
    pub fn damaged(what: impl Into<String>) -> StoreError {
        StoreError::Damaged {
            what: what.into(),
            cause: None,
        }
    }

    /// A damaged data dir, and what was found damaged.
    pub fn damaged_by(what: impl Into<String>, cause: impl Into<BackendError>) -> StoreError {
        StoreError::Damaged {
            what: what.into(),
            cause: Some(cause.into()),
        }
    }

    /// True when the storage itself failed (rather than a request to it): the store must be reopened,
    /// and a message that met this is to be retried later (503).
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            StoreError::Io(_)
                | StoreError::Backend(_)
                | StoreError::Commit(_)
                | StoreError::Unavailable(_)
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Bytes of the files under `dir` (the data dir: a few files, cheap to walk).
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(std::result::Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(StoreError::Corrupt)
}

fn from_json<T: serde::de::DeserializeOwned>(v: &[u8]) -> Result<T> {
    serde_json::from_slice(v).map_err(StoreError::Corrupt)
}
