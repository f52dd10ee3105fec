//! The decision: what to do with one message, given what the store said about it (whether suggestions
//! or an offer of an officer were waiting for its sender). Pure: it reads the config and one FAQ
//! snapshot (entries and matcher), writes nothing and sends nothing; `super::apply` carries the [`Plan`]
//! out. A question from a group configured as one place's (`[[groups]]`) is decided in that place.

use crate::config::{ChatPlatform, Config};
use crate::faq::{Date, Entry};
use crate::knowledge;
use crate::matcher::{Decision, Home, Outcome};
use crate::platform::{Inbound, Platform};
use crate::reply;
use crate::server::metrics::Counted;
use crate::server::officer::{self, Command};
use crate::snapshot::Snapshot;
use crate::store::{Durability, Guess, PendingClarify};
use std::time::Duration;

/// What a decision reads.
pub struct Context<'a> {
    pub config: &'a Config,
    /// The FAQ snapshot taken for this message: everything about it uses this one.
    pub kb: &'a Snapshot,
    /// The day measures are judged on.
    pub on: Date,
    pub now: i64,
    /// The place the message's group is configured as, in `kb`.
    pub home: Option<Home>,
}

/// What to do with a message.
pub struct Plan {
    pub act: Act,
    /// Suggestions or an offer of an officer to leave for the sender, replacing what was taken.
    pub remember: Option<(PendingClarify, Durability)>,
    /// What became of the question, for the metrics (counted once the message is handled).
    pub counted: Option<Counted>,
    /// How long the matcher took, when it ran.
    pub matched_in: Option<Duration>,
}

pub enum Act {
    /// Reply, recording the message as handled.
    Say(Say),
    /// A question for the officers: open or join a ticket, then reply with its number.
    Escalate(Box<Ask>),
}

/// A reply that opens no ticket.
pub enum Say {
    Text(String),
    /// An officer's command, from a registered officer in an officer group: its outcome.
    Officer(Command),
    /// A message in an officer group from someone who is not a registered officer.
    NotAnOfficer,
}

/// An escalated question.
pub struct Ask {
    /// The question the ticket is for, as asked.
    pub question: String,
    pub normalized: String,
    /// The matcher's candidates, as a head start for the officers.
    pub guesses: Vec<Guess>,
    /// The decision the reply is rendered from, once the ticket has its number.
    pub decision: Decision,
    /// True unless the asker insisted on an officer (“人工”): a repeat of a question the officers
    /// already answered then gets that answer instead of a ticket.
    pub reuse: bool,
}

impl Plan {
    fn new(act: Act) -> Plan {
        Plan {
            act,
            remember: None,
            counted: None,
            matched_in: None,
        }
    }

    fn reply(text: impl Into<String>) -> Plan {
        Plan::new(Act::Say(Say::Text(text.into())))
    }

    fn counted(self, outcome: Outcome) -> Plan {
        Plan {
            counted: Some(Counted::Matched(outcome)),
            ..self
        }
    }
}

/// A message that may answer what the bot offered its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// A number: a pick from suggestions.
    Pick(usize),
    /// “人工”: the question offered to an officer.
    Human,
}

/// What `msg` would mean if something was offered to its sender: then the offer is taken from the
/// store to decide. Only in user groups.
pub fn response(config: &Config, msg: &Inbound) -> Option<Response> {
    let text = msg
        .text
        .as_deref()
        .filter(|_| !in_officer_group(config, msg))?;
    match pick_number(text) {
        Some(n) => Some(Response::Pick(n)),
        None => wants_human(text).then_some(Response::Human),
    }
}

/// What to do with `msg`; `offered` is the message's [`response`] and what was waiting for its sender
/// (`None` when either is missing).
pub fn decide(cx: &Context, msg: &Inbound, offered: Option<(Response, PendingClarify)>) -> Plan {
    let Some(text) = msg.text.as_deref() else {
        return Plan::reply(reply::TEXT_ONLY);
    };
    if in_officer_group(cx.config, msg) {
        return officer_plan(cx.config, msg, text);
    }
    let mut put_back = None;
    if let Some((Response::Pick(n), p)) = offered.clone() {
        match pick(cx, p, n) {
            Picked::Entry(entry, question) => {
                let text = reply::answer(&cx.kb.base, entry, cx.on);
                let plan = Plan::reply(text).counted(Outcome::Answered);
                return Plan {
                    remember: offer_officers(cx, &question, entry),
                    ..plan
                };
            }
            Picked::OutOfRange(p) => {
                let plan = Plan::reply(reply::pick_out_of_range(p.faq_ids.len()));
                return Plan {
                    remember: Some((p, Durability::WriteBehind)),
                    ..plan
                };
            }
            // Only an offer of an officer: a number is a new question, the offer stays.
            Picked::NotAPick(p) => put_back = Some((p, Durability::WriteBehind)),
            Picked::Gone => {}
        }
    }
    if let Some((Response::Human, p)) = offered {
        // The suggestions offer "回复“人工”": escalate the question that was asked, not the word.
        let decision = cx.kb.decide_in(&p.question, cx.home);
        let mut plan = escalation(cx, &p.question, decision);
        if let Act::Escalate(ask) = &mut plan.act {
            ask.reuse = false;
        }
        return plan.counted(Outcome::Escalated);
    }
    let plan = matched(cx, text);
    Plan {
        remember: plan.remember.or(put_back),
        ..plan
    }
}

