//! The outbox: messages waiting to be sent survive restarts; the delivery worker takes due items, and
//! either finishes them (sent or given up, with the ticket's delivery state in the same transaction) or
//! puts them back with a later `not_before_ms`.

use super::*;
use sled::Transactional;
use sled::transaction::ConflictableTransactionError as Abort;

impl Store {
    /// Items due at `now_ms`, oldest first.
    pub fn pending_outbox(&self, now_ms: i64) -> Result<Vec<OutboxItem>> {
        let mut out = Vec::new();
        for v in self.outbox.iter().values() {
            let item: OutboxItem = from_json(&v?)?;
            if item.not_before_ms <= now_ms {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Number of items in the outbox (due or not).
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Puts an item back to be retried at `item.not_before_ms`.
    pub fn reschedule(&self, item: &OutboxItem) -> Result<()> {
        self.outbox.insert(item.id.to_be_bytes(), to_json(item)?)?;
        Ok(())
    }

    /// Removes a finished item and, when it carried a ticket's answer, records the delivery outcome on
    /// the ticket, in one transaction.
    pub fn finish(&self, item: &OutboxItem, delivery: Delivery, now_ms: i64) -> Result<()> {
        let r = (&self.outbox, &self.tickets).transaction(|(outbox, tickets)| {
            outbox.remove(&item.id.to_be_bytes())?;
            let Some(id) = item.ticket else { return Ok(()) };
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

    /// Queues one message outside any ticket change (e.g. an officer alert about a failed delivery).
    pub fn enqueue(&self, item: OutboxItem) -> Result<u64> {
        let id = self.db.generate_id()?;
        self.outbox
            .insert(id.to_be_bytes(), to_json(&OutboxItem { id, ..item })?)?;
        Ok(id)
    }
}
