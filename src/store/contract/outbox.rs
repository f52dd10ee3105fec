//! The contract for the outbox: finishing, rescheduling, send slots.

use super::*;

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
