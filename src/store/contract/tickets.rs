//! The contract for tickets: escalation (numbering, merging, de-duplication, flood limits, digests),
//! saving a changed ticket, listing and retention.

use super::*;

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
        ..Effects::default()
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
        ..Effects::default()
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

pub async fn a_save_can_drop_the_tickets_draft(h: Harness) {
    let db = h.db();
    let before = open(&db, esc("m1", "u1", "cid1", "q")).await;
    let draft = Draft {
        ticket: 1,
        faq_id: None,
        question: "q".into(),
        alternates: vec![],
        answer: "a".into(),
        officer: "o".into(),
        created_ms: 5,
    };
    let keep = Effects {
        draft: Some(draft),
        ..Effects::default()
    };
    change(&db, 1, |t| t.updated_ms = 6, keep).await;
    assert_eq!(db.drafts().await.unwrap().len(), 1);
    let drop = Effects {
        drop_draft: true,
        ..Effects::default()
    };
    change(&db, 1, |t| t.updated_ms = 7, drop).await;
    assert!(db.drafts().await.unwrap().is_empty());
    assert_ne!(db.ticket(1).await.unwrap(), Some(before));
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
