//! The durable state, in one sled database under `<data_dir>/v1`: de-duplication records, signatures
//! already used (replay protection), tickets (with an
//! index of open tickets by group and question for merging), the outbox of messages to send, clarify
//! state and officer drafts.
//!
//! [`Database`] is what the server holds: the current [`Store`], the group commit and the storage's
//! health (a failed commit takes the store offline until it can be reopened from disk).
//!
//! Invariants:
//! - every state change that is acknowledged to anyone is first made durable with [`Database::commit`],
//!   a group commit: concurrent callers share one flush;
//! - sled never silently runs behind what was committed: each commit's generation is recorded in the
//!   manifest (see `manifest`), and [`Store::open`] refuses a database that is behind it;
//! - a ticket change and the messages it causes (notifications, answers) are written in one transaction,
//!   so a crash leaves either both or neither;
//! - transaction closures only touch sled (they may re-run).

pub mod backup;
mod commit;
mod database;
pub mod manifest;
pub mod model;
mod outbox;
mod tickets;

pub use database::Database;
pub use model::*;
pub use tickets::{Escalation, FloodLimits, TicketFilter, message, parts};

use manifest::Manifest;
use sled::Tree;
use std::path::{Path, PathBuf};

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
    /// The sender or group opened too many tickets in the last hour.
    #[error("too many new tickets from this sender or group")]
    Throttled,
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("durable commit failed: {0}")]
    Commit(String),
    /// The storage failed and is being reopened; nothing can be acknowledged until it is back.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The data dir is damaged or behind its manifest: refuse to run on it.
    #[error("{0}")]
    Damaged(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

const SEEN: &str = "seen_msg_ids";
const SIGNATURES: &str = "used_signatures";
const SEND_SLOTS: &str = "send_slots";
const FLOODS: &str = "new_tickets_by_sender";
const TICKETS: &str = "tickets";
const OPEN_BY_KEY: &str = "open_tickets_by_question";
const OUTBOX: &str = "outbox";
const CLARIFY: &str = "clarify";
const DRAFTS: &str = "drafts";
const META: &str = "meta";
const NEXT_TICKET: &[u8] = b"next_ticket";
const GENERATION: &[u8] = b"generation";
const FLUSHED: &[u8] = b"flushed_generation";
/// Every tree, in the order backups list them.
const TREES: [&str; 10] = [
    SEEN,
    SIGNATURES,
    SEND_SLOTS,
    FLOODS,
    TICKETS,
    OPEN_BY_KEY,
    OUTBOX,
    CLARIFY,
    DRAFTS,
    META,
];

/// One open sled database and its trees.
pub struct Store {
    db: sled::Db,
    /// sled's log file, for an fdatasync after each flush (see [`Store::durable_flush`]).
    log: Option<std::fs::File>,
    data_dir: PathBuf,
    seen: Tree,
    signatures: Tree,
    send_slots: Tree,
    floods: Tree,
    tickets: Tree,
    open_by_key: Tree,
    outbox: Tree,
    clarify: Tree,
    drafts: Tree,
    meta: Tree,
}

/// What a consistency check found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub generation: u64,
    pub next_ticket: u64,
    pub tickets: usize,
    pub outbox: usize,
    pub seen: usize,
}

