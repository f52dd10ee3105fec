//! The contract of a [`Backend`], as tests any backend must pass, run through the [`Database`] the
//! program uses. A backend's test module runs them all with `suite!(|dir| MyBackend::open(dir))`;
//! `sled_store` does (so `cargo test` runs them against sled).

use super::backend::{Backend, Effects, Escalated};
use super::model::*;
use super::{Database, Durability, Result};
use std::path::Path;
use std::sync::Arc;

/// Opens a backend in a data dir.
type OpenIn = Arc<dyn Fn(&Path) -> Result<Arc<dyn Backend>> + Send + Sync>;

/// A temporary data dir and a way to open a backend in it.
pub struct Harness {
    dir: tempfile::TempDir,
    open: OpenIn,
}

impl Harness {
    pub fn new<B: Backend + 'static>(
        open: impl Fn(&Path) -> Result<B> + Send + Sync + 'static,
    ) -> Harness {
        Harness {
            dir: tempfile::tempdir().expect("temp dir"),
            open: Arc::new(move |dir| Ok(Arc::new(open(dir)?) as Arc<dyn Backend>)),
        }
    }

    /// A database on the backend in this harness's dir.
    pub fn db(&self) -> Database {
        let (open, dir) = (self.open.clone(), self.dir.path().to_owned());
        Database::with_backend(Arc::new(move || open(&dir))).expect("the backend opens")
    }

    /// The backend itself, opened in this harness's dir once the databases on it are gone (their
    /// tasks let go of it when they next run).
    async fn backend(&self) -> Arc<dyn Backend> {
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if let Ok(b) = (self.open)(self.dir.path()) {
                return b;
            }
        }
        panic!("the backend does not open again");
    }
}

/// Runs every contract test against the backend `open` makes: `suite!(|dir: &Path| B::open(dir))`.
macro_rules! suite {
    ($open:expr) => {
        $crate::store::contract::suite!(@each $open;
            a_message_id_is_seen_once,
            expired_records_are_forgotten,
            a_signature_serves_one_message_and_its_retries_until_it_expires,
            suggestions_are_taken_once_and_expire,
            an_escalation_opens_a_ticket_records_the_message_and_queues_its_notices,
            the_same_question_in_the_same_group_joins_the_open_ticket,
            a_redelivered_escalation_changes_nothing,
            new_tickets_beyond_the_flood_limits_are_refused_but_joining_is_not,
            officer_notices_wait_as_one_digest_until_it_is_sealed,
            a_save_applies_only_to_the_ticket_as_it_was_read,
            a_ticket_that_is_no_longer_pending_is_not_joined,
            tickets_are_listed_by_filter_oldest_first,
            closed_tickets_past_retention_are_purged_and_numbering_goes_on,
            finishing_a_message_records_the_delivery_on_its_ticket,
            a_rescheduled_message_keeps_its_text_and_waits,
            send_slots_allow_so_many_a_minute,
            what_was_committed_is_there_after_reopening,
        );
    };
    (@each $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let h = $crate::store::contract::Harness::new($open);
                $crate::store::contract::$name(h).await;
            }
        )*
    };
}
pub(crate) use suite;

const HOOK: &str = "https://officers.example/hook";

fn esc(msg: &str, who: &str, group: &str, q: &str) -> Escalation {
    Escalation {
        seen_key: format!("dingtalk:{msg}"),
        seen_expires_ms: i64::MAX,
        platform: Platform::DingTalk,
        group_id: group.into(),
        group_title: "企业服务群".into(),
        asker: Asker {
            id: who.into(),
            nick: who.into(),
            question: q.into(),
            asked_at_ms: 1,
            msg_id: msg.into(),
        },
        normalized: q.into(),
        route: ReplyRoute::DingTalk {
            robot_code: Some("r".into()),
            conversation_id: group.into(),
            session_webhook: None,
            session_webhook_expires_ms: None,
        },
        guesses: vec![],
    }
}

fn to_officers(text: String, now: i64) -> OutboxItem {
    let target = Target::OfficerWebhook { url: HOOK.into() };
    OutboxItem::new(target, text, vec![], None, now)
}

/// Notices naming the ticket and whether the asker joined it.
fn notices(t: &Ticket, joined: bool) -> Vec<OutboxItem> {
    vec![to_officers(format!("#{} joined={joined}", t.id), 0)]
}

fn none(_: &Ticket, _: bool) -> Vec<OutboxItem> {
    vec![]
}

async fn open(db: &Database, e: Escalation) -> Ticket {
    match db
        .escalate((e, FloodLimits::NONE), 10, notices)
        .await
        .unwrap()
    {
        Escalated::Opened(t) | Escalated::Joined(t) => t,
        other => panic!("not escalated: {other:?}"),
    }
}

