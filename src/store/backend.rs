//! The seam a storage engine implements. Operations are blocking and each is atomic; none is durable
//! by itself: [`Backend::durable_flush`] makes everything written before it durable, and the
//! [`super::Database`] calls it once for a whole group of writers. The `Database` runs scans,
//! transactions and flushes on the blocking pool; the point operations (one record: `is_seen`,
//! `mark_seen`, `bind_signature`, `put_clarify`, `take_clarify`, `ticket`, `reschedule`,
//! `take_send_slot`) on the calling async task, so a backend must answer those without waiting for
//! its disk, as sled does from its cache and write buffer. Records are plain data ([`super::model`]); a backend holds no rules beyond the indexes it
//! keeps (open tickets by group and question, officer digests) and the flood limits it is handed.
//! The contract every backend must pass is `super::contract`.

use super::{Delivery, Draft, Escalation, FloodLimits, OutboxItem, PendingClarify, Result};
use super::{Ticket, TicketFilter};

/// What a consistency check found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Durable commits so far.
    pub generation: u64,
    pub next_ticket: u64,
    pub tickets: usize,
    pub outbox: usize,
    pub seen: usize,
}

/// What came of an escalation.
#[derive(Debug, Clone, PartialEq)]
pub enum Escalated {
    /// A new ticket.
    Opened(Ticket),
    /// The open ticket for the same question in the same group, with the new asker.
    Joined(Ticket),
    /// The message was already recorded: nothing changed.
    Duplicate,
    /// A new ticket would exceed the flood limits: nothing changed.
    Throttled,
}

/// What a ticket change writes besides the ticket, in the same transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// Messages to queue.
    pub messages: Vec<OutboxItem>,
    /// A draft to keep for review (replacing the ticket's earlier draft).
    pub draft: Option<Draft>,
    /// Removes the ticket's draft (an admin approved or rejected it).
    pub drop_draft: bool,
}

/// A storage engine. `Send + Sync`: one instance serves every task.
pub trait Backend: Send + Sync {
    /// Makes everything written so far durable, and records that it is (so that a reopen can tell when
    /// acknowledged data is missing).
    fn durable_flush(&self) -> Result<()>;
    /// Reads every record; `Damaged` names the first unreadable one.
    fn check(&self) -> Result<Report>;
    /// Every record, as a backup any backend can restore (see `SledStore::backup`).
    fn backup(&self, out: &mut dyn std::io::Write, now_ms: i64) -> Result<u64>;

    /// True when message key `key` was already recorded.
    fn is_seen(&self, key: &str) -> Result<bool>;
    /// Records message key `key` until `expires_ms`; false when it was already recorded (atomic).
    fn mark_seen(&self, key: &str, expires_ms: i64) -> Result<bool>;
    /// Binds a signature `key` to the message id it first carried, until `expires_ms`. True for the
    /// first use and for retries of the same message; false when it carried another message. Atomic.
    fn bind_signature(&self, key: &str, msg_id: &str, expires_ms: i64) -> Result<bool>;
    /// Forgets de-duplication, signature, send-slot and flood records that expired before `now_ms`;
    /// returns how many.
    fn expire(&self, now_ms: i64) -> Result<usize>;

    /// Remembers suggestions (or an offer of an officer) made to `who`, replacing earlier ones.
    fn put_clarify(&self, who: &str, pending: &PendingClarify) -> Result<()>;
    /// Takes (removes) what was offered to `who`; `None` when nothing was or it expired before `now_ms`.
    fn take_clarify(&self, who: &str, now_ms: i64) -> Result<Option<PendingClarify>>;

    /// In one transaction: records `esc.seen_key` (or returns `Duplicate`), joins the open ticket for
    /// the same question in the same group or opens a new one (counted against `limits`, or
    /// `Throttled`), and queues `notices(ticket, joined)`. A notice to an officer webhook joins the
    /// webhook's digest still waiting to be sent, if it has room.
    fn escalate(
        &self,
        esc: &Escalation,
        limits: FloodLimits,
        now_ms: i64,
        notices: &dyn Fn(&Ticket, bool) -> Vec<OutboxItem>,
    ) -> Result<Escalated>;
    /// A ticket by id.
    fn ticket(&self, id: u64) -> Result<Option<Ticket>>;
    /// Tickets matching `filter`, oldest first.
    fn tickets(&self, filter: TicketFilter) -> Result<Vec<Ticket>>;
    /// Replaces ticket `before` by `after` (same id) with its effects, in one transaction, unless the
    /// stored ticket is no longer `before` (then false, and nothing is written). A ticket that stops
    /// being pending leaves the merge index; one that becomes pending again rejoins it.
    fn save(&self, before: &Ticket, after: &Ticket, effects: &Effects) -> Result<bool>;
    /// Removes closed tickets last changed before `cutoff_ms`; returns how many. Numbering is unaffected.
    fn purge_closed(&self, cutoff_ms: i64) -> Result<usize>;
    /// Officer drafts, by ticket number.
    fn drafts(&self) -> Result<Vec<Draft>>;

    /// Every queued message, oldest first.
    fn outbox(&self) -> Result<Vec<OutboxItem>>;
    fn outbox_len(&self) -> Result<usize>;
    /// Queues messages outside any ticket change (each gets a fresh id).
    fn enqueue(&self, items: &[OutboxItem]) -> Result<()>;
    /// The item as it is now, about to be sent: an officer digest stops taking additions. `None` when
    /// the item is gone.
    fn seal(&self, item: &OutboxItem) -> Result<Option<OutboxItem>>;
    /// Puts an item back with its `not_before_ms` and `attempts`, keeping the stored text.
    fn reschedule(&self, item: &OutboxItem) -> Result<()>;
    /// Removes a sent or abandoned item, records the outcome on its ticket (when the item is the last
    /// part of a ticket's answer) and queues `messages`, in one transaction.
    fn finish(
        &self,
        item: &OutboxItem,
        delivery: &Delivery,
        now_ms: i64,
        messages: &[OutboxItem],
    ) -> Result<()>;
    /// Takes a send slot for destination `key` (at most `per_minute` in any 60 s), or says how many ms
    /// to wait.
    fn take_send_slot(&self, key: &str, now_ms: i64, per_minute: usize) -> Result<Option<i64>>;
}
