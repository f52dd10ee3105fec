//! What happens to one inbound message, whatever the platform: de-duplication, officer commands, picks
//! from numbered suggestions, then the matcher's decision.
//!
//! Durability: every change that matters after a crash (tickets, notifications, officer actions, clarify
//! state) is committed before this returns, so the caller may acknowledge the platform as soon as it has
//! the reply. A reply that only quotes the FAQ carries no such state: the answer travels in the response
//! itself and only the de-duplication record is written, which sled flushes within half a second. It is
//! not worth an fsync per answer (a third of the answering cost): if the bot dies inside that window, a
//! redelivery of the message is answered again, which is better than never.

use super::{AppState, now_ms, officer};
use crate::matcher::Outcome;
use crate::reply;
use crate::store::{Asker, Escalation, Guess, PendingClarify, Platform, ReplyRoute, StoreError};

/// A message addressed to the bot, already verified and parsed.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub platform: Platform,
    pub msg_id: String,
    /// Conversation (DingTalk) or chat (WeCom) id; the sender's id in a 1:1 chat.
    pub group_id: String,
    pub group_title: String,
    /// Id to @ (DingTalk staff id / WeCom user id); may be empty for external members.
    pub sender_id: String,
    pub sender_nick: String,
    /// `None` for anything that is not text.
    pub text: Option<String>,
    pub route: ReplyRoute,
}

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

/// Handles one message. Errors are storage failures; the caller answers 500 and the platform retries.
pub async fn handle(state: &AppState, msg: Inbound) -> Result<Handled, StoreError> {
    let now = now_ms();
    let seen_key = format!("{}:{}", msg.platform.as_str(), msg.msg_id);
    let seen_expires = now + (state.config.server.dedupe_ttl_secs as i64) * 1000;
    if state.store.is_seen(&seen_key)? {
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
        if !state.store.mark_seen(&seen_key, seen_expires)? {
            return Ok(duplicate(state, &msg));
        }
        let text = officer::execute(state, &msg, &text, now);
        state.store.commit().await?;
        state.outbox_ready.notify_one();
        return Ok(Handled::Reply {
            text,
            outcome: "officer",
        });
    }
    let who = clarify_key(&msg);
    match picked_entry(state, &who, &text, now)? {
        Some(Pick::Entry(i)) => {
            state.metrics.question(msg.platform, "answered");
            let text = reply::answer(&state.base, i);
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
        if let Some(p) = state.store.take_clarify(&who, now)? {
            let decision = state.matcher.decide(&p.question);
            state.metrics.question(msg.platform, "escalated");
            return escalate(
                state,
                &msg,
                &p.question,
                &decision,
                seen_key,
                seen_expires,
                now,
            )
            .await;
        }
    }
    let started = std::time::Instant::now();
    let decision = state.matcher.decide(&text);
    state.metrics.match_latency(started.elapsed());
    state
        .metrics
        .question(msg.platform, decision.outcome.as_str());
    let second_escalated = decision
        .other
        .as_ref()
        .is_some_and(|o| o.outcome == Outcome::Escalated);
    match decision.outcome {
        Outcome::Answered if second_escalated => {
            escalate(state, &msg, &text, &decision, seen_key, seen_expires, now).await
        }
        Outcome::Answered | Outcome::Smalltalk => {
            let text = reply::render(&state.base, &decision, None);
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
            if !state.store.mark_seen(&seen_key, seen_expires)? {
                return Ok(duplicate(state, &msg));
            }
            let pending = PendingClarify {
                faq_ids: decision
                    .candidates
                    .iter()
                    .map(|c| state.base.entries[c.entry].id.clone())
                    .collect(),
                question: text.clone(),
                expires_ms: now + (state.config.server.clarify_ttl_secs as i64) * 1000,
            };
            state.store.put_clarify(&who, &pending)?;
            state.store.commit().await?;
            let text = reply::render(&state.base, &decision, None);
            Ok(Handled::Reply {
                text,
                outcome: "clarify",
            })
        }
        Outcome::Escalated => {
            escalate(state, &msg, &text, &decision, seen_key, seen_expires, now).await
        }
    }
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
    if !state.store.mark_seen(seen_key, expires)? {
        return Ok(duplicate(state, msg));
    }
    Ok(Handled::Reply { text, outcome })
}

fn duplicate(state: &AppState, msg: &Inbound) -> Handled {
    state.metrics.duplicate(msg.platform);
    Handled::Duplicate
}

async fn escalate(
    state: &AppState,
    msg: &Inbound,
    text: &str,
    decision: &crate::matcher::Decision,
    seen_key: String,
    seen_expires_ms: i64,
    now: i64,
) -> Result<Handled, StoreError> {
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
        guesses: asked
            .candidates
            .iter()
            .map(|c| Guess {
                faq_id: state.base.entries[c.entry].id.clone(),
                question: state.base.entries[c.entry].question.clone(),
                score: c.score,
            })
            .collect(),
    };
    let hooks = &state.config.officers.notify_webhooks;
    let result = state.store.escalate(&esc, hooks, now, |t, merged| {
        officer::notification(t, merged)
    });
    let (ticket, _) = match result {
        Err(StoreError::Duplicate) => return Ok(duplicate(state, msg)),
        other => other?,
    };
    state.store.commit().await?;
    state.outbox_ready.notify_one();
    Ok(Handled::Reply {
        text: match decision.outcome {
            Outcome::Answered => reply::render(&state.base, decision, Some(ticket.id)),
            _ => reply::escalation(&state.base, decision, Some(ticket.id)),
        },
        outcome: "escalated",
    })
}

/// What a number sent after suggestions means.
enum Pick {
    Entry(usize),
    /// A number beyond the `n` suggestions offered.
    OutOfRange(usize),
}

/// The entry picked by "1"/"2"/"3" from suggestions this sender was offered and that are still valid.
fn picked_entry(
    state: &AppState,
    who: &str,
    text: &str,
    now: i64,
) -> Result<Option<Pick>, StoreError> {
    let Some(pick) = pick_number(text) else {
        return Ok(None);
    };
    let Some(p) = state.store.take_clarify(who, now)? else {
        return Ok(None);
    };
    let Some(id) = p.faq_ids.get(pick - 1) else {
        // "3" when two were offered: keep the offer open for a valid pick.
        state.store.put_clarify(who, &p)?;
        return Ok(Some(Pick::OutOfRange(p.faq_ids.len())));
    };
    Ok(state
        .base
        .entries
        .iter()
        .position(|e| &e.id == id)
        .map(Pick::Entry))
}

/// "1", "2", "3" (also "1.", "第2个", full width; any single digit, so a wrong pick can be refused) → the pick.
fn pick_number(text: &str) -> Option<usize> {
    let t = crate::matcher::normalize::normalize(text);
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
    let t = crate::matcher::normalize::normalize(text);
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

impl Inbound {
    /// The sender id, or the nick when the platform gave no id (external members).
    pub fn sender_id_or_nick(&self) -> &str {
        if self.sender_id.is_empty() {
            &self.sender_nick
        } else {
            &self.sender_id
        }
    }
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
