//! The durable state, in one sled database under `<data_dir>/v1`: de-duplication records, signatures
//! already used (replay protection), tickets (with an
//! index of open tickets by group and question for merging), the outbox of messages to send, clarify
//! state and officer drafts.
//!
//! Invariants:
//! - every state change that is acknowledged to anyone is first made durable with [`Store::commit`], a
//!   group commit: concurrent callers share one fsync;
//! - a ticket change and the messages it causes (notifications, answers) are written in one transaction,
//!   so a crash leaves either both or neither;
//! - transaction closures only touch sled (they may re-run).

mod commit;
pub mod model;
mod outbox;
mod tickets;

pub use model::*;
pub use tickets::{Escalation, TicketFilter, message};

use commit::GroupCommit;
use sled::Tree;
use std::path::Path;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ticket #{0} not found")]
    NotFound(u64),
    #[error("ticket #{id} is {status}; cannot {action}")]
    InvalidTransition {
        id: u64,
        status: &'static str,
        action: &'static str,
    },
    #[error("message already handled")]
    Duplicate,
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("durable commit failed: {0}")]
    Commit(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

const SEEN: &str = "seen_msg_ids";
const SIGNATURES: &str = "used_signatures";
const TICKETS: &str = "tickets";
const OPEN_BY_KEY: &str = "open_tickets_by_question";
const OUTBOX: &str = "outbox";
const CLARIFY: &str = "clarify";
const DRAFTS: &str = "drafts";
const META: &str = "meta";
const NEXT_TICKET: &[u8] = b"next_ticket";

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    seen: Tree,
    signatures: Tree,
    tickets: Tree,
    open_by_key: Tree,
    outbox: Tree,
    clarify: Tree,
    drafts: Tree,
    meta: Tree,
    commit: GroupCommit,
}

impl Store {
    /// Opens (creating) the database under `<data_dir>/v1`. Must be called inside a tokio runtime.
    pub fn open(data_dir: &Path) -> Result<Store> {
        // sled writes back every 500 ms on its own (its default, stated here because dispatch relies on
        // it for de-duplication records); everything acknowledged goes through `commit`.
        let db = sled::Config::new()
            .path(data_dir.join("v1"))
            .flush_every_ms(Some(500))
            .open()?;
        Self::with_db(db)
    }

    fn with_db(db: sled::Db) -> Result<Store> {
        Ok(Store {
            seen: db.open_tree(SEEN)?,
            signatures: db.open_tree(SIGNATURES)?,
            tickets: db.open_tree(TICKETS)?,
            open_by_key: db.open_tree(OPEN_BY_KEY)?,
            outbox: db.open_tree(OUTBOX)?,
            clarify: db.open_tree(CLARIFY)?,
            drafts: db.open_tree(DRAFTS)?,
            meta: db.open_tree(META)?,
            commit: GroupCommit::start(db.clone()),
            db,
        })
    }

    /// Waits until everything written before this call is on disk.
    pub async fn commit(&self) -> Result<()> {
        self.commit.wait().await.map_err(StoreError::Commit)
    }

    /// Flushes synchronously (shutdown).
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Records a message id; false if it was already recorded (a redelivery). Atomic.
    pub fn mark_seen(&self, key: &str, expires_ms: i64) -> Result<bool> {
        let swapped = self.seen.compare_and_swap(
            key.as_bytes(),
            None as Option<&[u8]>,
            Some(&expires_ms.to_be_bytes()[..]),
        )?;
        Ok(swapped.is_ok())
    }

    /// True when a message id was already recorded (read-only pre-check; [`Store::mark_seen`] decides).
    pub fn is_seen(&self, key: &str) -> Result<bool> {
        Ok(self.seen.contains_key(key.as_bytes())?)
    }

