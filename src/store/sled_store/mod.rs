//! The [`Backend`] on sled: one database under `<data_dir>/v1`, a tree per kind of record, checked
//! against the manifest (see `manifest`) when opened. Keys are big-endian ids (byte order is numeric
//! order) or strings; values are JSON. Multi-record changes are sled transactions, whose closures only
//! touch sled (they may re-run).

mod backup;
mod manifest;
mod messages;
mod outbox;
mod tickets;

pub use backup::restore;

use super::backend::{Backend, Effects, Escalated, Report};
use super::model::*;
use super::{Result, StoreError, from_json, to_json};
use manifest::Manifest;
use sled::Tree;
use sled::transaction::TransactionError;
use std::path::{Path, PathBuf};

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

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(e) => StoreError::Io(e),
            other => StoreError::Backend(Box::new(other)),
        }
    }
}

fn unwrap_tx<T>(r: std::result::Result<T, TransactionError<StoreError>>) -> Result<T> {
    r.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => e.into(),
    })
}

/// One open sled database and its trees.
pub struct SledStore {
    db: sled::Db,
    /// sled's log file, for an fdatasync after each flush (see [`Backend::durable_flush`]).
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

impl SledStore {
    /// Opens (creating) the database under `<data_dir>/v1`, checks it against the manifest and reads
    /// every ticket and outbox record; a database that is behind its manifest or holds unreadable
    /// records is refused with [`StoreError::Damaged`]. Without a manifest (a new data dir, or one made
    /// before manifests existed) one is written.
    pub fn open(data_dir: &Path) -> Result<SledStore> {
        let recorded = manifest::read(data_dir)?;
        let db = Self::open_sled(data_dir)?;
        let mut store = Self::with_db(db, data_dir)?;
        let log = std::fs::File::open(data_dir.join("v1").join("db"));
        store.log = Some(log.map_err(StoreError::Io)?);
        let report = store.check()?;
        match recorded {
            Some(m) => behind(&report, m, data_dir)?,
            None => store.write_manifest(&report)?,
        }
        Ok(store)
    }

    fn open_sled(data_dir: &Path) -> Result<sled::Db> {
        // sled writes back every 500 ms on its own (its default, stated here because the write-behind
        // operations rely on it); everything acknowledged goes through `durable_flush`.
        open_when_free(
            sled::Config::new()
                .path(data_dir.join("v1"))
                .flush_every_ms(Some(500)),
        )
    }

