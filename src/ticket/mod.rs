//! The ticket service: the one place where a ticket changes. Officers' actions from every front end
//! ([`Action`]), questions escalated by dispatch, SLA reminders and delivery outcomes are applied here:
//! validated by the rules (`rules`, pure functions), saved with the messages they cause in one durable transaction, and
//! the delivery worker woken. Front ends parse into an action and render its [`Outcome`]; the words are
//! in [`crate::reply::officer`].

mod action;
mod repeat;
mod rules;

pub use crate::store::Undelivered;
pub use action::{Action, Outcome, ServiceError};

use crate::config::Officers;
use crate::faq::Date;
use crate::snapshot::Snapshot;
use crate::store::{
    Database, Delivery, Effects, Escalated, Escalation, FloodLimits, OutboxItem, Status,
    StoreError, Ticket, TicketFilter,
};
use std::sync::Arc;
use tokio::sync::Notify;
use tracing::instrument;

/// What an action may need besides the store: the FAQ base (to answer with an entry) and the day its
/// measures are judged on, and the time.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The FAQ snapshot an answer with an entry quotes.
    pub kb: &'a Snapshot,
    pub on: Date,
    pub now: i64,
}

/// The queue as operators watch it (see `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    pub open: usize,
    pub claimed: usize,
    /// Open or claimed for longer than `officers.sla`.
    pub overdue: usize,
    /// How long the oldest pending ticket has waited, ms (0 when none waits).
    pub oldest_ms: i64,
}

/// Cheap to share; one per server.
pub struct Service {
    db: Database,
    officers: Officers,
    /// Wakes the delivery worker when something was queued.
    wake: Arc<Notify>,
    /// The answered tickets' questions, for [`Service::answered_before`] (asked on every escalation).
    answered: repeat::Answered,
}

impl Service {
    pub fn new(db: Database, officers: Officers, wake: Arc<Notify>) -> Service {
        Service {
            db,
            officers,
            wake,
            answered: repeat::Answered::default(),
        }
    }

    /// Applies an officer's action; what it changed is durable when this returns.
    #[instrument(skip_all, fields(action = action.name(), ticket = action.ticket()))]
    pub async fn apply(&self, action: Action, cx: Context<'_>) -> Result<Outcome, ServiceError> {
        let now = cx.now;
        Ok(match action {
            Action::List(filter) => Outcome::Listed(self.db.tickets(filter).await?),
            Action::Show(id) => Outcome::Shown(self.get(id).await?),
            Action::Drafts => Outcome::Drafts(self.db.drafts().await?),
            Action::Claim { id, officer } => {
                let officer = named(&officer)?;
                let claim = |t: &mut Ticket| rules::claim(t, officer, now);
                Outcome::Claimed(self.change(id, now, claim).await?)
            }
            Action::TakeOver { id, officer } => {
                let officer = named(&officer)?;
                let mut from = String::new();
                let take = |t: &mut Ticket| {
                    let (effects, held_by) = rules::take_over(t, officer, now)?;
                    from = held_by;
                    Ok(effects)
                };
                let ticket = self.change(id, now, take).await?;
                Outcome::TakenOver { ticket, from }
            }
            Action::Answer { id, officer, text } => self.answer(id, &officer, &text, now).await?,
            Action::Teach {
                id,
                officer,
                faq_id,
            } => self.teach(id, named(&officer)?, &faq_id, cx).await?,
            Action::Close {
                id,
                officer,
                reason,
            } => self.close(id, &officer, reason.as_deref(), now).await?,
            Action::Reopen { id, officer } => {
                let officer = named(&officer)?;
                let reopen = |t: &mut Ticket| rules::reopen(t, officer, now);
                Outcome::Reopened(self.change(id, now, reopen).await?)
            }
            Action::Merge { id, into, officer } => {
                let ticket = self.merge(id, into, named(&officer)?, now).await?;
                Outcome::Merged { ticket, into }
            }
            Action::Draft { id, officer } => self.draft(id, named(&officer)?, now).await?,
            Action::Settle {
                id,
                officer,
                approved_into,
            } => {
                self.settle(id, named(&officer)?, approved_into.as_deref(), now)
                    .await?
            }
        })
    }

