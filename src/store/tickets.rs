//! Ticket lifecycle: open → claimed → answered → closed (and reopen), merging of repeated questions, the
//! messages each change causes, and officer drafts. Each operation is one transaction over the trees it
//! touches; callers make it durable with [`Store::commit`] before acknowledging.

use super::*;
use crate::platform::{Platform, ReplyRoute};
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError as Abort, TransactionError, TransactionalTree,
};

/// A question the matcher could not answer, with where it came from.
#[derive(Debug, Clone)]
pub struct Escalation {
    /// De-duplication key of the platform message.
    pub seen_key: String,
    pub seen_expires_ms: i64,
    pub platform: Platform,
    pub group_id: String,
    pub group_title: String,
    pub asker: Asker,
    pub normalized: String,
    pub route: ReplyRoute,
    pub guesses: Vec<Guess>,
    pub limits: FloodLimits,
}

/// How many new tickets one sender, and one group, may open in any hour; beyond that an escalation is
/// refused with [`StoreError::Throttled`] (joining an open ticket is always allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodLimits {
    pub per_sender_per_hour: usize,
    pub per_group_per_hour: usize,
}

impl FloodLimits {
    pub const NONE: FloodLimits = FloodLimits {
        per_sender_per_hour: usize::MAX,
        per_group_per_hour: usize::MAX,
    };
}

/// Officer notifications waiting to be sent are extended with new ones up to this many bytes, so a
/// burst of tickets reaches the officers as a few digests, not one rate-limited message each.
const DIGEST_MAX_BYTES: usize = 1800;
const HOUR_MS: i64 = 3_600_000;

/// Which tickets to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketFilter {
    Status(Status),
    Pending,
    All,
}

type TxResult<T> = std::result::Result<T, Abort<StoreError>>;

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(Abort::Abort(e))
}

fn unwrap_tx<T>(r: std::result::Result<T, TransactionError<StoreError>>) -> Result<T> {
    r.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    })
}

fn open_key(platform: Platform, group: &str, normalized: &str) -> Vec<u8> {
    format!("{}\u{1f}{group}\u{1f}{normalized}", platform.as_str()).into_bytes()
}

fn tx_get(tree: &TransactionalTree, id: u64) -> TxResult<Ticket> {
    match tree.get(id.to_be_bytes())? {
        Some(v) => from_json(&v).map_err(Abort::Abort),
        None => abort(StoreError::NotFound(id)),
    }
}

fn tx_put(tree: &TransactionalTree, t: &Ticket) -> TxResult<()> {
    tree.insert(&t.id.to_be_bytes(), to_json(t).map_err(Abort::Abort)?)?;
    Ok(())
}

fn tx_enqueue(outbox: &TransactionalTree, item: OutboxItem) -> TxResult<u64> {
    let id = outbox.generate_id()?;
    let item = OutboxItem { id, ..item };
    outbox.insert(&id.to_be_bytes(), to_json(&item).map_err(Abort::Abort)?)?;
    Ok(id)
}

/// The meta key naming the officer webhook's notification that is still open for additions.
pub(super) fn digest_key(url: &str) -> Vec<u8> {
    use sha2::Digest;
    let mut key = b"digest:".to_vec();
    key.extend_from_slice(&sha2::Sha256::digest(url.as_bytes()));
    key
}

/// Queues `text` for an officer webhook: appended to the webhook's notification that has not been
/// picked up for sending yet, if it has room, else as a new one.
fn tx_notify(
    outbox: &TransactionalTree,
    meta: &TransactionalTree,
    url: &str,
    text: String,
    now_ms: i64,
) -> TxResult<()> {
    let key = digest_key(url);
    if let Some(id) = meta.get(&key)?
        && let Some(v) = outbox.get(&id)?
    {
        let mut open: OutboxItem = from_json(&v).map_err(Abort::Abort)?;
        if open.attempts == 0 && open.text.len() + text.len() + 2 <= DIGEST_MAX_BYTES {
            open.text = format!("{}\n\n{text}", open.text);
            outbox.insert(&id, to_json(&open).map_err(Abort::Abort)?)?;
            return Ok(());
        }
    }
    let target = Target::OfficerWebhook {
        url: url.to_owned(),
    };
    let id = tx_enqueue(outbox, message(target, text, vec![], None, now_ms))?;
    meta.insert(key, &id.to_be_bytes())?;
    Ok(())
}

