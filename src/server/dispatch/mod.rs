//! What happens to one inbound message, whatever the platform: what the store knows about it is read
//! (already handled? suggestions waiting for its sender?), `decide` makes a pure decision, and `apply`
//! carries it out: `answer` records the message as handled, or the ticket's transaction does when the
//! message opens or joins a ticket.
//!
//! Durability: every change that matters after a crash (tickets, notifications, officer actions,
//! suggestions offered) is durable before this returns, so the caller may acknowledge the platform as
//! soon as it has the reply. A reply that only quotes the FAQ carries no such state: the answer travels
//! in the response itself and only the de-duplication record is written, write-behind (see
//! [`crate::store::Database::mark_seen`]).
//!
//! Measures are judged on `[knowledge] as_of` (read per message, so "today" moves on at midnight). The
//! FAQ snapshot is taken once per message, and everything about the message uses that one.

mod decide;

use super::metrics::Counted;
use super::{AppState, now_ms, officer};
use crate::matcher::Outcome;
use crate::platform::Inbound;
use crate::reply;
use crate::snapshot::Snapshot;
use crate::store::{Asker, Durability, Escalated, Escalation, PendingClarify, StoreError};
use decide::{Act, Ask, Context, Plan, Say};
use tracing::instrument;

/// The reply to send back in the platform's response.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    Reply {
        text: String,
    },
    /// A redelivery of a message already handled: say nothing.
    Duplicate,
}

/// The de-duplication record of a message.
struct Seen {
    key: String,
    expires_ms: i64,
}

/// Handles one message. Errors are storage failures; the caller answers 503 and the platform retries.
#[instrument(skip_all, fields(platform = msg.platform.as_str(), msg_id = %msg.msg_id))]
pub async fn handle(state: &AppState, msg: Inbound) -> Result<Handled, StoreError> {
    let now = now_ms();
    let seen = Seen {
        key: format!("{}:{}", msg.platform.as_str(), msg.msg_id),
        expires_ms: now + (state.config.server.dedupe_ttl_secs as i64) * 1000,
    };
    if state.store.is_seen(&seen.key).await? {
        return Ok(duplicate(state, &msg));
    }
    let offered = match decide::response(&state.config, &msg) {
        Some(r) => state
            .store
            .take_clarify(&clarify_key(&msg), now)
            .await?
            .map(|p| (r, p)),
        None => None,
    };
    let kb = state.faq.current();
    let cx = Context {
        config: &state.config,
        kb: &kb,
        on: state.config.knowledge.as_of.day(),
        now,
        home: decide::home(&state.config, &kb, &msg),
    };
    let plan = decide::decide(&cx, &msg, offered);
    apply(state, (&msg, &kb), plan, seen, now).await
}

/// Carries out a plan.
async fn apply(
    state: &AppState,
    (msg, kb): (&Inbound, &Snapshot),
    plan: Plan,
    seen: Seen,
    now: i64,
) -> Result<Handled, StoreError> {
    if let Some(d) = plan.matched_in {
        state.metrics.match_latency(d);
    }
    // Boxed: a ticket change's future is large, and the futures of every message (most of them
    // answers) would otherwise carry its size, copied as they are moved (measured with callgrind:
    // twice the memcpy per answered question).
    match plan.act {
        Act::Escalate(ask) => {
            Box::pin(escalate(state, (msg, kb), *ask, plan.counted, seen, now)).await
        }
        Act::Say(say) => {
            let reply = Reply {
                say,
                remember: plan.remember,
                counted: plan.counted,
            };
            answer(state, msg, reply, seen, now).await
        }
    }
}

/// A reply that opens no ticket, with what it leaves for the sender and how its question is counted.
struct Reply {
    say: Say,
    remember: Option<(PendingClarify, Durability)>,
    counted: Option<Counted>,
}

/// Records the message as handled (unless it was already: then nothing else happens), counts its
/// question, leaves what the plan offers the sender, and replies. Every message that opens no ticket
/// goes through here.
async fn answer(
    state: &AppState,
    msg: &Inbound,
    reply: Reply,
    seen: Seen,
    now: i64,
) -> Result<Handled, StoreError> {
    if !state.store.mark_seen(&seen.key, seen.expires_ms).await? {
        return Ok(duplicate(state, msg));
    }
    if let Some(outcome) = reply.counted {
        state.metrics.question(msg.platform, outcome);
    }
    if let Some((pending, durability)) = reply.remember {
        let who = clarify_key(msg);
        state.store.put_clarify(&who, pending, durability).await?;
    }
    let text = match reply.say {
        Say::Text(text) => text,
        Say::NotAnOfficer => {
            tracing::warn!(group = %msg.group_id, "officer command from a sender not in officers.staff_ids");
            reply::officer::NOT_AN_OFFICER.to_owned()
        }
        Say::Officer(command) => {
            let name = format!("{}({})", msg.sender_nick, msg.sender_id_or_nick());
            Box::pin(officer::run(state, &name, command, now)).await?
        }
    };
    Ok(Handled::Reply { text })
}