    async fn answer(
        &self,
        id: u64,
        officer: &str,
        text: &str,
        now: i64,
    ) -> Result<Outcome, ServiceError> {
        let (officer, text) = (named(officer)?, text.trim());
        if text.is_empty() {
            return Err(ServiceError::Invalid("答复内容不能为空"));
        }
        let answer = |t: &mut Ticket| rules::answer(t, officer, text, now);
        Ok(Outcome::Answered(self.change(id, now, answer).await?))
    }

    /// Closes with the reason given, which the askers are told: required.
    async fn close(
        &self,
        id: u64,
        officer: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Outcome, ServiceError> {
        let officer = named(officer)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let reason = reason.ok_or(ServiceError::Invalid(
            "关闭工单须注明原因（提问人会收到这个原因）",
        ))?;
        let close = |t: &mut Ticket| rules::close(t, officer, reason, now);
        Ok(Outcome::Closed(self.change(id, now, close).await?))
    }

    /// Ticket `id`'s askers join `into` first, then `id` is closed telling them so: a crash between
    /// the two leaves them in both tickets (the merge can be done again), never in neither.
    async fn merge(
        &self,
        id: u64,
        into: u64,
        officer: &str,
        now: i64,
    ) -> Result<Ticket, ServiceError> {
        let from = self.get(id).await?;
        let target = self.get(into).await?;
        rules::mergeable(&from, &target, officer)?;
        self.change(into, now, |t| rules::absorb(t, &from, officer, now))
            .await?;
        self.change(id, now, |t| rules::merged(t, into, officer, now))
            .await
    }

    async fn draft(&self, id: u64, officer: &str, now: i64) -> Result<Outcome, ServiceError> {
        let mut draft = None;
        self.change(id, now, |t| {
            let effects = rules::draft(t, officer, now)?;
            draft.clone_from(&effects.draft);
            Ok(effects)
        })
        .await?;
        Ok(Outcome::Drafted(
            draft.expect("a saved draft change carries its draft"),
        ))
    }

    async fn settle(
        &self,
        id: u64,
        officer: &str,
        approved_into: Option<&str>,
        now: i64,
    ) -> Result<Outcome, ServiceError> {
        let has_draft = self.db.drafts().await?.iter().any(|d| d.ticket == id);
        let settle = |t: &mut Ticket| rules::settle(t, officer, (has_draft, approved_into), now);
        Ok(Outcome::Settled(self.change(id, now, settle).await?))
    }

    async fn teach(
        &self,
        id: u64,
        officer: &str,
        faq_id: &str,
        cx: Context<'_>,
    ) -> Result<Outcome, ServiceError> {
        let faq_id = faq_id.trim().trim_start_matches('#');
        let entry = cx
            .kb
            .entry(faq_id)
            .ok_or_else(|| ServiceError::UnknownEntry(faq_id.to_owned()))?;
        let quote = crate::reply::answer(&cx.kb.base, entry, cx.on);
        let now = cx.now;
        let teach = |t: &mut Ticket| rules::teach(t, officer, (faq_id, &quote), now);
        let ticket = self.change(id, now, teach).await?;
        Ok(Outcome::Taught {
            ticket,
            faq_id: faq_id.to_owned(),
        })
    }

    /// Opens a ticket for an escalated question or joins the open one, notifying the officers; records
    /// the message as seen in the same transaction. Durable when it returns.
    pub async fn escalate(&self, esc: Escalation, now: i64) -> Result<Escalated, StoreError> {
        let hooks = self.officers.notify_webhooks.clone();
        let notices = move |t: &Ticket, joined: bool| rules::notices(&hooks, t, joined, now);
        let limits = FloodLimits {
            per_sender_per_hour: self.officers.max_new_tickets_per_sender_per_hour as usize,
            per_group_per_hour: self.officers.max_new_tickets_per_group_per_hour as usize,
        };
        let r = self.db.escalate((esc, limits), now, notices).await?;
        if matches!(r, Escalated::Opened(_) | Escalated::Joined(_)) {
            self.wake.notify_one();
        }
        Ok(r)
    }

    /// The latest answered ticket whose question `normalized` repeats (see `repeat`), if any: its
    /// answer is given again instead of opening a ticket.
    /// The answered tickets are read from the store once and kept until a ticket changes here: a scan
    /// of every ticket on every escalation cost 8 ms of CPU each with 2,000 tickets.
    pub async fn answered_before(&self, normalized: &str) -> Result<Option<Ticket>, StoreError> {
        let questions = match self.answered.current() {
            Some(q) => q,
            None => {
                let generation = self.answered.generation();
                let answered = self
                    .db
                    .tickets(TicketFilter::Status(Status::Answered))
                    .await?;
                self.answered.fill(generation, &answered)
            }
        };
        let Some(id) = questions.latest_repeat(normalized) else {
            return Ok(None);
        };
        // The list may lag a change made since: the ticket itself decides.
        let ticket = self.db.ticket(id).await?;
        Ok(ticket.filter(|t| {
            t.status == Status::Answered
                && t.answer.is_some()
                && repeat::same_question(&t.normalized, normalized)
        }))
    }

    /// The queue's gauges at `now`.
    pub async fn gauges(&self, now: i64) -> Result<Gauges, StoreError> {
        let sla_ms = self.officers.sla.as_millis() as i64;
        let mut g = Gauges::default();
        for t in self.db.tickets(TicketFilter::Pending).await? {
            match t.status {
                Status::Claimed => g.claimed += 1,
                _ => g.open += 1,
            }
            let waited = (now - t.created_ms).max(0);
            g.overdue += usize::from(waited >= sla_ms);
            g.oldest_ms = g.oldest_ms.max(waited);
        }
        Ok(g)
    }

    /// Reminds the officers of every overdue ticket (see `rules::overdue`); returns their ids.
    pub async fn remind_overdue(&self, now: i64) -> Result<Vec<u64>, StoreError> {
        let sla_ms = self.officers.sla.as_millis() as i64;
        let hooks = &self.officers.notify_webhooks;
        let mut reminded = Vec::new();
        for t in self.db.tickets(TicketFilter::Pending).await? {
            if !rules::overdue(&t, sla_ms, now) {
                continue;
            }
            match self
                .change(t.id, now, |t| rules::remind(t, hooks, sla_ms, now))
                .await
            {
                Ok(_) => reminded.push(t.id),
                Err(ServiceError::Store(e)) => return Err(e),
                // Answered, closed, reminded or purged meanwhile.
                Err(_) => {}
            }
        }
        Ok(reminded)
    }

    /// A message was delivered: it leaves the outbox and, when it completes a ticket's answer, the
    /// ticket records it. Durable.
    pub async fn delivered(&self, item: &OutboxItem, now: i64) -> Result<(), StoreError> {
        let delivered = Delivery::Delivered { at_ms: now };
        self.db.finish(item, delivered, now, vec![]).await
    }

    /// A message could not be delivered and will not be retried: it leaves the outbox, its ticket
    /// records why, and the officers are told what to do next (see `rules::undeliverable`). Durable.
    pub async fn undeliverable(
        &self,
        item: &OutboxItem,
        (error, cause): (String, Undelivered),
        now: i64,
    ) -> Result<(), StoreError> {
        let ticket = match item.about() {
            Some(id) => self.db.ticket(id).await?,
            None => None,
        };
        let hooks = &self.officers.notify_webhooks;
        let report = rules::undeliverable(hooks, (item, ticket.as_ref()), (&error, cause), now);
        let wake = !report.is_empty();
        let failed = Delivery::Failed { at_ms: now, error };
        self.db.finish(item, failed, now, report).await?;
        if wake {
            self.wake.notify_one();
        }
        Ok(())
    }

    async fn get(&self, id: u64) -> Result<Ticket, ServiceError> {
        self.db.ticket(id).await?.ok_or(ServiceError::NotFound(id))
    }

    /// Reads ticket `id`, applies `rule` and saves the result with its effects; if the ticket changed
    /// in between (an asker joined, another officer acted), does it again on the new state.
    async fn change(
        &self,
        id: u64,
        now: i64,
        mut rule: impl FnMut(&mut Ticket) -> Result<Effects, ServiceError>,
    ) -> Result<Ticket, ServiceError> {
        loop {
            let before = self.get(id).await?;
            let mut after = before.clone();
            let effects = rule(&mut after)?;
            after.updated_ms = now;
            let wake = !effects.messages.is_empty();
            if self.db.save(before, after.clone(), effects).await? {
                self.answered.forget();
                if wake {
                    self.wake.notify_one();
                }
                return Ok(after);
            }
        }
    }
}

/// The acting officer's name, required.
fn named(officer: &str) -> Result<&str, ServiceError> {
    let officer = officer.trim();
    if officer.is_empty() {
        return Err(ServiceError::Invalid("缺少处理人（officer）"));
    }
    Ok(officer)
}

#[cfg(test)]
mod tests;
