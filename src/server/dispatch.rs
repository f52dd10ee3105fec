//! What happens to one inbound message, whatever the platform: de-duplication, officer commands, picks
//! from numbered suggestions, then the matcher's decision.
//!
//! Durability: every change that matters after a crash (tickets, notifications, officer actions, clarify
//! state) is committed before this returns, so the caller may acknowledge the platform as soon as it has
//! the reply. A reply that only quotes the FAQ carries no such state: the answer travels in the response
//! itself and only the de-duplication record is written, which sled flushes within half a second. It is
//! not worth an fsync per answer (a third of the answering cost): if the bot dies inside that window, a
//! redelivery of the message is answered again, which is better than never. The same holds for the offer
//! of an officer after an answer that is not in force (“人工” then escalates the question): it is kept
//! like suggestions, but a crash within that half second only loses the shortcut.
//!
//! Measures are judged on `[knowledge] as_of` (read per message, so "today" moves on at midnight). The
//! FAQ snapshot is taken once per message, and everything about the message uses that one.

use super::{AppState, now_ms, officer};
use crate::faq::{Date, Entry};
use crate::knowledge;
use crate::matcher::{Decision, Outcome};
use crate::platform::Inbound;
use crate::reply;
use crate::snapshot::Snapshot;
use crate::store::{Asker, Escalation, FloodLimits, Guess, PendingClarify, StoreError};

/// The reply to send back in the platform's response.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    Reply {
        text: String,
        outcome: &'static str,
    },
    /// A redelivery of a message already handled: say nothing.
    Duplicate,
}

const TEXT_ONLY: &str = "暂只支持文字提问，请用文字描述您的问题。";
const THROTTLED: &str = "您和本群近期提交给工作人员的新问题较多，工作人员会先处理已有的工单，答复后会在群里通知。请稍后再提交新的问题。";
const NOT_AN_OFFICER: &str = "本群的工单指令仅限登记的工作人员使用。";

/// Officer commands need a registered officer as well as an officer group: a group id alone can be
/// named by anyone who can get a message to the bot.
fn is_officer(state: &AppState, msg: &Inbound) -> bool {
    !msg.sender_id.is_empty() && state.config.officers.staff_ids.contains(&msg.sender_id)
}

/// Handles one message. Errors are storage failures; the caller answers 503 and the platform retries.
pub async fn handle(state: &AppState, msg: Inbound) -> Result<Handled, StoreError> {
    let now = now_ms();
    let seen_key = format!("{}:{}", msg.platform.as_str(), msg.msg_id);
    let seen_expires = now + (state.config.server.dedupe_ttl_secs as i64) * 1000;
    if state.store.get()?.is_seen(&seen_key)? {
        return Ok(duplicate(state, &msg));
    }
    let Some(text) = msg.text.clone() else {
        return reply_once(
            state,
            &msg,
            &seen_key,
            seen_expires,
            TEXT_ONLY.to_owned(),
            "unsupported",
        );
    };
    if state
        .config
        .officers
        .groups
        .iter()
        .any(|g| g == &msg.group_id)
    {
        if !state.store.get()?.mark_seen(&seen_key, seen_expires)? {
            return Ok(duplicate(state, &msg));
        }
        if !is_officer(state, &msg) {
            tracing::warn!(group = %msg.group_id, "officer command from a sender not in officers.staff_ids");
            return Ok(Handled::Reply {
                text: NOT_AN_OFFICER.to_owned(),
                outcome: "refused",
            });
        }
        let store = state.store.get()?;
        let text = officer::execute(state, &store, &msg, &text, now);
        state.store.commit().await?;
        state.outbox_ready.notify_one();
        return Ok(Handled::Reply {
            text,
            outcome: "officer",
        });
    }
    let who = clarify_key(&msg);
    let on = state.config.knowledge.as_of.day();
    let kb = state.faq.current();
    match picked_entry(state, &kb, &who, &text, now)? {
        Some(Pick::Entry(e, question)) => {
            state.metrics.question(msg.platform, "answered");
            offer_officers(state, &who, &question, e, on, now)?;
            let text = reply::answer(&kb.base, e, on);
            return reply_once(state, &msg, &seen_key, seen_expires, text, "answered");
        }
        Some(Pick::OutOfRange(n)) => {
            let text = format!("请回复 1 到 {n} 之间的序号，或换个说法重新提问。");
            return reply_once(state, &msg, &seen_key, seen_expires, text, "clarify");
        }
        None => {}
    }
    if wants_human(&text) {
        // The suggestions offer "回复“人工”": escalate the question that was asked, not the word.
        if let Some(p) = state.store.get()?.take_clarify(&who, now)? {
            let decision = kb.decide(&p.question);
            state.metrics.question(msg.platform, "escalated");
            return escalate(
                state,
                &msg,
                &p.question,
                (&kb, &decision),
                seen_key,
                seen_expires,
                now,
            )
            .await;
        }
    }
    let started = std::time::Instant::now();
    let decision = kb.decide(&text);
    state.metrics.match_latency(started.elapsed());
    let decision = knowledge::review(state.config.knowledge, &kb, decision, on);
    state
        .metrics
        .question(msg.platform, decision.outcome.as_str());
    let second_escalated = decision
        .other
        .as_ref()
        .is_some_and(|o| o.outcome == Outcome::Escalated);
    match decision.outcome {
        Outcome::Answered if second_escalated => {
            escalate(
                state,
                &msg,
                &text,
                (&kb, &decision),
                seen_key,
                seen_expires,
                now,
            )
            .await
        }
        Outcome::Answered | Outcome::Smalltalk => {
            if let Some(e) = decision
                .best()
                .filter(|_| decision.outcome == Outcome::Answered)
                .and_then(|c| kb.entry(c.id.as_str()))
            {
                offer_officers(state, &who, &text, e, on, now)?;
            }
            let text = reply::render(&kb, &decision, None, on);
            reply_once(
                state,
                &msg,
                &seen_key,
                seen_expires,
                text,
                decision.outcome.as_str(),
            )
        }
        Outcome::Clarify => {
            if !state.store.get()?.mark_seen(&seen_key, seen_expires)? {
                return Ok(duplicate(state, &msg));
            }
            let pending = PendingClarify {
                faq_ids: decision
                    .candidates
                    .iter()
                    .map(|c| c.id.to_string())
                    .collect(),
                question: text.clone(),
                expires_ms: now + (state.config.server.clarify_ttl_secs as i64) * 1000,
            };
            state.store.get()?.put_clarify(&who, &pending)?;
            state.store.commit().await?;
            let text = reply::render(&kb, &decision, None, on);
            Ok(Handled::Reply {
                text,
                outcome: "clarify",
            })
        }
        Outcome::Escalated => {
            escalate(
                state,
                &msg,
                &text,
                (&kb, &decision),
                seen_key,
                seen_expires,
                now,
            )
            .await
        }
    }
}