/// Counts a new ticket against the sender's and the group's hourly limits, or refuses it.
fn tx_count_new_ticket(floods: &TransactionalTree, esc: &Escalation, now_ms: i64) -> TxResult<()> {
    let group = format!("g\u{1f}{}\u{1f}{}", esc.platform.as_str(), esc.group_id);
    let sender = format!("{group}\u{1f}{}", esc.asker.id_or_nick());
    let limits = [
        (group, esc.limits.per_group_per_hour),
        (sender, esc.limits.per_sender_per_hour),
    ];
    let mut updated = Vec::new();
    for (key, limit) in limits {
        let mut times: Vec<i64> = match floods.get(key.as_bytes())? {
            Some(v) => from_json(&v).map_err(Abort::Abort)?,
            None => Vec::new(),
        };
        times.retain(|t| now_ms - t < HOUR_MS);
        if times.len() >= limit {
            return abort(StoreError::Throttled);
        }
        times.push(now_ms);
        updated.push((key, times));
    }
    for (key, times) in updated {
        floods.insert(key.as_bytes(), to_json(&times).map_err(Abort::Abort)?)?;
    }
    Ok(())
}

/// An outbox message created now.
pub fn message(
    target: Target,
    text: String,
    mention: Vec<String>,
    ticket: Option<u64>,
    now_ms: i64,
) -> OutboxItem {
    OutboxItem {
        id: 0,
        target,
        text,
        mention,
        ticket,
        more_parts: false,
        attempts: 0,
        not_before_ms: now_ms,
        created_ms: now_ms,
    }
}

/// A message for `target` as outbox items that each fit the route's text limit (see
/// [`ReplyRoute::split`]), so that each part is sent, retried and rate-limited on its own and never
/// posted twice. The first part carries the mentions; every part but the last says more follow.
pub fn parts(
    target: Target,
    text: &str,
    mention: Vec<String>,
    ticket: Option<u64>,
    now_ms: i64,
) -> Vec<OutboxItem> {
    let pieces = match &target {
        Target::Group(route) => route.split(text),
        Target::OfficerWebhook { .. } => vec![text.to_owned()],
    };
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| OutboxItem {
            more_parts: i + 1 < n,
            ..message(
                target.clone(),
                piece,
                if i == 0 { mention.clone() } else { vec![] },
                ticket,
                now_ms,
            )
        })
        .collect()
}

impl Store {
    /// Opens a ticket, or joins the open ticket for the same question in the same group. Records the
    /// message as seen and queues `notify(ticket, merged)` to every officer webhook (see [`tx_notify`]),
    /// all in one transaction. Returns the ticket and whether it was merged. A redelivered message
    /// aborts with `Duplicate`; a new ticket beyond the flood limits with `Throttled`.
    pub fn escalate(
        &self,
        esc: &Escalation,
        officer_webhooks: &[String],
        now_ms: i64,
        notify: impl Fn(&Ticket, bool) -> String,
    ) -> Result<(Ticket, bool)> {
        let key = open_key(esc.platform, &esc.group_id, &esc.normalized);
        let trees = (
            &self.seen,
            &self.tickets,
            &self.open_by_key,
            &self.outbox,
            &self.meta,
            &self.floods,
        );
        unwrap_tx(
            trees.transaction(|(seen, tickets, open, outbox, meta, floods)| {
                if seen.get(esc.seen_key.as_bytes())?.is_some() {
                    return abort(StoreError::Duplicate);
                }
                seen.insert(esc.seen_key.as_bytes(), &esc.seen_expires_ms.to_be_bytes())?;
                let (ticket, merged) = match open.get(&key)? {
                    Some(id) => {
                        let mut t = tx_get(tickets, decode_u64(&id))?;
                        t.askers.push(esc.asker.clone());
                        t.route = esc.route.clone();
                        t.updated_ms = now_ms;
                        push_event(
                            &mut t,
                            now_ms,
                            &esc.asker.nick,
                            "joined",
                            &esc.asker.question,
                        );
                        (t, true)
                    }
                    None => {
                        tx_count_new_ticket(floods, esc, now_ms)?;
                        let id = meta.get(NEXT_TICKET)?.map_or(1, |v| decode_u64(&v));
                        meta.insert(NEXT_TICKET, &(id + 1).to_be_bytes())?;
                        open.insert(key.as_slice(), &id.to_be_bytes())?;
                        (new_ticket(id, esc, now_ms), false)
                    }
                };
                tx_put(tickets, &ticket)?;
                for url in officer_webhooks {
                    tx_notify(outbox, meta, url, notify(&ticket, merged), now_ms)?;
                }
                Ok((ticket, merged))
            }),
        )
    }

