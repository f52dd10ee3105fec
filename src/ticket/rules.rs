//! The ticket rules, as pure functions on a ticket: which changes each state allows, what each change
//! records in the history, and the messages it causes (who is notified, whom an answer @-mentions,
//! how a long message is split). No I/O and no clock: the service reads, applies one of these, saves.

use super::ServiceError;
use crate::reply::officer as words;
use crate::store::{Draft, Effects, OutboxItem, Status, Target, Ticket};
use url::Url;

fn push_event(t: &mut Ticket, at_ms: i64, actor: &str, action: &str, detail: &str) {
    t.history.push(crate::store::Event {
        at_ms,
        actor: actor.to_owned(),
        action: action.to_owned(),
        detail: detail.to_owned(),
    });
}

fn refused(t: &Ticket, action: &'static str) -> ServiceError {
    ServiceError::Refused {
        id: t.id,
        status: t.status,
        action,
    }
}

/// An open ticket becomes claimed by `officer`.
pub fn claim(t: &mut Ticket, officer: &str, now: i64) -> Result<Effects, ServiceError> {
    if t.status != Status::Open {
        return Err(refused(t, "claim"));
    }
    t.status = Status::Claimed;
    t.claimed_by = Some(officer.to_owned());
    push_event(t, now, officer, "claimed", "");
    Ok(Effects::default())
}

/// A pending ticket is answered with `text`, posted into the originating group @-ing every asker once.
pub fn answer(
    t: &mut Ticket,
    officer: &str,
    text: &str,
    now: i64,
) -> Result<Effects, ServiceError> {
    if !t.status.is_pending() {
        return Err(refused(t, "answer"));
    }
    t.status = Status::Answered;
    t.answered_by = Some(officer.to_owned());
    t.answer = Some(text.to_owned());
    t.delivery = crate::store::Delivery::Queued;
    push_event(t, now, officer, "answered", text);
    let target = Target::Group(t.route.clone());
    let messages = parts(target, &words::answer_text(t), mentions(t), Some(t.id), now);
    Ok(Effects {
        messages,
        draft: None,
    })
}

/// [`answer`] with an FAQ entry's `quote`; the ticket's questions become draft phrasings for `faq_id`.
pub fn teach(
    t: &mut Ticket,
    officer: &str,
    (faq_id, quote): (&str, &str),
    now: i64,
) -> Result<Effects, ServiceError> {
    let mut effects = answer(t, officer, quote, now)?;
    effects.draft = Some(Draft {
        faq_id: Some(faq_id.to_owned()),
        answer: String::new(),
        ..draft_of(t, officer, now)
    });
    Ok(effects)
}

/// A ticket that is not closed is closed with `reason` (nothing is posted to the group).
pub fn close(
    t: &mut Ticket,
    officer: &str,
    reason: &str,
    now: i64,
) -> Result<Effects, ServiceError> {
    if t.status == Status::Closed {
        return Err(refused(t, "close"));
    }
    t.status = Status::Closed;
    t.closed_by = Some(officer.to_owned());
    t.close_reason = Some(reason.to_owned());
    push_event(t, now, officer, "closed", reason);
    Ok(Effects::default())
}

/// An answered or closed ticket is open again.
pub fn reopen(t: &mut Ticket, officer: &str, now: i64) -> Result<Effects, ServiceError> {
    if t.status.is_pending() {
        return Err(refused(t, "reopen"));
    }
    t.status = Status::Open;
    push_event(t, now, officer, "reopened", "");
    Ok(Effects::default())
}

/// A ticket with an answer becomes a draft FAQ entry for review (`入库`).
pub fn draft(t: &mut Ticket, officer: &str, now: i64) -> Result<Effects, ServiceError> {
    if t.answer.is_none() {
        return Err(refused(t, "make a draft of (no answer yet)"));
    }
    let draft = draft_of(t, officer, now);
    push_event(t, now, officer, "drafted as FAQ entry", "");
    Ok(Effects {
        messages: vec![],
        draft: Some(draft),
    })
}

fn draft_of(t: &Ticket, officer: &str, now: i64) -> Draft {
    Draft {
        ticket: t.id,
        faq_id: None,
        question: t.question.clone(),
        alternates: t.askers.iter().map(|a| a.question.clone()).collect(),
        answer: t.answer.clone().unwrap_or_default(),
        officer: officer.to_owned(),
        created_ms: now,
    }
}