/// The place `msg`'s group is configured as, resolved in `kb` (which knows every configured place: a
/// snapshot that does not is never served).
pub fn home(config: &Config, kb: &Snapshot, msg: &Inbound) -> Option<Home> {
    let platform = match msg.platform {
        Platform::DingTalk => ChatPlatform::DingTalk,
        Platform::WeCom => ChatPlatform::WeCom,
    };
    kb.home(config.place_of(platform, &msg.group_id)?)
}

fn in_officer_group(config: &Config, msg: &Inbound) -> bool {
    config.officers.groups.iter().any(|g| g == &msg.group_id)
}

/// Officer commands need a registered officer as well as an officer group: a group id alone can be
/// named by anyone who can get a message to the bot.
fn officer_plan(config: &Config, msg: &Inbound, text: &str) -> Plan {
    let registered =
        !msg.sender_id.is_empty() && config.officers.staff_ids.contains(&msg.sender_id);
    Plan::new(Act::Say(match registered {
        true => Say::Officer(officer::parse(text)),
        false => Say::NotAnOfficer,
    }))
}

/// The matcher's decision on `text`, reviewed for measures not in force.
fn matched(cx: &Context, text: &str) -> Plan {
    let started = std::time::Instant::now();
    let decision = cx.kb.decide_in(text, cx.home);
    let matched_in = Some(started.elapsed());
    let decision = knowledge::review(cx.config.knowledge, cx.kb, decision, cx.on);
    let outcome = decision.outcome;
    let second_escalated = decision
        .other
        .as_ref()
        .is_some_and(|o| o.outcome == Outcome::Escalated);
    let plan = match decision.outcome {
        Outcome::Answered if second_escalated => escalation(cx, text, decision),
        Outcome::Escalated => escalation(cx, text, decision),
        Outcome::Answered | Outcome::Smalltalk => {
            let remember = decision
                .best()
                .filter(|_| decision.outcome == Outcome::Answered)
                .and_then(|c| cx.kb.entry(c.id.as_str()))
                .and_then(|e| offer_officers(cx, text, e));
            Plan {
                remember,
                ..Plan::reply(reply::render(cx.kb, &decision, None, cx.on))
            }
        }
        Outcome::Clarify => suggestions(cx, text, &decision),
    };
    Plan {
        matched_in,
        ..plan.counted(outcome)
    }
}

/// Numbered suggestions, remembered durably for the sender's pick.
fn suggestions(cx: &Context, text: &str, decision: &Decision) -> Plan {
    let pending = PendingClarify {
        faq_ids: decision
            .candidates
            .iter()
            .map(|c| c.id.to_string())
            .collect(),
        question: text.to_owned(),
        expires_ms: cx.now + clarify_ttl_ms(cx.config),
    };
    Plan {
        remember: Some((pending, Durability::Durable)),
        ..Plan::reply(reply::render(cx.kb, decision, None, cx.on))
    }
}

/// A question for the officers. A message with two questions, one answered: the ticket is for the
/// other one.
fn escalation(cx: &Context, text: &str, decision: Decision) -> Plan {
    let (question, asked) = match decision.other.as_deref() {
        Some(o) => (o.normalized.clone(), o),
        None => (text.to_owned(), &decision),
    };
    let ask = Ask {
        question,
        normalized: asked.normalized.clone(),
        guesses: guesses(cx, asked),
        decision: decision.clone(),
        reuse: true,
    };
    Plan::new(Act::Escalate(Box::new(ask)))
}

/// The decision's candidates for the officers, each tagged if not in force on the day.
fn guesses(cx: &Context, decision: &Decision) -> Vec<Guess> {
    decision
        .candidates
        .iter()
        .filter_map(|c| {
            let e = cx.kb.entry(c.id.as_str())?;
            let tag = reply::notice::tag(e.timeline.status(cx.on));
            Some(Guess {
                faq_id: e.id.clone(),
                question: format!("{}{tag}", e.question),
                score: c.score,
            })
        })
        .collect()
}

/// After an answer not in force, the question is remembered so that “人工” (which the reply offers)
/// escalates it: a pending clarify with nothing to pick, kept write-behind (a crash within sled's
/// write-back only loses the shortcut).
fn offer_officers(
    cx: &Context,
    question: &str,
    entry: &Entry,
) -> Option<(PendingClarify, Durability)> {
    if entry.timeline.status(cx.on).in_force() {
        return None;
    }
    let offer = PendingClarify {
        faq_ids: vec![],
        question: question.to_owned(),
        expires_ms: cx.now + clarify_ttl_ms(cx.config),
    };
    Some((offer, Durability::WriteBehind))
}

fn clarify_ttl_ms(config: &Config) -> i64 {
    (config.server.clarify_ttl_secs as i64) * 1000
}

/// What a number sent after suggestions means.
enum Picked<'a> {
    /// The entry picked, and the question the suggestions were for.
    Entry(&'a Entry, String),
    /// A number beyond the suggestions offered: they stay offered.
    OutOfRange(PendingClarify),
    /// Only an officer was offered: the number is a question of its own.
    NotAPick(PendingClarify),
    /// The entry picked is no longer in the base (a reload removed it).
    Gone,
}

fn pick<'a>(cx: &Context<'a>, p: PendingClarify, n: usize) -> Picked<'a> {
    if p.faq_ids.is_empty() {
        return Picked::NotAPick(p);
    }
    let Some(id) = p.faq_ids.get(n - 1) else {
        return Picked::OutOfRange(p);
    };
    match cx.kb.entry(id) {
        Some(e) => Picked::Entry(e, p.question),
        None => Picked::Gone,
    }
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