    /// A ticket by id.
    pub fn ticket(&self, id: u64) -> Result<Ticket> {
        match self.tickets.get(id.to_be_bytes())? {
            Some(v) => from_json(&v),
            None => Err(StoreError::NotFound(id)),
        }
    }

    /// Tickets matching `filter`, oldest first.
    pub fn tickets(&self, filter: TicketFilter) -> Result<Vec<Ticket>> {
        let mut out = Vec::new();
        for v in self.tickets.iter().values() {
            let t: Ticket = from_json(&v?)?;
            let keep = match filter {
                TicketFilter::All => true,
                TicketFilter::Pending => t.status.is_pending(),
                TicketFilter::Status(s) => t.status == s,
            };
            if keep {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Marks an open ticket as claimed by `officer`.
    pub fn claim(&self, id: u64, officer: &str, now_ms: i64) -> Result<Ticket> {
        self.update(id, now_ms, |t| {
            if t.status != Status::Open {
                return Err(transition(t, "claim"));
            }
            t.status = Status::Claimed;
            t.claimed_by = Some(officer.to_owned());
            push_event(t, now_ms, officer, "claimed", "");
            Ok(vec![])
        })
    }

    /// Records the officer's answer and queues it for the originating group, @-ing every asker.
    /// `render(ticket)` gives the group message text.
    pub fn answer(
        &self,
        id: u64,
        officer: &str,
        text: &str,
        now_ms: i64,
        render: impl Fn(&Ticket) -> String,
    ) -> Result<Ticket> {
        self.update(id, now_ms, |t| {
            if !t.status.is_pending() {
                return Err(transition(t, "answer"));
            }
            t.status = Status::Answered;
            t.answered_by = Some(officer.to_owned());
            t.answer = Some(text.to_owned());
            t.delivery = Delivery::Queued;
            push_event(t, now_ms, officer, "answered", text);
            // One @ per person, even when someone asked more than once.
            let mut mention: Vec<String> = Vec::new();
            for a in &t.askers {
                if !a.id.is_empty() && !mention.contains(&a.id) {
                    mention.push(a.id.clone());
                }
            }
            Ok(parts(
                Target::Group(t.route.clone()),
                &render(t),
                mention,
                Some(t.id),
                now_ms,
            ))
        })
    }

    /// Closes a ticket with a reason (no message to the group).
    pub fn close(&self, id: u64, officer: &str, reason: &str, now_ms: i64) -> Result<Ticket> {
        self.update(id, now_ms, |t| {
            if t.status == Status::Closed {
                return Err(transition(t, "close"));
            }
            t.status = Status::Closed;
            t.closed_by = Some(officer.to_owned());
            t.close_reason = Some(reason.to_owned());
            push_event(t, now_ms, officer, "closed", reason);
            Ok(vec![])
        })
    }

    /// Reopens an answered or closed ticket.
    pub fn reopen(&self, id: u64, officer: &str, now_ms: i64) -> Result<Ticket> {
        self.update(id, now_ms, |t| {
            if t.status.is_pending() {
                return Err(transition(t, "reopen"));
            }
            t.status = Status::Open;
            push_event(t, now_ms, officer, "reopened", "");
            Ok(vec![])
        })
    }

    /// Records the outcome of delivering a ticket's answer.
    pub fn set_delivery(&self, id: u64, delivery: Delivery, now_ms: i64) -> Result<Ticket> {
        self.update(id, now_ms, |t| {
            let detail = match &delivery {
                Delivery::Failed { error, .. } => error.clone(),
                _ => String::new(),
            };
            let action = match &delivery {
                Delivery::Delivered { .. } => "delivered",
                Delivery::Failed { .. } => "delivery failed",
                _ => "delivery queued",
            };
            t.delivery = delivery.clone();
            push_event(t, now_ms, "bot", action, &detail);
            Ok(vec![])
        })
    }

    /// Pending tickets older than `sla_ms` not reminded within `sla_ms`: marks them reminded and queues
    /// `text(ticket)` to each officer webhook. Returns the reminded ticket ids.
    pub fn remind_overdue(
        &self,
        sla_ms: i64,
        now_ms: i64,
        webhooks: &[String],
        text: impl Fn(&Ticket) -> String,
    ) -> Result<Vec<u64>> {
        let mut reminded = Vec::new();
        for t in self.tickets(TicketFilter::Pending)? {
            let due = now_ms - t.created_ms >= sla_ms
                && t.last_reminder_ms.is_none_or(|r| now_ms - r >= sla_ms);
            if !due {
                continue;
            }
            self.update(t.id, now_ms, |t| {
                t.last_reminder_ms = Some(now_ms);
                push_event(t, now_ms, "bot", "sla reminder", "");
                let msg = text(t);
                Ok(webhooks
                    .iter()
                    .map(|u| {
                        message(
                            Target::OfficerWebhook { url: u.clone() },
                            msg.clone(),
                            vec![],
                            None,
                            now_ms,
                        )
                    })
                    .collect())
            })?;
            reminded.push(t.id);
        }
        Ok(reminded)
    }

    /// Turns an answered ticket into a draft FAQ entry for review (`入库`).
    pub fn draft_from(&self, id: u64, officer: &str, now_ms: i64) -> Result<Draft> {
        let t = self.ticket(id)?;
        let Some(answer) = t.answer.clone() else {
            return Err(transition(&t, "make a draft of (no answer yet)"));
        };
        let draft = Draft {
            ticket: id,
            faq_id: None,
            question: t.question.clone(),
            alternates: t.askers.iter().map(|a| a.question.clone()).collect(),
            answer,
            officer: officer.to_owned(),
            created_ms: now_ms,
        };
        self.drafts.insert(id.to_be_bytes(), to_json(&draft)?)?;
        self.update(id, now_ms, |t| {
            push_event(t, now_ms, officer, "drafted as FAQ entry", "");
            Ok(vec![])
        })?;
        Ok(draft)
    }

    /// Settles the draft of ticket `id`: removes it (approved into the base, or rejected) and records
    /// `action` by `admin` in the ticket's history. `NotFound` when there is no such draft.
    pub fn settle_draft(
        &self,
        id: u64,
        admin: &str,
        action: &str,
        detail: &str,
        now_ms: i64,
    ) -> Result<()> {
        if self.drafts.remove(id.to_be_bytes())?.is_none() {
            return Err(StoreError::NotFound(id));
        }
        self.update(id, now_ms, |t| {
            push_event(t, now_ms, admin, action, detail);
            Ok(vec![])
        })?;
        Ok(())
    }

    /// Removes closed tickets last changed before `cutoff_ms`; returns how many. Numbering is unaffected.
    pub fn purge_closed(&self, cutoff_ms: i64) -> Result<usize> {
        let mut n = 0;
        for kv in self.tickets.iter() {
            let (k, v) = kv?;
            let t: Ticket = from_json(&v)?;
            if t.status == Status::Closed && t.updated_ms < cutoff_ms {
                self.tickets.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Records the questions of ticket `id` as draft phrasings for FAQ entry `faq_id` (the officer
    /// answered with that entry). Never served until reviewed into `faq/entries/`.
    pub fn draft_phrasings(
        &self,
        id: u64,
        faq_id: &str,
        officer: &str,
        now_ms: i64,
    ) -> Result<Draft> {
        let t = self.ticket(id)?;
        let draft = Draft {
            ticket: id,
            faq_id: Some(faq_id.to_owned()),
            question: t.question.clone(),
            alternates: t.askers.iter().map(|a| a.question.clone()).collect(),
            answer: String::new(),
            officer: officer.to_owned(),
            created_ms: now_ms,
        };
        self.drafts.insert(id.to_be_bytes(), to_json(&draft)?)?;
        Ok(draft)
    }

    /// Applies `change` to a ticket and queues the messages it returns, in one transaction. A ticket
    /// that stops being pending leaves the merge index.
    fn update(
        &self,
        id: u64,
        now_ms: i64,
        change: impl Fn(&mut Ticket) -> Result<Vec<OutboxItem>>,
    ) -> Result<Ticket> {
        let trees = (&self.tickets, &self.open_by_key, &self.outbox);
        unwrap_tx(trees.transaction(|(tickets, open, outbox)| {
            let mut t = tx_get(tickets, id)?;
            let was_pending = t.status.is_pending();
            let messages = change(&mut t).map_err(Abort::Abort)?;
            t.updated_ms = now_ms;
            if was_pending && !t.status.is_pending() {
                open.remove(open_key(t.platform, &t.group_id, &t.normalized))?;
            } else if !was_pending && t.status.is_pending() {
                open.insert(
                    open_key(t.platform, &t.group_id, &t.normalized),
                    &t.id.to_be_bytes(),
                )?;
            }
            tx_put(tickets, &t)?;
            for m in messages {
                tx_enqueue(outbox, m)?;
            }
            Ok(t)
        }))
    }
}

fn transition(t: &Ticket, action: &'static str) -> StoreError {
    StoreError::InvalidTransition {
        id: t.id,
        status: t.status.as_str(),
        action,
    }
}

fn push_event(t: &mut Ticket, at_ms: i64, actor: &str, action: &str, detail: &str) {
    t.history.push(Event {
        at_ms,
        actor: actor.to_owned(),
        action: action.to_owned(),
        detail: detail.to_owned(),
    });
}

fn new_ticket(id: u64, esc: &Escalation, now_ms: i64) -> Ticket {
    let mut t = Ticket {
        id,
        status: Status::Open,
        question: esc.asker.question.clone(),
        normalized: esc.normalized.clone(),
        platform: esc.platform,
        group_id: esc.group_id.clone(),
        group_title: esc.group_title.clone(),
        askers: vec![esc.asker.clone()],
        route: esc.route.clone(),
        guesses: esc.guesses.clone(),
        created_ms: now_ms,
        updated_ms: now_ms,
        claimed_by: None,
        answered_by: None,
        answer: None,
        closed_by: None,
        close_reason: None,
        delivery: Delivery::NotYet,
        last_reminder_ms: None,
        history: vec![],
    };
    push_event(
        &mut t,
        now_ms,
        &esc.asker.nick,
        "opened",
        &esc.asker.question,
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(msg: &str, who: &str, q: &str) -> Escalation {
        Escalation {
            seen_key: format!("dingtalk:{msg}"),
            seen_expires_ms: i64::MAX,
            platform: Platform::DingTalk,
            group_id: "cid1".into(),
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
                conversation_id: "cid1".into(),
                session_webhook: None,
                session_webhook_expires_ms: None,
            },
            guesses: vec![],
            limits: FloodLimits::NONE,
        }
    }

    #[tokio::test]
    async fn closed_tickets_past_retention_are_purged_and_numbering_goes_on() {
        let s = temporary();
        let no_text = |_: &Ticket, _: bool| String::new();
        let (a, _) = s
            .escalate(&esc("m1", "u1", "q1"), &[], 10, no_text)
            .unwrap();
        let (b, _) = s
            .escalate(&esc("m2", "u2", "q2"), &[], 10, no_text)
            .unwrap();
        s.close(a.id, "o", "done", 20).unwrap();
        assert_eq!(s.purge_closed(20).unwrap(), 0, "closed at the cutoff: kept");
        assert_eq!(s.purge_closed(21).unwrap(), 1);
        assert!(matches!(s.ticket(a.id), Err(StoreError::NotFound(_))));
        assert_eq!(
            s.ticket(b.id).unwrap().status,
            Status::Open,
            "open tickets stay"
        );
        let (c, _) = s
            .escalate(&esc("m3", "u3", "q3"), &[], 30, no_text)
            .unwrap();
        assert_eq!(c.id, 3);
    }

    #[tokio::test]
    async fn the_lifecycle_runs_open_claimed_answered_closed() {
        let s = temporary();
        let (t, merged) = s
            .escalate(
                &esc("m1", "u1", "房租能减免吗"),
                &["https://o".into()],
                10,
                |t, _| format!("#{}", t.id),
            )
            .unwrap();
        assert_eq!((t.id, merged, t.status), (1, false, Status::Open));
        assert_eq!(s.claim(1, "officer", 11).unwrap().status, Status::Claimed);
        let t = s
            .answer(1, "officer", "不在本厅职责范围", 12, |_| {
                "answer".into()
            })
            .unwrap();
        assert_eq!(
            (t.status, t.delivery.clone()),
            (Status::Answered, Delivery::Queued)
        );
        assert_eq!(
            s.close(1, "officer", "done", 13).unwrap().status,
            Status::Closed
        );
        assert_eq!(s.ticket(1).unwrap().history.len(), 4);
        assert_eq!(s.outbox_items().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn the_same_question_in_the_same_group_joins_the_open_ticket() {
        let s = temporary();
        s.escalate(&esc("m1", "u1", "房租能减免吗"), &[], 10, |_, _| {
            String::new()
        })
        .unwrap();
        let (t, merged) = s
            .escalate(&esc("m2", "u2", "房租能减免吗"), &[], 11, |_, _| {
                String::new()
            })
            .unwrap();
        assert!(merged);
        assert_eq!(t.askers.len(), 2);
        s.answer(1, "o", "a", 12, |_| "x".into()).unwrap();
        let (t, merged) = s
            .escalate(&esc("m3", "u3", "房租能减免吗"), &[], 13, |_, _| {
                String::new()
            })
            .unwrap();
        assert_eq!((t.id, merged), (2, false));
    }

    #[tokio::test]
    async fn a_redelivered_message_changes_nothing() {
        let s = temporary();
        s.escalate(&esc("m1", "u1", "q"), &[], 10, |_, _| String::new())
            .unwrap();
        let e = s
            .escalate(&esc("m1", "u1", "q"), &[], 10, |_, _| String::new())
            .unwrap_err();
        assert!(matches!(e, StoreError::Duplicate));
        assert_eq!(s.ticket(1).unwrap().askers.len(), 1);
    }

    #[tokio::test]
    async fn invalid_transitions_and_unknown_ids_are_refused() {
        let s = temporary();
        assert!(matches!(s.claim(7, "o", 1), Err(StoreError::NotFound(7))));
        s.escalate(&esc("m1", "u1", "q"), &[], 10, |_, _| String::new())
            .unwrap();
        s.close(1, "o", "r", 11).unwrap();
        assert!(matches!(
            s.claim(1, "o", 12),
            Err(StoreError::InvalidTransition { .. })
        ));
        assert_eq!(s.reopen(1, "o", 13).unwrap().status, Status::Open);
    }

    #[tokio::test]
    async fn overdue_tickets_are_reminded_once_per_period() {
        let s = temporary();
        s.escalate(&esc("m1", "u1", "q"), &[], 0, |_, _| String::new())
            .unwrap();
        let hooks = vec!["https://o".to_string()];
        assert!(
            s.remind_overdue(100, 50, &hooks, |_| "r".into())
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.remind_overdue(100, 100, &hooks, |_| "r".into()).unwrap(),
            vec![1]
        );
        assert!(
            s.remind_overdue(100, 150, &hooks, |_| "r".into())
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.remind_overdue(100, 200, &hooks, |_| "r".into()).unwrap(),
            vec![1]
        );
    }
}