/// True when a pending ticket has waited `sla_ms` and was not reminded of within the last `sla_ms`.
pub fn overdue(t: &Ticket, sla_ms: i64, now: i64) -> bool {
    t.status.is_pending()
        && now - t.created_ms >= sla_ms
        && t.last_reminder_ms.is_none_or(|r| now - r >= sla_ms)
}

/// An overdue ticket: every officer webhook is reminded of it.
pub fn remind(
    t: &mut Ticket,
    hooks: &[Url],
    sla_ms: i64,
    now: i64,
) -> Result<Effects, ServiceError> {
    if !overdue(t, sla_ms, now) {
        return Err(refused(t, "remind of (not overdue)"));
    }
    t.last_reminder_ms = Some(now);
    push_event(t, now, "bot", "sla reminder", "");
    Ok(Effects {
        messages: to_officers(hooks, &words::reminder(t, now), now),
        draft: None,
    })
}

/// Every officer webhook is told of a new ticket, or of an asker who joined one.
pub fn notices(hooks: &[Url], t: &Ticket, joined: bool, now: i64) -> Vec<OutboxItem> {
    if hooks.is_empty() {
        // Nobody to tell: the words are not worth putting together.
        return vec![];
    }
    to_officers(hooks, &words::notification(t, joined), now)
}

/// Every officer webhook is told when a ticket's answer could not be delivered into its group (not
/// when a message to the officers failed, nor a reply part outside any ticket).
pub fn undeliverable(hooks: &[Url], item: &OutboxItem, error: &str, now: i64) -> Vec<OutboxItem> {
    match (item.ticket, &item.target) {
        (Some(ticket), Target::Group(_)) => {
            to_officers(hooks, &words::delivery_failed(ticket, error), now)
        }
        _ => vec![],
    }
}

fn to_officers(hooks: &[Url], text: &str, now: i64) -> Vec<OutboxItem> {
    let to = |url: &Url| Target::OfficerWebhook {
        url: url.as_str().to_owned(),
    };
    hooks
        .iter()
        .map(|u| OutboxItem::new(to(u), text.to_owned(), vec![], None, now))
        .collect()
}

/// One @ per person, even when someone asked more than once; askers without an id cannot be @-ed.
fn mentions(t: &Ticket) -> Vec<String> {
    let mut mention: Vec<String> = Vec::new();
    for a in &t.askers {
        if !a.id.is_empty() && !mention.contains(&a.id) {
            mention.push(a.id.clone());
        }
    }
    mention
}