impl Store {
    /// Opens (creating) the database under `<data_dir>/v1`, checks it against the manifest and reads
    /// every ticket and outbox record; a database that is behind its manifest or holds unreadable
    /// records is refused with [`StoreError::Damaged`]. Without a manifest (a new data dir, or one made
    /// before manifests existed) one is written.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let recorded = manifest::read(data_dir).map_err(StoreError::Damaged)?;
        let db = Self::open_sled(data_dir)?;
        let mut store = Self::with_db(db, data_dir)?;
        let log = std::fs::File::open(data_dir.join("v1").join("db"));
        store.log = Some(log.map_err(|e| StoreError::Sled(sled::Error::Io(e)))?);
        let report = store.check()?;
        match recorded {
            Some(m) => behind(&report, m, data_dir)?,
            None => store.write_manifest(&report)?,
        }
        Ok(store)
    }

    fn open_sled(data_dir: &Path) -> Result<sled::Db> {
        // sled writes back every 500 ms on its own (its default, stated here because dispatch relies on
        // it for de-duplication records); everything acknowledged goes through `Database::commit`.
        open_when_free(
            sled::Config::new()
                .path(data_dir.join("v1"))
                .flush_every_ms(Some(500)),
        )
    }

    fn with_db(db: sled::Db, data_dir: &Path) -> Result<Store> {
        Ok(Store {
            seen: db.open_tree(SEEN)?,
            signatures: db.open_tree(SIGNATURES)?,
            send_slots: db.open_tree(SEND_SLOTS)?,
            floods: db.open_tree(FLOODS)?,
            tickets: db.open_tree(TICKETS)?,
            open_by_key: db.open_tree(OPEN_BY_KEY)?,
            outbox: db.open_tree(OUTBOX)?,
            clarify: db.open_tree(CLARIFY)?,
            drafts: db.open_tree(DRAFTS)?,
            meta: db.open_tree(META)?,
            data_dir: data_dir.to_owned(),
            log: None,
            db,
        })
    }

    /// Reads every ticket and outbox record; `Damaged` names the first unreadable one.
    pub fn check(&self) -> Result<Report> {
        let damaged = |what: &str, e: StoreError| StoreError::Damaged(format!("{what}: {e}"));
        let mut tickets = 0;
        for v in self.tickets.iter().values() {
            let t: Ticket = from_json(&v?).map_err(|e| damaged("a ticket record", e))?;
            debug_assert!(t.id > 0);
            tickets += 1;
        }
        let mut outbox = 0;
        for v in self.outbox.iter().values() {
            let _: OutboxItem = from_json(&v?).map_err(|e| damaged("an outbox record", e))?;
            outbox += 1;
        }
        Ok(Report {
            generation: self.meta_u64(GENERATION)?.unwrap_or(0),
            next_ticket: self.meta_u64(NEXT_TICKET)?.unwrap_or(1),
            tickets,
            outbox,
            seen: self.seen.len(),
        })
    }

    fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        Ok(self.meta.get(key)?.map(|v| decode_u64(&v)))
    }

    /// Makes everything written so far durable: bumps the generation, flushes sled, fdatasyncs its log,
    /// then records the generation and the next ticket number in the manifest. Blocking.
    ///
    /// sled 0.34 ends a flush with `sync_file_range`, which survives a crash of the process but neither
    /// flushes the drive's write cache nor the file's size: after a power cut the tail of the log could
    /// be gone. The fdatasync on the same file closes that gap.
    pub fn durable_flush(&self) -> Result<Manifest> {
        let generation = self.meta_u64(GENERATION)?.unwrap_or(0) + 1;
        self.meta.insert(GENERATION, &generation.to_be_bytes())?;
        self.db.flush()?;
        if let Some(log) = &self.log {
            log.sync_data()
                .map_err(|e| StoreError::Sled(sled::Error::Io(e)))?;
        }
        // sled reports a write that failed in one of its own threads through a global error, which a
        // flush that finds nothing left to write does not look at; a new write does. (Once, under
        // load with a full disk, a flush returned Ok and the commit was missing after reopening.)
        // This write lands in the next commit.
        self.meta.insert(FLUSHED, &generation.to_be_bytes())?;
        let m = Manifest {
            generation,
            next_ticket: self.meta_u64(NEXT_TICKET)?.unwrap_or(1),
        };
        manifest::write(&self.data_dir, m).map_err(|e| StoreError::Commit(e.to_string()))?;
        Ok(m)
    }

    fn write_manifest(&self, report: &Report) -> Result<()> {
        let m = Manifest {
            generation: report.generation,
            next_ticket: report.next_ticket,
        };
        manifest::write(&self.data_dir, m).map_err(|e| StoreError::Commit(e.to_string()))
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
        let swapped = self.signatures.compare_and_swap(
            key.as_bytes(),
            None as Option<&[u8]>,
            Some(record),
        )?;
        Ok(match swapped {
            Ok(()) => true,
            Err(e) => e
                .current
                .is_some_and(|v| v.get(8..) == Some(msg_id.as_bytes())),
        })
    }

    /// Forgets de-duplication, signature and send-slot records that expired before `now_ms`; returns
    /// how many.
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
        for (tree, window) in [(&self.send_slots, 60_000), (&self.floods, 3_600_000)] {
            for kv in tree.iter() {
                let (k, v) = kv?;
                let times: Vec<i64> = from_json(&v).unwrap_or_default();
                if times.iter().all(|t| now_ms - t >= window) {
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

/// Opens a sled database, waiting up to 2 s for its file lock: a handle this process just dropped can
/// hold it a moment longer while sled's own threads finish (the `db` commands close and reopen).
pub(crate) fn open_when_free(config: sled::Config) -> Result<sled::Db> {
    let mut tries = 0;
    loop {
        match config.open() {
            // sled reports a held lock as an `Other` I/O error with this text.
            Err(sled::Error::Io(e)) if tries < 20 && e.to_string().contains("acquire lock") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return Ok(other?),
        }
    }
}

/// `Damaged` when sled recovered less than the manifest says was committed.
fn behind(report: &Report, m: Manifest, data_dir: &Path) -> Result<()> {
    if report.generation >= m.generation && report.next_ticket >= m.next_ticket {
        return Ok(());
    }
    Err(StoreError::Damaged(format!(
        "the database in {dir} is behind its manifest: commit {got} of {want}, next ticket #{next} \
         but #{want_next} was already issued. Acknowledged data is missing, so the bot will not run \
         on it. Inspect with `policybot db check`, then restore the latest backup with \
         `policybot db restore BACKUP` (it keeps ticket numbers from going backwards).",
        dir = data_dir.display(),
        got = report.generation,
        want = m.generation,
        next = report.next_ticket,
        want_next = m.next_ticket,
    )))
}

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
        Path::new("/nonexistent"),
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
    }

    #[test]
    fn a_database_behind_its_manifest_is_refused_and_one_ahead_accepted() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.meta.insert(NEXT_TICKET, &5u64.to_be_bytes()).unwrap();
            assert_eq!(s.durable_flush().unwrap().generation, 1);
            assert_eq!(s.durable_flush().unwrap().next_ticket, 5);
        }
        assert!(Store::open(dir.path()).is_ok());
        let ahead = Manifest {
            generation: 3,
            next_ticket: 5,
        };
        manifest::write(dir.path(), ahead).unwrap();
        let Err(StoreError::Damaged(why)) = Store::open(dir.path()) else {
            panic!("opened a database behind its manifest");
        };
        assert!(why.contains("policybot db restore"), "{why}");
        let older = Manifest {
            generation: 1,
            next_ticket: 3,
        };
        manifest::write(dir.path(), older).unwrap();
        assert!(Store::open(dir.path()).is_ok());
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