/// After an answer not in force, remembers the question so that “人工” (which the reply offers) escalates
/// it: a pending clarify with nothing to pick. Not committed here (see the module doc).
fn offer_officers(
    state: &AppState,
    who: &str,
    question: &str,
    entry: &Entry,
    on: Date,
    now: i64,
) -> Result<(), StoreError> {
    if entry.timeline.status(on).in_force() {
        return Ok(());
    }
    let offer = PendingClarify {
        faq_ids: vec![],
        question: question.to_owned(),
        expires_ms: now + (state.config.server.clarify_ttl_secs as i64) * 1000,
    };
    state.store.get()?.put_clarify(who, &offer)
}

/// A reply that changes nothing but the de-duplication record (see the module doc on durability).
fn reply_once(
    state: &AppState,
    msg: &Inbound,
    seen_key: &str,
    expires: i64,
    text: String,
    outcome: &'static str,
) -> Result<Handled, StoreError> {
    if !state.store.get()?.mark_seen(seen_key, expires)? {
        return Ok(duplicate(state, msg));
    }
    Ok(Handled::Reply { text, outcome })
}

fn duplicate(state: &AppState, msg: &Inbound) -> Handled {
    state.metrics.duplicate(msg.platform);
    Handled::Duplicate
}

/// Opens (or joins) a ticket for `decision`, made by snapshot `kb`.
async fn escalate(
    state: &AppState,
    msg: &Inbound,
    text: &str,
    (kb, decision): (&Snapshot, &Decision),
    seen_key: String,
    seen_expires_ms: i64,
    now: i64,
) -> Result<Handled, StoreError> {
    let on = state.config.knowledge.as_of.day();
    let officers = &state.config.officers;
    // A message with two questions, one answered: the ticket is for the other one.
    let (text, asked) = match decision.other.as_deref() {
        Some(o) => (o.normalized.as_str(), o),
        None => (text, decision),
    };
    let esc = Escalation {
        seen_key,
        seen_expires_ms,
        platform: msg.platform,
        group_id: msg.group_id.clone(),
        group_title: msg.group_title.clone(),
        asker: Asker {
            id: msg.sender_id.clone(),
            nick: msg.sender_nick.clone(),
            question: text.to_owned(),
            asked_at_ms: now,
            msg_id: msg.msg_id.clone(),
        },
        normalized: asked.normalized.clone(),
        route: msg.route.clone(),
        guesses: guesses(kb, asked, on),
        limits: FloodLimits {
            per_sender_per_hour: officers.max_new_tickets_per_sender_per_hour as usize,
            per_group_per_hour: officers.max_new_tickets_per_group_per_hour as usize,
        },
    };
    let hooks = &officers.notify_webhooks;
    let result = state.store.get()?.escalate(&esc, hooks, now, |t, merged| {
        officer::notification(t, merged)
    });
    let (ticket, _) = match result {
        Err(StoreError::Duplicate) => return Ok(duplicate(state, msg)),
        Err(StoreError::Throttled) => {
            tracing::warn!(group = %msg.group_id, "new ticket refused: flood limit");
            state.metrics.question(msg.platform, "throttled");
            let (key, expires) = (&esc.seen_key, esc.seen_expires_ms);
            return reply_once(state, msg, key, expires, THROTTLED.to_owned(), "throttled");
        }
        other => other?,
    };
    state.store.commit().await?;
    state.outbox_ready.notify_one();
    Ok(Handled::Reply {
        // A two-question message: the answer to one and the ticket of the other, in one reply.
        text: match (decision.outcome, &decision.other) {
            (Outcome::Answered, Some(_)) => reply::render(kb, decision, Some(ticket.id), on),
            _ => reply::escalation(kb, decision, Some(ticket.id), on),
        },
        outcome: "escalated",
    })
}

