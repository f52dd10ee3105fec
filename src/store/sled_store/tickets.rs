//! Tickets on sled: escalation (de-duplication, merging into the open ticket, numbering, flood limits and
//! officer digests in one transaction) and saving a changed ticket with its effects.

use super::*;
use crate::platform::Platform;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError as Abort, TransactionalTree};

/// Officer notifications waiting to be sent are extended with new ones up to this many bytes, so a
/// burst of tickets reaches the officers as a few digests, not one rate-limited message each.
const DIGEST_MAX_BYTES: usize = 1800;
const HOUR_MS: i64 = 3_600_000;

type TxResult<T> = std::result::Result<T, Abort<StoreError>>;

/// Ends a transaction with an outcome that writes nothing.
enum Stop {
    Duplicate,
    Throttled,
}

fn open_key(platform: Platform, group: &str, normalized: &str) -> Vec<u8> {
    format!("{}\u{1f}{group}\u{1f}{normalized}", platform.as_str()).into_bytes()
}

fn tx_get(tree: &TransactionalTree, id: u64) -> TxResult<Option<Ticket>> {
    match tree.get(id.to_be_bytes())? {
        Some(v) => from_json(&v).map(Some).map_err(Abort::Abort),
        None => Ok(None),
    }
}

fn tx_put(tree: &TransactionalTree, t: &Ticket) -> TxResult<()> {
    tree.insert(&t.id.to_be_bytes(), to_json(t).map_err(Abort::Abort)?)?;
    Ok(())
}

pub(super) fn tx_enqueue(outbox: &TransactionalTree, item: &OutboxItem) -> TxResult<u64> {
    let id = outbox.generate_id()?;
    let item = OutboxItem { id, ..item.clone() };
    outbox.insert(&id.to_be_bytes(), to_json(&item).map_err(Abort::Abort)?)?;
    Ok(id)
}

/// The meta key naming the officer webhook's digest that is still open for additions.
pub(super) fn digest_key(url: &str) -> Vec<u8> {
    use sha2::Digest;
    let mut key = b"digest:".to_vec();
    key.extend_from_slice(&sha2::Sha256::digest(url.as_bytes()));
    key
}

/// Queues `item`; a message to an officer webhook is appended to the webhook's digest that has not been
/// picked up for sending yet, if it has room, else starts a new digest.
fn tx_notify(
    outbox: &TransactionalTree,
    meta: &TransactionalTree,
    item: &OutboxItem,
) -> TxResult<()> {
    let Target::OfficerWebhook { url } = &item.target else {
        tx_enqueue(outbox, item)?;
        return Ok(());
    };
    let key = digest_key(url);
    if let Some(id) = meta.get(&key)?
        && let Some(v) = outbox.get(&id)?
    {
        let mut open: OutboxItem = from_json(&v).map_err(Abort::Abort)?;
        if open.attempts == 0 && open.text.len() + item.text.len() + 2 <= DIGEST_MAX_BYTES {
            open.text = format!("{}\n\n{}", open.text, item.text);
            outbox.insert(&id, to_json(&open).map_err(Abort::Abort)?)?;
            return Ok(());
        }
    }
    let id = tx_enqueue(outbox, item)?;
    meta.insert(key, &id.to_be_bytes())?;
    Ok(())
}

/// Counts a new ticket against the sender's and the group's hourly limits; false when over either.
fn tx_count_new_ticket(
    floods: &TransactionalTree,
    (esc, limits): (&Escalation, FloodLimits),
    now_ms: i64,
) -> TxResult<bool> {
    let group = format!("g\u{1f}{}\u{1f}{}", esc.platform.as_str(), esc.group_id);
    let sender = format!("{group}\u{1f}{}", esc.asker.id_or_nick());
    let limits = [
        (group, limits.per_group_per_hour),
        (sender, limits.per_sender_per_hour),
    ];
    let mut updated = Vec::new();
    for (key, limit) in limits {
        let mut times: Vec<i64> = match floods.get(key.as_bytes())? {
            Some(v) => from_json(&v).map_err(Abort::Abort)?,
            None => Vec::new(),
        };
        times.retain(|t| now_ms - t < HOUR_MS);
        if times.len() >= limit {
            return Ok(false);
        }
        times.push(now_ms);
        updated.push((key, times));
    }
    for (key, times) in updated {
        floods.insert(key.as_bytes(), to_json(&times).map_err(Abort::Abort)?)?;
    }
    Ok(true)
}

