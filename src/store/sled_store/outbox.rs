//! The outbox on sled: queued messages survive restarts; the delivery worker seals an item before
//! sending it, then finishes it (sent or given up, with the ticket's delivery state in the same
//! transaction) or puts it back with a later `not_before_ms`. Send slots per destination live here too,
//! so a restart does not reset the platforms' rate count.

use super::tickets::{digest_key, tx_enqueue};
use super::*;
use sled::Transactional;
use sled::transaction::ConflictableTransactionError as Abort;

pub(super) fn enqueue(s: &SledStore, items: &[OutboxItem]) -> Result<()> {
    unwrap_tx(s.outbox.transaction(|outbox| {
        for item in items {
            tx_enqueue(outbox, item)?;
        }
        Ok(())
    }))
}

pub(super) fn seal(s: &SledStore, item: &OutboxItem) -> Result<Option<OutboxItem>> {
    unwrap_tx((&s.outbox, &s.meta).transaction(|(outbox, meta)| {
        let Some(v) = outbox.get(item.id.to_be_bytes())? else {
            return Ok(None);
        };
        let current: OutboxItem = from_json(&v).map_err(Abort::Abort)?;
        if let Target::OfficerWebhook { url } = &current.target {
            let key = digest_key(url);
            if meta.get(&key)?.as_deref() == Some(&item.id.to_be_bytes()[..]) {
                meta.remove(key)?;
            }
        }
        Ok(Some(current))
    }))
}

pub(super) fn reschedule(s: &SledStore, item: &OutboxItem) -> Result<()> {
    let key = item.id.to_be_bytes();
    loop {
        let Some(old) = s.outbox.get(key)? else {
            return Ok(());
        };
        let mut current: OutboxItem = from_json(&old)?;
        current.not_before_ms = item.not_before_ms;
        current.attempts = item.attempts;
        let new = to_json(&current)?;
        if s.outbox
            .compare_and_swap(key, Some(old), Some(new))?
            .is_ok()
        {
            return Ok(());
        }
    }
}

pub(super) fn finish(
    s: &SledStore,
    item: &OutboxItem,
    delivery: &Delivery,
    now_ms: i64,
    messages: &[OutboxItem],
) -> Result<()> {
    unwrap_tx((&s.outbox, &s.tickets).transaction(|(outbox, tickets)| {
        outbox.remove(&item.id.to_be_bytes())?;
        for m in messages {
            tx_enqueue(outbox, m)?;
        }
        let part_sent = item.more_parts && matches!(delivery, Delivery::Delivered { .. });
        let Some(id) = item.ticket.filter(|_| !part_sent) else {
            return Ok(());
        };
        let Some(v) = tickets.get(id.to_be_bytes())? else {
            return Ok(());
        };
        let mut t: Ticket = from_json(&v).map_err(Abort::Abort)?;
        let (action, detail) = match delivery {
            Delivery::Failed { error, .. } => ("delivery failed", error.clone()),
            _ => ("delivered", String::new()),
        };
        t.delivery = delivery.clone();
        t.updated_ms = now_ms;
        t.history.push(Event {
            at_ms: now_ms,
            actor: "bot".into(),
            action: action.into(),
            detail,
        });
        tickets.insert(&id.to_be_bytes(), to_json(&t).map_err(Abort::Abort)?)?;
        Ok(())
    }))
}

pub(super) fn take_send_slot(
    s: &SledStore,
    key: &str,
    now_ms: i64,
    per_minute: usize,
) -> Result<Option<i64>> {
    let mut sent: Vec<i64> = match s.send_slots.get(key.as_bytes())? {
        Some(v) => from_json(&v)?,
        None => Vec::new(),
    };
    sent.retain(|t| now_ms - t < 60_000);
    if sent.len() >= per_minute {
        let oldest = sent.iter().min().copied().unwrap_or(now_ms);
        return Ok(Some(60_000 - (now_ms - oldest)));
    }
    sent.push(now_ms);
    s.send_slots.insert(key.as_bytes(), to_json(&sent)?)?;
    Ok(None)
}