/// The decision's candidates for the officers, each tagged if not in force on `on`.
fn guesses(kb: &Snapshot, decision: &Decision, on: Date) -> Vec<Guess> {
    decision
        .candidates
        .iter()
        .filter_map(|c| {
            let e = kb.entry(c.id.as_str())?;
            let tag = reply::notice::tag(e.timeline.status(on));
            Some(Guess {
                faq_id: e.id.clone(),
                question: format!("{}{tag}", e.question),
                score: c.score,
            })
        })
        .collect()
}

/// What a number sent after suggestions means.
enum Pick<'a> {
    /// The entry picked, and the question the suggestions were for.
    Entry(&'a Entry, String),
    /// A number beyond the `n` suggestions offered.
    OutOfRange(usize),
}

/// The entry picked by "1"/"2"/"3" from suggestions this sender was offered and that are still valid
/// (looked up by id in `kb`: an entry a reload removed since is no pick).
fn picked_entry<'a>(
    state: &AppState,
    kb: &'a Snapshot,
    who: &str,
    text: &str,
    now: i64,
) -> Result<Option<Pick<'a>>, StoreError> {
    let Some(pick) = pick_number(text) else {
        return Ok(None);
    };
    let Some(p) = state.store.get()?.take_clarify(who, now)? else {
        return Ok(None);
    };
    if p.faq_ids.is_empty() {
        // Only an offer of an officer: a number is a new question, the offer stays.
        state.store.get()?.put_clarify(who, &p)?;
        return Ok(None);
    }
    let Some(id) = p.faq_ids.get(pick - 1) else {
        // "3" when two were offered: keep the offer open for a valid pick.
        state.store.get()?.put_clarify(who, &p)?;
        return Ok(Some(Pick::OutOfRange(p.faq_ids.len())));
    };
    Ok(kb.entry(id).map(|e| Pick::Entry(e, p.question.clone())))
}

/// "1", "2", "3" (also "1.", "第2个", full width; any single digit, so a wrong pick can be refused) → the pick.
fn pick_number(text: &str) -> Option<usize> {
    let t = crate::text::normalize(text);
    let t = t.trim_matches(|c: char| c.is_whitespace() || "。.、,，!！第个条".contains(c));
    match t {
        "1" | "一" => Some(1),
        "2" | "二" => Some(2),
        "3" | "三" => Some(3),
        _ => t.parse().ok().filter(|n| (1..=9).contains(n)),
    }
}

/// "人工", "转人工" (also with punctuation or full width): the asker wants an officer.
fn wants_human(text: &str) -> bool {
    let t = crate::text::normalize(text);
    let t = t.trim_matches(|c: char| c.is_whitespace() || "。.!！".contains(c));
    matches!(t, "人工" | "转人工" | "找人工" | "人工服务")
}

fn clarify_key(msg: &Inbound) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}",
        msg.platform.as_str(),
        msg.group_id,
        msg.sender_id_or_nick()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_picks_are_recognised_in_their_usual_forms() {
        assert_eq!(pick_number("1"), Some(1));
        assert_eq!(pick_number("２"), Some(2));
        assert_eq!(pick_number("第3个"), Some(3));
        assert_eq!(pick_number(" 1。"), Some(1));
        assert_eq!(pick_number("12"), None);
        assert_eq!(pick_number("9"), Some(9));
        assert_eq!(pick_number("1号文件怎么说"), None);
    }

    #[test]
    fn requests_for_a_human_are_recognised() {
        assert!(wants_human("人工"));
        assert!(wants_human(" 转人工！"));
        assert!(!wants_human("人工智能有什么政策"));
    }
}
