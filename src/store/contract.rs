//! The contract of a [`Backend`], as tests any backend must pass, run through the [`Database`] the
//! program uses. A backend's test module runs them all with `suite!(|dir| MyBackend::open(dir))`;
//! `sled_store` does (so `cargo test` runs them against sled). Here: the harness, de-duplication,
//! signatures, suggestions and durability; tickets and the outbox in the submodules.

mod outbox;
mod tickets;

pub use outbox::*;
pub use tickets::*;

use super::backend::{Backend, Effects, Escalated};
use super::model::*;
use super::{Database, Durability, Result};
use crate::platform::{Platform, ReplyRoute};
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
            a_save_can_drop_the_tickets_draft,
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

pub(super) const HOOK: &str = "https://officers.example/hook";

pub(super) fn esc(msg: &str, who: &str, group: &str, q: &str) -> Escalation {
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

pub(super) fn to_officers(text: String, now: i64) -> OutboxItem {
    let target = Target::OfficerWebhook { url: HOOK.into() };
    OutboxItem::new(target, text, vec![], None, now)
}

/// Notices naming the ticket and whether the asker joined it.
pub(super) fn notices(t: &Ticket, joined: bool) -> Vec<OutboxItem> {
    vec![to_officers(format!("#{} joined={joined}", t.id), 0)]
}

pub(super) fn none(_: &Ticket, _: bool) -> Vec<OutboxItem> {
    vec![]
}

pub(super) async fn open(db: &Database, e: Escalation) -> Ticket {
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
pub(super) async fn change(
    db: &Database,
    id: u64,
    change: impl FnOnce(&mut Ticket),
    effects: Effects,
) {
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
