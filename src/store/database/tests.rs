//! The database's own promises, whatever the backend: a durable operation returns only after a flush
//! that began after its write; a write-behind one does not wait for one; a failed flush takes the store
//! offline until it is reopened. A probe around sled records the calls and can fail flushes.

use super::*;
use crate::platform::{Platform, ReplyRoute};
use crate::store::backend::Report;
use std::sync::atomic::{AtomicBool, Ordering};

/// Sled, with a log of the calls made and a switch that makes flushes fail.
struct Probe {
    inner: SledStore,
    log: Arc<Mutex<Vec<&'static str>>>,
    fail_flush: Arc<AtomicBool>,
}

impl Probe {
    fn note(&self, call: &'static str) {
        self.log.lock().unwrap().push(call);
    }
}

impl Backend for Probe {
    fn durable_flush(&self) -> Result<()> {
        if self.fail_flush.load(Ordering::SeqCst) {
            return Err(StoreError::Io(std::io::Error::other("disk full")));
        }
        self.inner.durable_flush()?;
        self.note("durable_flush");
        Ok(())
    }
    fn check(&self) -> Result<Report> {
        self.inner.check()
    }
    fn backup(&self, out: &mut dyn std::io::Write, now_ms: i64) -> Result<u64> {
        self.inner.backup(out, now_ms)
    }
    fn is_seen(&self, key: &str) -> Result<bool> {
        self.note("is_seen");
        self.inner.is_seen(key)
    }
    fn mark_seen(&self, key: &str, expires_ms: i64) -> Result<bool> {
        self.note("mark_seen");
        self.inner.mark_seen(key, expires_ms)
    }
    fn bind_signature(&self, key: &str, msg_id: &str, expires_ms: i64) -> Result<bool> {
        self.note("bind_signature");
        self.inner.bind_signature(key, msg_id, expires_ms)
    }
    fn expire(&self, now_ms: i64) -> Result<usize> {
        self.note("expire");
        self.inner.expire(now_ms)
    }
    fn put_clarify(&self, who: &str, pending: &PendingClarify) -> Result<()> {
        self.note("put_clarify");
        self.inner.put_clarify(who, pending)
    }
    fn take_clarify(&self, who: &str, now_ms: i64) -> Result<Option<PendingClarify>> {
        self.note("take_clarify");
        self.inner.take_clarify(who, now_ms)
    }
    fn escalate(
        &self,
        esc: &Escalation,
        limits: FloodLimits,
        now_ms: i64,
        notices: &dyn Fn(&Ticket, bool) -> Vec<OutboxItem>,
    ) -> Result<Escalated> {
        self.note("escalate");
        self.inner.escalate(esc, limits, now_ms, notices)
    }
    fn ticket(&self, id: u64) -> Result<Option<Ticket>> {
        self.inner.ticket(id)
    }
    fn tickets(&self, filter: TicketFilter) -> Result<Vec<Ticket>> {
        self.inner.tickets(filter)
    }
    fn save(&self, before: &Ticket, after: &Ticket, effects: &Effects) -> Result<bool> {
        self.note("save");
        self.inner.save(before, after, effects)
    }
    fn purge_closed(&self, cutoff_ms: i64) -> Result<usize> {
        self.note("purge_closed");
        self.inner.purge_closed(cutoff_ms)
    }
    fn drafts(&self) -> Result<Vec<Draft>> {
        self.inner.drafts()
    }
    fn outbox(&self) -> Result<Vec<OutboxItem>> {
        self.inner.outbox()
    }
    fn outbox_len(&self) -> Result<usize> {
        self.inner.outbox_len()
    }
    fn enqueue(&self, items: &[OutboxItem]) -> Result<()> {
        self.note("enqueue");
        self.inner.enqueue(items)
    }
    fn seal(&self, item: &OutboxItem) -> Result<Option<OutboxItem>> {
        self.note("seal");
        self.inner.seal(item)
    }
    fn reschedule(&self, item: &OutboxItem) -> Result<()> {
        self.note("reschedule");
        self.inner.reschedule(item)
    }
    fn finish(
        &self,
        item: &OutboxItem,
        delivery: &Delivery,
        now_ms: i64,
        messages: &[OutboxItem],
    ) -> Result<()> {
        self.note("finish");
        self.inner.finish(item, delivery, now_ms, messages)
    }
    fn take_send_slot(&self, key: &str, now_ms: i64, per_minute: usize) -> Result<Option<i64>> {
        self.note("take_send_slot");
        self.inner.take_send_slot(key, now_ms, per_minute)
    }
}