    fn with_db(db: sled::Db, data_dir: &Path) -> Result<SledStore> {
        Ok(SledStore {
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

    fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        Ok(self.meta.get(key)?.map(|v| decode_u64(&v)))
    }

    fn write_manifest(&self, report: &Report) -> Result<()> {
        let m = Manifest {
            generation: report.generation,
            next_ticket: report.next_ticket,
        };
        manifest::write(&self.data_dir, m).map_err(StoreError::Io)
    }

    /// Bumps the generation, flushes sled, fdatasyncs its log, then records the generation and the next
    /// ticket number in the manifest.
    ///
    /// sled 0.34 ends a flush with `sync_file_range`, which survives a crash of the process but neither
    /// flushes the drive's write cache nor the file's size: after a power cut the tail of the log could
    /// be gone. The fdatasync on the same file closes that gap.
    fn flush_and_record(&self) -> Result<Manifest> {
        let generation = self.meta_u64(GENERATION)?.unwrap_or(0) + 1;
        self.meta.insert(GENERATION, &generation.to_be_bytes())?;
        self.db.flush()?;
        if let Some(log) = &self.log {
            log.sync_data().map_err(StoreError::Io)?;
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
        manifest::write(&self.data_dir, m).map_err(StoreError::Io)?;
        Ok(m)
    }
}

impl Backend for SledStore {
    fn durable_flush(&self) -> Result<()> {
        self.flush_and_record().map(|_| ())
    }

    fn check(&self) -> Result<Report> {
        let damaged =
            |what: &str, e: StoreError| StoreError::damaged_by(format!("{what} is unreadable"), e);
        let mut tickets = 0;
        for v in self.tickets.iter().values() {
            let _: Ticket = from_json(&v?).map_err(|e| damaged("a ticket record", e))?;
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

    fn backup(&self, out: &mut dyn std::io::Write, now_ms: i64) -> Result<u64> {
        backup::write(self, out, now_ms)
    }

    fn is_seen(&self, key: &str) -> Result<bool> {
        Ok(self.seen.contains_key(key.as_bytes())?)
    }

    fn mark_seen(&self, key: &str, expires_ms: i64) -> Result<bool> {
        messages::mark_seen(self, key, expires_ms)
    }

    fn bind_signature(&self, key: &str, msg_id: &str, expires_ms: i64) -> Result<bool> {
        messages::bind_signature(self, key, msg_id, expires_ms)
    }

    fn expire(&self, now_ms: i64) -> Result<usize> {
        messages::expire(self, now_ms)
    }

    fn put_clarify(&self, who: &str, pending: &PendingClarify) -> Result<()> {
        self.clarify.insert(who.as_bytes(), to_json(pending)?)?;
        Ok(())
    }

    fn take_clarify(&self, who: &str, now_ms: i64) -> Result<Option<PendingClarify>> {
        messages::take_clarify(self, who, now_ms)
    }

    fn escalate(
        &self,
        esc: &Escalation,
        limits: FloodLimits,
        now_ms: i64,
        notices: &dyn Fn(&Ticket, bool) -> Vec<OutboxItem>,
    ) -> Result<Escalated> {
        tickets::escalate(self, (esc, limits), now_ms, notices)
    }

    fn ticket(&self, id: u64) -> Result<Option<Ticket>> {
        self.tickets
            .get(id.to_be_bytes())?
            .map(|v| from_json(&v))
            .transpose()
    }

    fn tickets(&self, filter: TicketFilter) -> Result<Vec<Ticket>> {
        let mut out = Vec::new();
        for v in self.tickets.iter().values() {
            let t: Ticket = from_json(&v?)?;
            if filter.keeps(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }

    fn save(&self, before: &Ticket, after: &Ticket, effects: &Effects) -> Result<bool> {
        tickets::save(self, before, after, effects)
    }

    fn purge_closed(&self, cutoff_ms: i64) -> Result<usize> {
        let mut n = 0;
        for kv in self.tickets.iter() {
            let (k, v) = kv?;
            let t: Ticket = from_json(&v)?;
            if t.status == Status::Closed && t.updated_ms < cutoff_ms {
                self.tickets.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    fn drafts(&self) -> Result<Vec<Draft>> {
        self.drafts
            .iter()
            .values()
            .map(|v| from_json(&v?))
            .collect()
    }

    fn outbox(&self) -> Result<Vec<OutboxItem>> {
        self.outbox
            .iter()
            .values()
            .map(|v| from_json(&v?))
            .collect()
    }

    fn outbox_len(&self) -> Result<usize> {
        Ok(self.outbox.len())
    }

    fn enqueue(&self, items: &[OutboxItem]) -> Result<()> {
        outbox::enqueue(self, items)
    }

    fn seal(&self, item: &OutboxItem) -> Result<Option<OutboxItem>> {
        outbox::seal(self, item)
    }

    fn reschedule(&self, item: &OutboxItem) -> Result<()> {
        outbox::reschedule(self, item)
    }

    fn finish(
        &self,
        item: &OutboxItem,
        delivery: &Delivery,
        now_ms: i64,
        messages: &[OutboxItem],
    ) -> Result<()> {
        outbox::finish(self, item, delivery, now_ms, messages)
    }

    fn take_send_slot(&self, key: &str, now_ms: i64, per_minute: usize) -> Result<Option<i64>> {
        outbox::take_send_slot(self, key, now_ms, per_minute)
    }
}

/// Opens a sled database, waiting up to 2 s for its file lock: a handle this process just dropped can
/// hold it a moment longer while sled's own threads finish (the `db` commands close and reopen).
fn open_when_free(config: sled::Config) -> Result<sled::Db> {
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
    Err(StoreError::damaged(format!(
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

fn decode_u64(v: &[u8]) -> u64 {
    v.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::store::contract::suite!(|dir: &Path| SledStore::open(dir));

    #[test]
    fn a_database_behind_its_manifest_is_refused_and_one_ahead_accepted() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path()).unwrap();
            s.meta.insert(NEXT_TICKET, &5u64.to_be_bytes()).unwrap();
            assert_eq!(s.flush_and_record().unwrap().generation, 1);
            assert_eq!(s.flush_and_record().unwrap().next_ticket, 5);
        }
        assert!(SledStore::open(dir.path()).is_ok());
        let ahead = Manifest {
            generation: 3,
            next_ticket: 5,
        };
        manifest::write(dir.path(), ahead).unwrap();
        let Err(StoreError::Damaged { what, .. }) = SledStore::open(dir.path()) else {
            panic!("opened a database behind its manifest");
        };
        assert!(what.contains("policybot db restore"), "{what}");
        let older = Manifest {
            generation: 1,
            next_ticket: 3,
        };
        manifest::write(dir.path(), older).unwrap();
        assert!(SledStore::open(dir.path()).is_ok());
    }

    #[test]
    fn an_unreadable_ticket_record_is_named_with_its_cause() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path()).unwrap();
            s.tickets.insert(1u64.to_be_bytes(), b"{not json").unwrap();
            s.flush_and_record().unwrap();
        }
        let Err(e) = SledStore::open(dir.path()) else {
            panic!("opened a database with an unreadable ticket");
        };
        assert_eq!(e.to_string(), "a ticket record is unreadable");
        let cause = std::error::Error::source(&e).expect("the cause is kept");
        assert!(matches!(
            cause.downcast_ref::<StoreError>(),
            Some(StoreError::Corrupt(_))
        ));
    }
}