    /// Binds a signature (`key`, e.g. DingTalk's timestamp) to the message id it first carried, until
    /// `expires_ms`. True when `msg_id` may use it: the first use, or a retry of the same message.
    /// False when it already carried another message (a replay with another body). Atomic.
    pub fn bind_signature(&self, key: &str, msg_id: &str, expires_ms: i64) -> Result<bool> {
        let mut record = expires_ms.to_be_bytes().to_vec();
        record.extend_from_slice(msg_id.as_bytes());
        let swapped =
            self.signatures
                .compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(record))?;
        Ok(match swapped {
            Ok(()) => true,
            Err(e) => e.current.is_some_and(|v| v.get(8..) == Some(msg_id.as_bytes())),
        })
    }

    /// Forgets de-duplication and signature records that expired before `now_ms`; returns how many.
    pub fn expire_seen(&self, now_ms: i64) -> Result<usize> {
        let mut n = 0;
        for tree in [&self.seen, &self.signatures] {
            for kv in tree.iter() {
                let (k, v) = kv?;
                if decode_i64(v.get(..8).unwrap_or_default()) < now_ms {
                    tree.remove(k)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Remembers numbered suggestions offered to `who`.
    pub fn put_clarify(&self, who: &str, pending: &PendingClarify) -> Result<()> {
        self.clarify.insert(who.as_bytes(), to_json(pending)?)?;
        Ok(())
    }

    /// Takes (removes) the unexpired suggestions offered to `who`.
    pub fn take_clarify(&self, who: &str, now_ms: i64) -> Result<Option<PendingClarify>> {
        let Some(v) = self.clarify.remove(who.as_bytes())? else {
            return Ok(None);
        };
        let p: PendingClarify = from_json(&v)?;
        Ok((p.expires_ms >= now_ms).then_some(p))
    }

    /// All officer drafts, oldest first.
    pub fn drafts(&self) -> Result<Vec<Draft>> {
        self.drafts
            .iter()
            .values()
            .map(|v| from_json(&v?))
            .collect()
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(v: &[u8]) -> Result<T> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode_i64(v: &[u8]) -> i64 {
    v.try_into().map(i64::from_be_bytes).unwrap_or(0)
}

fn decode_u64(v: &[u8]) -> u64 {
    v.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

#[cfg(test)]
pub(crate) fn temporary() -> Store {
    Store::with_db(
        sled::Config::new()
            .temporary(true)
            .open()
            .expect("temporary sled"),
    )
    .expect("trees")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_id_is_seen_once() {
        let s = temporary();
        assert!(s.mark_seen("dingtalk:m1", 10).unwrap());
        assert!(!s.mark_seen("dingtalk:m1", 10).unwrap());
        s.commit().await.unwrap();
    }

    #[tokio::test]
    async fn expired_seen_records_are_forgotten() {
        let s = temporary();
        s.mark_seen("a", 5).unwrap();
        s.mark_seen("b", 50).unwrap();
        assert_eq!(s.expire_seen(10).unwrap(), 1);
        assert!(s.mark_seen("a", 5).unwrap());
        assert!(!s.mark_seen("b", 5).unwrap());
    }

    #[tokio::test]
    async fn a_signature_serves_one_message_and_its_retries_until_it_expires() {
        let s = temporary();
        assert!(s.bind_signature("dingtalk:1700", "m1", 100).unwrap());
        assert!(s.bind_signature("dingtalk:1700", "m1", 100).unwrap());
        assert!(!s.bind_signature("dingtalk:1700", "m2", 100).unwrap());
        assert!(s.bind_signature("dingtalk:1701", "m2", 100).unwrap());
        assert_eq!(s.expire_seen(101).unwrap(), 2);
        assert!(s.bind_signature("dingtalk:1700", "m2", 200).unwrap());
    }

    #[tokio::test]
    async fn clarify_state_expires() {
        let s = temporary();
        let p = PendingClarify {
            faq_ids: vec!["a".into()],
            question: "q".into(),
            expires_ms: 100,
        };
        s.put_clarify("w", &p).unwrap();
        assert_eq!(s.take_clarify("w", 50).unwrap(), Some(p.clone()));
        assert_eq!(s.take_clarify("w", 50).unwrap(), None);
        s.put_clarify("w", &p).unwrap();
        assert_eq!(s.take_clarify("w", 150).unwrap(), None);
    }
}