/// `t` changed by `change` and saved; panics unless the save applied.
async fn change(db: &Database, id: u64, change: impl FnOnce(&mut Ticket), effects: Effects) {
    let before = db.ticket(id).await.unwrap().expect("ticket");
    let mut after = before.clone();
    change(&mut after);
    assert!(db.save(before, after, effects).await.unwrap());
}

pub async fn a_message_id_is_seen_once(h: Harness) {
    let db = h.db();
    assert!(!db.is_seen("dingtalk:m1").await.unwrap());
    assert!(db.mark_seen("dingtalk:m1", 10).await.unwrap());
    assert!(!db.mark_seen("dingtalk:m1", 10).await.unwrap());
    assert!(db.is_seen("dingtalk:m1").await.unwrap());
}

pub async fn expired_records_are_forgotten(h: Harness) {
    let db = h.db();
    db.mark_seen("a", 5).await.unwrap();
    db.mark_seen("b", 50).await.unwrap();
    assert_eq!(db.expire(10).await.unwrap(), 1);
    assert!(db.mark_seen("a", 5).await.unwrap());
    assert!(!db.mark_seen("b", 5).await.unwrap());
}

pub async fn a_signature_serves_one_message_and_its_retries_until_it_expires(h: Harness) {
    let db = h.db();
    assert!(db.bind_signature("dingtalk:1700", "m1", 100).await.unwrap());
    assert!(db.bind_signature("dingtalk:1700", "m1", 100).await.unwrap());
    assert!(!db.bind_signature("dingtalk:1700", "m2", 100).await.unwrap());
    assert!(db.bind_signature("dingtalk:1701", "m2", 100).await.unwrap());
    assert_eq!(db.expire(101).await.unwrap(), 2);
    assert!(db.bind_signature("dingtalk:1700", "m2", 200).await.unwrap());
}

pub async fn suggestions_are_taken_once_and_expire(h: Harness) {
    let db = h.db();
    let p = PendingClarify {
        faq_ids: vec!["a".into()],
        question: "q".into(),
        expires_ms: 100,
    };
    for durability in [Durability::Durable, Durability::WriteBehind] {
        db.put_clarify("w", p.clone(), durability).await.unwrap();
        assert_eq!(db.take_clarify("w", 50).await.unwrap(), Some(p.clone()));
        assert_eq!(db.take_clarify("w", 50).await.unwrap(), None);
    }
    db.put_clarify("w", p.clone(), Durability::Durable)
        .await
        .unwrap();
    assert_eq!(db.take_clarify("w", 150).await.unwrap(), None);
}

pub async fn an_escalation_opens_a_ticket_records_the_message_and_queues_its_notices(h: Harness) {
    let db = h.db();
    let t = open(&db, esc("m1", "u1", "cid1", "房租能减免吗")).await;
    assert_eq!((t.id, t.status, t.askers.len()), (1, Status::Open, 1));
    assert_eq!(db.ticket(1).await.unwrap(), Some(t));
    assert!(db.is_seen("dingtalk:m1").await.unwrap());
    let queued = db.outbox(i64::MAX).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].text, "#1 joined=false");
    assert_eq!(db.ticket(2).await.unwrap(), None);
}

pub async fn the_same_question_in_the_same_group_joins_the_open_ticket(h: Harness) {
    let db = h.db();
    open(&db, esc("m1", "u1", "cid1", "q")).await;
    let r = db
        .escalate((esc("m2", "u2", "cid1", "q"), FloodLimits::NONE), 11, none)
        .await;
    let Ok(Escalated::Joined(t)) = r else {
        panic!("{r:?}");
    };
    assert_eq!((t.id, t.askers.len()), (1, 2));
    assert_eq!(open(&db, esc("m3", "u3", "cid2", "q")).await.id, 2);
    assert_eq!(open(&db, esc("m4", "u3", "cid1", "q2")).await.id, 3);
}

pub async fn a_redelivered_escalation_changes_nothing(h: Harness) {
    let db = h.db();
    open(&db, esc("m1", "u1", "cid1", "q")).await;
    let again = db.escalate(
        (esc("m1", "u1", "cid1", "q"), FloodLimits::NONE),
        12,
        notices,
    );
    assert_eq!(again.await.unwrap(), Escalated::Duplicate);
    assert_eq!(db.ticket(1).await.unwrap().unwrap().askers.len(), 1);
    assert_eq!(db.outbox(i64::MAX).await.unwrap().len(), 1);
}