struct Probed {
    db: Database,
    log: Arc<Mutex<Vec<&'static str>>>,
    fail_flush: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl Probed {
    fn new() -> Probed {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let fail_flush = Arc::new(AtomicBool::new(false));
        let (path, l, f) = (dir.path().to_owned(), log.clone(), fail_flush.clone());
        let db = Database::with_backend(Arc::new(move || {
            let probe = Probe {
                inner: SledStore::open(&path)?,
                log: l.clone(),
                fail_flush: f.clone(),
            };
            Ok(Arc::new(probe) as Arc<dyn Backend>)
        }))
        .unwrap();
        Probed {
            db,
            log,
            fail_flush,
            _dir: dir,
        }
    }

    /// The calls made since the last look.
    fn calls(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn esc(msg: &str) -> (Escalation, FloodLimits) {
    let e = Escalation {
        seen_key: msg.into(),
        seen_expires_ms: i64::MAX,
        platform: Platform::WeCom,
        group_id: "g".into(),
        group_title: "t".into(),
        asker: Asker {
            id: "u".into(),
            nick: "n".into(),
            question: msg.into(),
            asked_at_ms: 0,
            msg_id: msg.into(),
        },
        normalized: msg.into(),
        route: ReplyRoute::WeCom {
            webhook_url: None,
            chat_id: None,
        },
        guesses: vec![],
    };
    (e, FloodLimits::NONE)
}

fn item() -> OutboxItem {
    let target = Target::OfficerWebhook { url: "u".into() };
    OutboxItem::new(target, "x".into(), vec![], Some(1), 0)
}

#[tokio::test]
async fn durable_operations_return_after_a_flush_that_followed_their_write() {
    let p = Probed::new();
    let db = &p.db;
    let no_notices = |_: &Ticket, _: bool| vec![];
    db.escalate(esc("q1"), 1, no_notices).await.unwrap();
    assert_eq!(p.calls(), ["escalate", "durable_flush"]);
    let before = db.ticket(1).await.unwrap().unwrap();
    let after = Ticket {
        status: Status::Closed,
        ..before.clone()
    };
    db.save(before, after, Effects::default()).await.unwrap();
    assert_eq!(p.calls(), ["save", "durable_flush"]);
    db.enqueue(vec![item()]).await.unwrap();
    assert_eq!(p.calls(), ["enqueue", "durable_flush"]);
    let queued = db.outbox(i64::MAX).await.unwrap().remove(0);
    p.calls();
    db.finish(&queued, Delivery::Queued, 2, vec![])
        .await
        .unwrap();
    assert_eq!(p.calls(), ["finish", "durable_flush"]);
    let offer = PendingClarify {
        faq_ids: vec![],
        question: "q".into(),
        expires_ms: 9,
    };
    db.put_clarify("w", offer.clone(), Durability::Durable)
        .await
        .unwrap();
    assert_eq!(p.calls(), ["put_clarify", "durable_flush"]);
    db.expire(3).await.unwrap();
    db.purge_closed(3).await.unwrap();
    let calls = p.calls();
    assert_eq!(
        calls,
        ["expire", "durable_flush", "purge_closed", "durable_flush"]
    );
}

#[tokio::test]
async fn write_behind_operations_do_not_wait_for_a_flush() {
    let p = Probed::new();
    let db = &p.db;
    db.mark_seen("m", 1).await.unwrap();
    db.bind_signature("s", "m", 1).await.unwrap();
    let offer = PendingClarify {
        faq_ids: vec![],
        question: "q".into(),
        expires_ms: 9,
    };
    db.put_clarify("w", offer, Durability::WriteBehind)
        .await
        .unwrap();
    db.take_clarify("w", 1).await.unwrap();
    db.take_send_slot("k", 1, 10).await.unwrap();
    db.seal(&item()).await.unwrap();
    db.reschedule(&item()).await.unwrap();
    let duplicate = db.escalate(esc("m"), 1, |_, _| vec![]).await.unwrap();
    assert_eq!(
        duplicate,
        Escalated::Duplicate,
        "changes nothing, waits for nothing"
    );
    let calls = p.calls();
    assert_eq!(
        calls,
        [
            "mark_seen",
            "bind_signature",
            "put_clarify",
            "take_clarify",
            "take_send_slot",
            "seal",
            "reschedule",
            "escalate",
        ]
    );
}

#[tokio::test]
async fn a_failed_flush_takes_the_store_offline_until_it_is_reopened() {
    let p = Probed::new();
    let db = &p.db;
    p.fail_flush.store(true, Ordering::SeqCst);

    let failed = db.escalate(esc("q1"), 1, |_, _| vec![]).await.unwrap_err();
    let refused = db.mark_seen("m2", 1).await.unwrap_err();

    assert!(matches!(failed, StoreError::Commit(_)), "{failed:?}");
    assert!(failed.is_outage());
    let Some(why) = db.failure() else {
        panic!("not offline")
    };
    assert_eq!(Chain(&*why).to_string(), "storage I/O failed: disk full");
    assert!(
        matches!(refused, StoreError::Unavailable(Some(_))),
        "{refused:?}"
    );
    p.fail_flush.store(false, Ordering::SeqCst);
    for _ in 0..100 {
        if db.failure().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(db.failure().is_none(), "reopened");
    assert!(db.mark_seen("m2", 1).await.unwrap());
}