/// Opens or joins a ticket; the message is recorded in the ticket's transaction (so concurrent
/// redeliveries open one ticket), and its question counted as `counted`. Beyond the flood limits the
/// asker is told so instead, and the question counted as throttled.
async fn escalate(
    state: &AppState,
    (msg, kb): (&Inbound, &Snapshot),
    ask: Ask,
    counted: Option<Counted>,
    seen: Seen,
    now: i64,
) -> Result<Handled, StoreError> {
    if ask.reuse
        && let Some(before) = state.tickets.answered_before(&ask.normalized).await?
    {
        return Box::pin(repeated(state, msg, (&ask, &before), counted, seen, now)).await;
    }
    let esc = Escalation {
        seen_key: seen.key.clone(),
        seen_expires_ms: seen.expires_ms,
        platform: msg.platform,
        group_id: msg.group_id.clone(),
        group_title: msg.group_title.clone(),
        asker: Asker {
            id: msg.sender_id.clone(),
            nick: msg.sender_nick.clone(),
            question: ask.question,
            asked_at_ms: now,
            msg_id: msg.msg_id.clone(),
        },
        normalized: ask.normalized,
        route: msg.route.clone(),
        guesses: ask.guesses,
    };
    let ticket = match state.tickets.escalate(esc, now).await? {
        Escalated::Opened(t) | Escalated::Joined(t) => t,
        Escalated::Duplicate => return Ok(duplicate(state, msg)),
        Escalated::Throttled => {
            tracing::warn!(group = %msg.group_id, "new ticket refused: flood limit");
            let reply = Reply {
                say: Say::Text(reply::THROTTLED.to_owned()),
                remember: None,
                counted: Some(Counted::Throttled),
            };
            return answer(state, msg, reply, seen, now).await;
        }
    };
    if let Some(outcome) = counted {
        state.metrics.question(msg.platform, outcome);
    }
    let (d, on) = (&ask.decision, state.config.knowledge.as_of.day());
    let ticketed = Some(reply::Ticketed {
        id: ticket.id,
        within: officers_see_tickets(&state.config).then_some(state.config.officers.sla),
    });
    Ok(Handled::Reply {
        // A two-question message: the answer to one and the ticket of the other, in one reply.
        text: match (d.outcome, &d.other) {
            (Outcome::Answered, Some(_)) => reply::render(kb, d, ticketed, on),
            _ => reply::escalation(kb, d, ticketed, on),
        },
    })
}

/// A question the officers already answered: their answer again, and “人工” offered for a case that
/// differs.
async fn repeated(
    state: &AppState,
    msg: &Inbound,
    (ask, before): (&Ask, &crate::store::Ticket),
    counted: Option<Counted>,
    seen: Seen,
    now: i64,
) -> Result<Handled, StoreError> {
    tracing::info!(
        ticket = before.id,
        "a repeat of an answered question: its answer again"
    );
    let text = reply::officer::repeated_answer(before);
    let offer = PendingClarify {
        faq_ids: vec![],
        question: ask.question.clone(),
        expires_ms: now + (state.config.server.clarify_ttl_secs as i64) * 1000,
    };
    let reply = Reply {
        say: Say::Text(text),
        remember: Some((offer, Durability::WriteBehind)),
        counted,
    };
    answer(state, msg, reply, seen, now).await
}

/// True when some officer can see a new ticket: a webhook announces it, officers can list it in their
/// group, or the admin API is on.
fn officers_see_tickets(c: &crate::config::Config) -> bool {
    let o = &c.officers;
    !o.notify_webhooks.is_empty()
        || (!o.groups.is_empty() && !o.staff_ids.is_empty())
        || c.server.admin_token.is_set()
}

fn duplicate(state: &AppState, msg: &Inbound) -> Handled {
    state.metrics.duplicate(msg.platform);
    Handled::Duplicate
}

/// Whose suggestions: one sender in one group.
fn clarify_key(msg: &Inbound) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}",
        msg.platform.as_str(),
        msg.group_id,
        msg.sender_id_or_nick()
    )
}