pub async fn new_tickets_beyond_the_flood_limits_are_refused_but_joining_is_not(h: Harness) {
    let db = h.db();
    let limits = FloodLimits {
        per_sender_per_hour: 1,
        per_group_per_hour: 2,
    };
    let limited = |msg: &str, who: &str, q: &str| (esc(msg, who, "cid1", q), limits);
    let first = db.escalate(limited("m1", "u1", "q1"), 10, notices).await;
    assert!(matches!(first.unwrap(), Escalated::Opened(_)));
    let r = db.escalate(limited("m2", "u1", "q2"), 10, notices).await;
    assert_eq!(r.unwrap(), Escalated::Throttled, "second ticket of u1");
    assert!(
        !db.is_seen("dingtalk:m2").await.unwrap(),
        "nothing recorded"
    );
    let other = db.escalate(limited("m3", "u2", "q3"), 10, notices).await;
    assert!(matches!(other.unwrap(), Escalated::Opened(_)));
    let r = db.escalate(limited("m4", "u3", "q4"), 10, notices).await;
    assert_eq!(r.unwrap(), Escalated::Throttled, "third ticket of cid1");
    let joined = db.escalate(limited("m5", "u1", "q3"), 10, notices).await;
    assert!(matches!(joined.unwrap(), Escalated::Joined(t) if t.id == 2));
    let later = db.escalate(limited("m6", "u1", "q6"), 10 + 3_600_000, none);
    assert!(matches!(later.await.unwrap(), Escalated::Opened(_)));
}

pub async fn officer_notices_wait_as_one_digest_until_it_is_sealed(h: Harness) {
    let db = h.db();
    open(&db, esc("m1", "u1", "cid1", "q1")).await;
    open(&db, esc("m2", "u1", "cid1", "q2")).await;
    let queued = db.outbox(i64::MAX).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].text, "#1 joined=false\n\n#2 joined=false");
    assert_eq!(db.seal(&queued[0]).await.unwrap(), Some(queued[0].clone()));
    open(&db, esc("m3", "u1", "cid1", "q3")).await;
    let queued = db.outbox(i64::MAX).await.unwrap();
    assert_eq!(queued.len(), 2, "a sealed digest takes no more");
    assert_eq!(queued[1].text, "#3 joined=false");
}

pub async fn a_save_applies_only_to_the_ticket_as_it_was_read(h: Harness) {
    let db = h.db();
    let before = open(&db, esc("m1", "u1", "cid1", "q")).await;
    let mut claimed = before.clone();
    claimed.status = Status::Claimed;
    let draft = Draft {
        ticket: 1,
        faq_id: None,
        question: "q".into(),
        alternates: vec![],
        answer: "a".into(),
        officer: "o".into(),
        created_ms: 5,
    };
    let effects = Effects {
        messages: vec![to_officers("claimed".into(), 5)],
        draft: Some(draft.clone()),
    };
    assert!(
        db.save(before.clone(), claimed.clone(), effects)
            .await
            .unwrap()
    );
    let mut stale = before.clone();
    stale.status = Status::Closed;
    let stale_effects = Effects {
        messages: vec![to_officers("stale".into(), 5)],
        draft: None,
    };
    assert!(!db.save(before, stale, stale_effects).await.unwrap());
    assert_eq!(db.ticket(1).await.unwrap(), Some(claimed));
    assert_eq!(db.drafts().await.unwrap(), vec![draft]);
    let texts: Vec<String> = db
        .outbox(0)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.text)
        .collect();
    assert_eq!(texts, ["#1 joined=false", "claimed"]);
}

pub async fn a_ticket_that_is_no_longer_pending_is_not_joined(h: Harness) {
    let db = h.db();
    open(&db, esc("m1", "u1", "cid1", "q")).await;
    change(&db, 1, |t| t.status = Status::Answered, Effects::default()).await;
    assert_eq!(open(&db, esc("m2", "u2", "cid1", "q")).await.id, 2);
    change(&db, 2, |t| t.status = Status::Closed, Effects::default()).await;
    change(&db, 1, |t| t.status = Status::Open, Effects::default()).await;
    let joined = db
        .escalate((esc("m3", "u3", "cid1", "q"), FloodLimits::NONE), 12, none)
        .await;
    assert!(matches!(joined.unwrap(), Escalated::Joined(t) if t.id == 1));
}

pub async fn tickets_are_listed_by_filter_oldest_first(h: Harness) {
    let db = h.db();
    for (i, q) in ["q1", "q2", "q3"].iter().enumerate() {
        open(&db, esc(&format!("m{i}"), "u1", "cid1", q)).await;
    }
    change(&db, 2, |t| t.status = Status::Claimed, Effects::default()).await;
    change(&db, 3, |t| t.status = Status::Closed, Effects::default()).await;
    let ids = |ts: Vec<Ticket>| ts.iter().map(|t| t.id).collect::<Vec<_>>();
    let list = |f| db.tickets(f);
    assert_eq!(ids(list(TicketFilter::All).await.unwrap()), [1, 2, 3]);
    assert_eq!(ids(list(TicketFilter::Pending).await.unwrap()), [1, 2]);
    let closed = list(TicketFilter::Status(Status::Closed)).await.unwrap();
    assert_eq!(ids(closed), [3]);
}