pub(super) fn escalate(
    s: &SledStore,
    (esc, limits): (&Escalation, FloodLimits),
    now_ms: i64,
    notices: &dyn Fn(&Ticket, bool) -> Vec<OutboxItem>,
) -> Result<Escalated> {
    let key = open_key(esc.platform, &esc.group_id, &esc.normalized);
    let trees = (
        &s.seen,
        &s.tickets,
        &s.open_by_key,
        &s.outbox,
        &s.meta,
        &s.floods,
    );
    let r = trees.transaction(|(seen, tickets, open, outbox, meta, floods)| {
        if seen.get(esc.seen_key.as_bytes())?.is_some() {
            return Ok(Err(Stop::Duplicate));
        }
        let joined = match open.get(&key)? {
            Some(id) => tx_get(tickets, decode_u64(&id))?,
            None => None,
        };
        let (ticket, joined) = match joined {
            Some(t) => (join(t, esc, now_ms), true),
            None => {
                if !tx_count_new_ticket(floods, (esc, limits), now_ms)? {
                    return Ok(Err(Stop::Throttled));
                }
                let id = meta.get(NEXT_TICKET)?.map_or(1, |v| decode_u64(&v));
                meta.insert(NEXT_TICKET, &(id + 1).to_be_bytes())?;
                open.insert(key.as_slice(), &id.to_be_bytes())?;
                (new_ticket(id, esc, now_ms), false)
            }
        };
        seen.insert(esc.seen_key.as_bytes(), &esc.seen_expires_ms.to_be_bytes())?;
        tx_put(tickets, &ticket)?;
        for item in notices(&ticket, joined) {
            tx_notify(outbox, meta, &item)?;
        }
        Ok(Ok((ticket, joined)))
    });
    Ok(match unwrap_tx(r)? {
        Ok((t, true)) => Escalated::Joined(t),
        Ok((t, false)) => Escalated::Opened(t),
        Err(Stop::Duplicate) => Escalated::Duplicate,
        Err(Stop::Throttled) => Escalated::Throttled,
    })
}

pub(super) fn save(
    s: &SledStore,
    before: &Ticket,
    after: &Ticket,
    effects: &Effects,
) -> Result<bool> {
    debug_assert_eq!(before.id, after.id);
    let trees = (&s.tickets, &s.open_by_key, &s.outbox, &s.drafts);
    unwrap_tx(trees.transaction(|(tickets, open, outbox, drafts)| {
        if tx_get(tickets, before.id)?.as_ref() != Some(before) {
            return Ok(false);
        }
        let key = open_key(after.platform, &after.group_id, &after.normalized);
        match (before.status.is_pending(), after.status.is_pending()) {
            (true, false) => {
                open.remove(key)?;
            }
            (false, true) => {
                open.insert(key, &after.id.to_be_bytes())?;
            }
            _ => {}
        }
        tx_put(tickets, after)?;
        for m in &effects.messages {
            tx_enqueue(outbox, m)?;
        }
        if effects.drop_draft {
            drafts.remove(&after.id.to_be_bytes())?;
        }
        if let Some(d) = &effects.draft {
            drafts.insert(&d.ticket.to_be_bytes(), to_json(d).map_err(Abort::Abort)?)?;
        }
        Ok(true)
    }))
}

fn join(mut t: Ticket, esc: &Escalation, now_ms: i64) -> Ticket {
    t.askers.push(esc.asker.clone());
    t.route = esc.route.clone();
    t.updated_ms = now_ms;
    t.history.push(Event {
        at_ms: now_ms,
        actor: esc.asker.nick.clone(),
        action: "joined".to_owned(),
        detail: esc.asker.question.clone(),
    });
    t
}

fn new_ticket(id: u64, esc: &Escalation, now_ms: i64) -> Ticket {
    Ticket {
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
        history: vec![Event {
            at_ms: now_ms,
            actor: esc.asker.nick.clone(),
            action: "opened".to_owned(),
            detail: esc.asker.question.clone(),
        }],
    }
}
