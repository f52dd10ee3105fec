//! The outbox: messages waiting to be sent survive restarts; the delivery worker takes due items, and
//! either finishes them (sent or given up, with the ticket's delivery state in the same transaction) or
//! puts them back with a later `not_before_ms`.

use super::*;
use sled::Transactional;
use sled::transaction::ConflictableTransactionError as Abort;

impl Store {
    /// The item as it is now, about to be sent: an officer notification stops taking additions (see
    /// `tickets::tx_notify`), so nothing appended later is lost when it is finished. `None` when the
    /// item is gone.
    pub fn seal(&self, item: &OutboxItem) -> Result<Option<OutboxItem>> {
        let r = (&self.outbox, &self.meta).transaction(|(outbox, meta)| {
            let Some(v) = outbox.get(item.id.to_be_bytes())? else {
                return Ok(None);
            };
            let current: OutboxItem = from_json(&v).map_err(Abort::Abort)?;
            if let Target::OfficerWebhook { url } = &current.target {
                let key = super::tickets::digest_key(url);
                if meta.get(&key)?.as_deref() == Some(&item.id.to_be_bytes()[..]) {
                    meta.remove(key)?;
                }
            }
            Ok(Some(current))
        });
        r.map_err(|e| match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
        })
    }

    /// Every queued item, oldest first (due or not: a destination's later items wait for its earlier).
    pub fn outbox_items(&self) -> Result<Vec<OutboxItem>> {
        self.outbox
            .iter()
            .values()
            .map(|v| from_json(&v?))
            .collect()
    }

    /// Number of items in the outbox (due or not).
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Puts an item back to be retried at `item.not_before_ms` with `item.attempts`, keeping the text
    /// as stored (a notification may have been extended since `item` was read). Atomic.
    pub fn reschedule(&self, item: &OutboxItem) -> Result<()> {
        let key = item.id.to_be_bytes();
        loop {
            let Some(old) = self.outbox.get(key)? else {
                return Ok(());
            };
            let mut current: OutboxItem = from_json(&old)?;
            current.not_before_ms = item.not_before_ms;
            current.attempts = item.attempts;
            let new = to_json(&current)?;
            if self
                .outbox
                .compare_and_swap(key, Some(old), Some(new))?
                .is_ok()
            {
                return Ok(());
            }
        }
    }

    /// Removes a finished item and, when it carried a ticket's answer, records the delivery outcome on
    /// the ticket, in one transaction.
    pub fn finish(&self, item: &OutboxItem, delivery: Delivery, now_ms: i64) -> Result<()> {
        let r = (&self.outbox, &self.tickets).transaction(|(outbox, tickets)| {
            outbox.remove(&item.id.to_be_bytes())?;
            let part_sent = item.more_parts && matches!(delivery, Delivery::Delivered { .. });
            let Some(id) = item.ticket.filter(|_| !part_sent) else {
                return Ok(());
            };
            let Some(v) = tickets.get(id.to_be_bytes())? else {
                return Ok(());
            };
            let mut t: Ticket = from_json(&v).map_err(Abort::Abort)?;
            let (action, detail) = match &delivery {
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
        });
        r.map_err(|e| match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
        })
    }

    /// Takes a send slot for destination `key` at `now_ms` (at most `per_minute` sends in any 60 s), or
    /// says how many ms to wait. The recent send times are kept in the store, so a restart does not
    /// reset the count (the platforms would throttle the robot).
    pub fn take_send_slot(&self, key: &str, now_ms: i64, per_minute: usize) -> Result<Option<i64>> {
        let mut sent: Vec<i64> = match self.send_slots.get(key.as_bytes())? {
            Some(v) => from_json(&v)?,
            None => Vec::new(),
        };
        sent.retain(|t| now_ms - t < 60_000);
        if sent.len() >= per_minute {
            let oldest = sent.iter().min().copied().unwrap_or(now_ms);
            return Ok(Some(60_000 - (now_ms - oldest)));
        }
        sent.push(now_ms);
        self.send_slots.insert(key.as_bytes(), to_json(&sent)?)?;
        Ok(None)
    }

    /// Queues one message outside any ticket change (e.g. an officer alert about a failed delivery).
    pub fn enqueue(&self, item: OutboxItem) -> Result<u64> {
        let id = self.db.generate_id()?;
        self.outbox
            .insert(id.to_be_bytes(), to_json(&OutboxItem { id, ..item })?)?;
        Ok(id)
    }
}