/// A message for `target` as outbox items that each fit the route's text limit (see
/// [`ReplyRoute::split`](crate::platform::ReplyRoute::split)), so that each part is sent, retried and rate-limited on its own and never posted twice. The first
/// part carries the mentions; every part but the last says more follow.
fn parts(
    target: Target,
    text: &str,
    mention: Vec<String>,
    ticket: Option<u64>,
    now: i64,
) -> Vec<OutboxItem> {
    let pieces = match &target {
        Target::Group(route) | Target::Reply(route) => route.split(text),
        Target::OfficerWebhook { .. } => vec![text.to_owned()],
    };
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| OutboxItem {
            more_parts: i + 1 < n,
            ..OutboxItem::new(
                target.clone(),
                piece,
                if i == 0 { mention.clone() } else { vec![] },
                ticket,
                now,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{Platform, ReplyRoute};
    use crate::store::{Asker, Delivery};

    fn ticket(askers: &[&str]) -> Ticket {
        let asker = |id: &&str| Asker {
            id: id.to_string(),
            nick: format!("nick-{id}"),
            question: "房租能减免吗".into(),
            asked_at_ms: 0,
            msg_id: "m".into(),
        };
        Ticket {
            id: 7,
            status: Status::Open,
            question: "房租能减免吗".into(),
            normalized: "房租能减免吗".into(),
            platform: Platform::WeCom,
            group_id: "g".into(),
            group_title: "企业服务群".into(),
            askers: askers.iter().map(asker).collect(),
            route: ReplyRoute::WeCom {
                webhook_url: Some("https://qyapi.example/hook".into()),
                chat_id: Some("g".into()),
            },
            guesses: vec![],
            created_ms: 0,
            updated_ms: 0,
            claimed_by: None,
            answered_by: None,
            answer: None,
            closed_by: None,
            close_reason: None,
            delivery: Delivery::NotYet,
            last_reminder_ms: None,
            history: vec![],
        }
    }

    #[test]
    fn the_lifecycle_runs_open_claimed_answered_closed_and_reopens() {
        let mut t = ticket(&["u1"]);
        claim(&mut t, "o", 1).unwrap();
        assert!(matches!(
            claim(&mut t, "o", 2),
            Err(ServiceError::Refused {
                id: 7,
                status: Status::Claimed,
                ..
            })
        ));
        let e = answer(&mut t, "o", "请咨询属地。", 3).unwrap();
        assert_eq!(
            (t.status, &t.delivery),
            (Status::Answered, &Delivery::Queued)
        );
        assert_eq!(e.messages.len(), 1);
        assert!(answer(&mut t, "o", "again", 4).is_err());
        close(&mut t, "o", "done", 5).unwrap();
        assert!(close(&mut t, "o", "done", 6).is_err());
        reopen(&mut t, "o", 7).unwrap();
        assert!(reopen(&mut t, "o", 8).is_err());
        let actions: Vec<&str> = t.history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["claimed", "answered", "closed", "reopened"]);
    }

    #[test]
    fn an_answer_mentions_each_asker_once_and_splits_for_wecom() {
        let mut t = ticket(&["u1", "u2", "u1", ""]);
        let long = "很长的答复。".repeat(200);
        let e = answer(&mut t, "o", &long, 3).unwrap();
        assert!(e.messages.len() > 1, "split at WeCom's 2048 bytes");
        assert_eq!(e.messages[0].mention, ["u1", "u2"]);
        assert!(e.messages[1..].iter().all(|m| m.mention.is_empty()));
        let more: Vec<bool> = e.messages.iter().map(|m| m.more_parts).collect();
        assert_eq!(more.last(), Some(&false));
        assert!(more[..more.len() - 1].iter().all(|m| *m));
        assert!(e.messages.iter().all(|m| m.text.len() <= 2048));
    }

    #[test]
    fn a_draft_needs_an_answer_and_teaching_drafts_phrasings() {
        let mut t = ticket(&["u1"]);
        assert!(draft(&mut t, "o", 1).is_err());
        let e = teach(&mut t, "o", ("fg-x", "引用原文"), 2).unwrap();
        let d = e.draft.unwrap();
        assert_eq!((d.faq_id.as_deref(), d.answer.as_str()), (Some("fg-x"), ""));
        assert_eq!(t.answer.as_deref(), Some("引用原文"));
        let d = draft(&mut t, "o", 3).unwrap().draft.unwrap();
        assert_eq!((d.faq_id, d.answer.as_str()), (None, "引用原文"));
    }

    #[test]
    fn overdue_tickets_are_reminded_once_per_period() {
        let hooks = vec![Url::parse("https://o").unwrap()];
        let mut t = ticket(&["u1"]);
        assert!(!overdue(&t, 100, 50));
        assert_eq!(remind(&mut t, &hooks, 100, 100).unwrap().messages.len(), 1);
        assert!(!overdue(&t, 100, 150));
        assert!(overdue(&t, 100, 200));
        t.status = Status::Answered;
        assert!(!overdue(&t, 100, 300), "answered tickets wait for nobody");
    }

    #[test]
    fn only_an_undeliverable_answer_is_reported_to_the_officers() {
        let hooks = vec![
            Url::parse("https://o1").unwrap(),
            Url::parse("https://o2").unwrap(),
        ];
        let t = ticket(&["u1"]);
        let group = Target::Group(t.route.clone());
        let answer = OutboxItem::new(group.clone(), "a".into(), vec![], Some(7), 0);
        let part = OutboxItem::new(group, "a".into(), vec![], None, 0);
        let notice = to_officers(&hooks, "n", 0).remove(0);
        assert_eq!(undeliverable(&hooks, &answer, "boom", 1).len(), 2);
        assert!(undeliverable(&hooks, &part, "boom", 1).is_empty());
        assert!(undeliverable(&hooks, &notice, "boom", 1).is_empty());
    }
}