pub async fn closed_tickets_past_retention_are_purged_and_numbering_goes_on(h: Harness) {
    let db = h.db();
    open(&db, esc("m1", "u1", "cid1", "q1")).await;
    open(&db, esc("m2", "u2", "cid1", "q2")).await;
    let close = |t: &mut Ticket| {
        t.status = Status::Closed;
        t.updated_ms = 20;
    };
    change(&db, 1, close, Effects::default()).await;
    assert_eq!(
        db.purge_closed(20).await.unwrap(),
        0,
        "closed at the cutoff: kept"
    );
    assert_eq!(db.purge_closed(21).await.unwrap(), 1);
    assert_eq!(db.ticket(1).await.unwrap(), None);
    assert!(db.ticket(2).await.unwrap().is_some(), "open tickets stay");
    assert_eq!(open(&db, esc("m3", "u3", "cid1", "q3")).await.id, 3);
}

pub async fn finishing_a_message_records_the_delivery_on_its_ticket(h: Harness) {
    let db = h.db();
    open(&db, esc("m1", "u1", "cid1", "q")).await;
    let to_group = |text: &str, more_parts| OutboxItem {
        more_parts,
        ..OutboxItem::new(
            Target::Group(esc("", "", "cid1", "").route),
            text.into(),
            vec![],
            Some(1),
            0,
        )
    };
    db.enqueue(vec![to_group("part 1", true), to_group("part 2", false)])
        .await
        .unwrap();
    let queued = db.outbox(0).await.unwrap();
    let delivered = Delivery::Delivered { at_ms: 30 };
    db.finish(&queued[1], delivered.clone(), 30, vec![])
        .await
        .unwrap();
    assert_eq!(
        db.ticket(1).await.unwrap().unwrap().delivery,
        Delivery::NotYet
    );
    let failed = Delivery::Failed {
        at_ms: 31,
        error: "boom".into(),
    };
    let report = vec![to_officers("failed".into(), 31)];
    db.finish(&queued[2], failed.clone(), 31, report)
        .await
        .unwrap();
    let t = db.ticket(1).await.unwrap().unwrap();
    assert_eq!((t.delivery, t.updated_ms), (failed, 31));
    let texts: Vec<String> = db
        .outbox(0)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.text)
        .collect();
    assert_eq!(texts, ["#1 joined=false", "failed"]);
    assert_eq!(db.outbox_len().await.unwrap(), 2);
    assert_eq!(
        db.seal(&queued[1]).await.unwrap(),
        None,
        "finished items are gone"
    );
}

pub async fn a_rescheduled_message_keeps_its_text_and_waits(h: Harness) {
    let db = h.db();
    open(&db, esc("m1", "u1", "cid1", "q1")).await;
    let mut item = db.outbox(0).await.unwrap().remove(0);
    item.text = "changed".into();
    item.attempts = 3;
    item.not_before_ms = 500;
    db.reschedule(&item).await.unwrap();
    let stored = db.outbox(0).await.unwrap().remove(0);
    assert_eq!(stored.text, "#1 joined=false");
    assert_eq!((stored.attempts, stored.not_before_ms), (3, 500));
}

pub async fn send_slots_allow_so_many_a_minute(h: Harness) {
    let db = h.db();
    assert_eq!(db.take_send_slot("k", 1_000, 2).await.unwrap(), None);
    assert_eq!(db.take_send_slot("k", 2_000, 2).await.unwrap(), None);
    assert_eq!(
        db.take_send_slot("k", 3_000, 2).await.unwrap(),
        Some(58_000)
    );
    assert_eq!(db.take_send_slot("other", 3_000, 2).await.unwrap(), None);
    assert_eq!(db.take_send_slot("k", 61_000, 2).await.unwrap(), None);
}

pub async fn what_was_committed_is_there_after_reopening(h: Harness) {
    {
        let db = h.db();
        open(&db, esc("m1", "u1", "cid1", "q1")).await;
        open(&db, esc("m2", "u1", "cid1", "q2")).await;
        db.close().await.unwrap();
    }
    let backend = h.backend().await;
    let report = backend.check().unwrap();
    assert_eq!((report.tickets, report.next_ticket), (2, 3));
    assert!(backend.is_seen("dingtalk:m2").unwrap());
    assert!(report.generation > 0, "commits are counted");
}
