//! The ticket rules, as pure functions on a ticket: which changes each state allows, what each change
//! records in the history, and the messages it causes (who is notified, whom an answer @-mentions,
//! how a long message is split). No I/O and no clock: the service reads, applies one of these, saves.

use super::{ServiceError, Undelivered};
use crate::platform::Addressee;
use crate::reply::officer as words;
use crate::sanitize::{NAME_CHARS, user_text};
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

/// An open ticket becomes claimed by `officer`. A claim is respected: another officer may answer or
/// close it only after taking it over ([`take_over`]).
pub fn claim(t: &mut Ticket, officer: &str, now: i64) -> Result<Effects, ServiceError> {
    if t.status == Status::Claimed {
        return Err(held(t, officer, "认领").unwrap_or_else(|| refused(t, "再次认领")));
    }
    if t.status != Status::Open {
        return Err(refused(t, "认领"));
    }
    t.status = Status::Claimed;
    t.claimed_by = Some(officer.to_owned());
    push_event(t, now, officer, "claimed", "");
    Ok(Effects::default())
}

/// A ticket claimed by another officer becomes `officer`'s (an open one is simply claimed); returns
/// who held it.
pub fn take_over(
    t: &mut Ticket,
    officer: &str,
    now: i64,
) -> Result<(Effects, String), ServiceError> {
    if t.status == Status::Open {
        return Ok((claim(t, officer, now)?, String::new()));
    }
    let from = match (&t.status, &t.claimed_by) {
        (Status::Claimed, Some(by)) if by != officer => by.clone(),
        _ => return Err(refused(t, "接手")),
    };
    t.claimed_by = Some(officer.to_owned());
    push_event(t, now, officer, "taken over", &from);
    Ok((Effects::default(), from))
}

/// The refusal when `officer` acts on a ticket another officer claimed.
fn held(t: &Ticket, officer: &str, action: &'static str) -> Option<ServiceError> {
    let by = t.claimed_by.as_deref().filter(|by| *by != officer)?;
    (t.status == Status::Claimed).then(|| ServiceError::Held {
        id: t.id,
        by: by.to_owned(),
        action,
    })
}

/// A pending ticket is answered with `text`, posted into the originating group to every asker.
pub fn answer(
    t: &mut Ticket,
    officer: &str,
    text: &str,
    now: i64,
) -> Result<Effects, ServiceError> {
    if !t.status.is_pending() {
        return Err(refused(t, "答复"));
    }
    if let Some(e) = held(t, officer, "答复") {
        return Err(e);
    }
    t.status = Status::Answered;
    t.answered_by = Some(officer.to_owned());
    t.answer = Some(text.to_owned());
    t.delivery = crate::store::Delivery::Queued;
    push_event(t, now, officer, "answered", text);
    let target = Target::Group(t.route.clone());
    let messages = parts(
        target,
        &words::answer_text(t),
        addressees(t),
        Some(t.id),
        now,
    );
    Ok(Effects {
        messages,
        ..Effects::default()
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

/// A ticket that is not closed is closed with `reason`. A ticket closed before it was answered ends
/// with a message telling its askers so, and why; an answered one already ended with its answer.
pub fn close(
    t: &mut Ticket,
    officer: &str,
    reason: &str,
    now: i64,
) -> Result<Effects, ServiceError> {
    if t.status == Status::Closed {
        return Err(refused(t, "关闭"));
    }
    if let Some(e) = held(t, officer, "关闭") {
        return Err(e);
    }
    let unanswered = t.status.is_pending();
    t.status = Status::Closed;
    t.closed_by = Some(officer.to_owned());
    t.close_reason = Some(reason.to_owned());
    push_event(t, now, officer, "closed", reason);
    let messages = match unanswered {
        true => notice(t, &words::closed_notice(t), now),
        false => vec![],
    };
    Ok(Effects {
        messages,
        ..Effects::default()
    })
}

/// Whether `from` may be merged into `into` by `officer`: two different pending tickets of one
/// group (an answer reaches only its ticket's group), `from` not held by another officer.
pub fn mergeable(from: &Ticket, into: &Ticket, officer: &str) -> Result<(), ServiceError> {
    if from.id == into.id || !from.status.is_pending() {
        return Err(refused(from, "合并"));
    }
    if let Some(e) = held(from, officer, "合并") {
        return Err(e);
    }
    if !into.status.is_pending() {
        return Err(refused(into, "并入"));
    }
    if from.group_id != into.group_id || from.platform != into.platform {
        return Err(ServiceError::Invalid("只能合并同一个群里的工单"));
    }
    Ok(())
}

/// `from`'s askers join pending ticket `t` (each once).
pub fn absorb(
    t: &mut Ticket,
    from: &Ticket,
    officer: &str,
    now: i64,
) -> Result<Effects, ServiceError> {
    if !t.status.is_pending() {
        return Err(refused(t, "并入"));
    }
    for a in &from.askers {
        if !t.askers.iter().any(|b| b.id_or_nick() == a.id_or_nick()) {
            t.askers.push(a.clone());
        }
    }
    push_event(t, now, officer, "merged in", &format!("#{}", from.id));
    Ok(Effects::default())
}

/// A pending ticket merged into ticket `into` is closed; its askers are told where their question went.
pub fn merged(t: &mut Ticket, into: u64, officer: &str, now: i64) -> Result<Effects, ServiceError> {
    if !t.status.is_pending() {
        return Err(refused(t, "合并"));
    }
    t.status = Status::Closed;
    t.closed_by = Some(officer.to_owned());
    t.close_reason = Some(format!("并入工单 #{into}"));
    push_event(t, now, officer, "merged into", &format!("#{into}"));
    Ok(Effects {
        messages: notice(t, &words::merged_notice(t, into), now),
        ..Effects::default()
    })
}

/// An answered or closed ticket is open again, unclaimed and without its closing; its askers are
/// told that it is being looked at again.
pub fn reopen(t: &mut Ticket, officer: &str, now: i64) -> Result<Effects, ServiceError> {
    if t.status.is_pending() {
        return Err(refused(t, "重开"));
    }
    t.status = Status::Open;
    t.claimed_by = None;
    t.closed_by = None;
    t.close_reason = None;
    t.last_reminder_ms = None;
    push_event(t, now, officer, "reopened", "");
    Ok(Effects {
        messages: notice(t, &words::reopened_notice(t), now),
        ..Effects::default()
    })
}

/// A ticket with an answer becomes a draft FAQ entry for review (`入库`).
pub fn draft(t: &mut Ticket, officer: &str, now: i64) -> Result<Effects, ServiceError> {
    if t.answer.is_none() {
        return Err(refused(t, "入库（还没有答复）"));
    }
    let draft = draft_of(t, officer, now);
    push_event(t, now, officer, "drafted as FAQ entry", "");
    Ok(Effects {
        draft: Some(draft),
        ..Effects::default()
    })
}

/// An admin's decision on the ticket's draft: approved into the FAQ base (`approved_into` names where it
/// was written) or rejected. The draft is removed; the decision stays in the history. Whether the
/// ticket has a draft the caller knows (`has_draft`: drafts are not part of the ticket).
pub fn settle(
    t: &mut Ticket,
    officer: &str,
    (has_draft, approved_into): (bool, Option<&str>),
    now: i64,
) -> Result<Effects, ServiceError> {
    if !has_draft {
        return Err(refused(t, "settle the draft of (no draft)"));
    }
    match approved_into {
        Some(into) => push_event(t, now, officer, "draft approved", into),
        None => push_event(t, now, officer, "draft rejected", ""),
    }
    Ok(Effects {
        drop_draft: true,
        ..Effects::default()
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
        return Err(refused(t, "提醒（未超时）"));
    }
    t.last_reminder_ms = Some(now);
    push_event(t, now, "bot", "sla reminder", "");
    Ok(Effects {
        messages: to_officers(hooks, &words::reminder(t, now), now),
        ..Effects::default()
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

/// Every officer webhook is told when a message to a ticket's askers (its answer, or a notice) could
/// not be delivered into their group, with what to do next (not when a message to the officers
/// failed, nor a reply part outside any ticket).
pub fn undeliverable(
    hooks: &[Url],
    (item, ticket): (&OutboxItem, Option<&Ticket>),
    (error, cause): (&str, Undelivered),
    now: i64,
) -> Vec<OutboxItem> {
    match (item.about(), &item.target) {
        (Some(id), Target::Group(_)) => {
            let text = words::delivery_failed(id, ticket, item.ticket.is_some(), error, cause);
            to_officers(hooks, &text, now)
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

/// Everyone who asked, once each (by id, or by name when the platform gave no id), named safely.
fn addressees(t: &Ticket) -> Vec<Addressee> {
    let mut people: Vec<Addressee> = Vec::new();
    for a in &t.askers {
        let seen = people.iter().any(|p| {
            (p.id.is_empty() && a.id.is_empty() && p.name == a.nick)
                || (!a.id.is_empty() && p.id == a.id)
        });
        if !seen {
            people.push(Addressee {
                id: a.id.clone(),
                name: user_text(&a.nick, NAME_CHARS),
            });
        }
    }
    people
}

/// A notice to the ticket's askers in their group (not its answer: see [`OutboxItem::notice_of`]).
fn notice(t: &Ticket, text: &str, now: i64) -> Vec<OutboxItem> {
    let target = Target::Group(t.route.clone());
    parts(target, text, addressees(t), None, now)
        .into_iter()
        .map(|m| OutboxItem {
            notice_of: Some(t.id),
            ..m
        })
        .collect()
}

/// A message for `target` as outbox items that each fit the route's text limit (see
/// [`ReplyRoute::split`](crate::platform::ReplyRoute::split)), so that each part is sent, retried and rate-limited on its own and never posted twice. The first
/// part carries the mentions; every part but the last says more follow.
fn parts(
    target: Target,
    text: &str,
    people: Vec<Addressee>,
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
                if i == 0 { people.clone() } else { vec![] },
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
    fn a_claim_is_respected_until_taken_over() {
        let mut t = ticket(&["u1"]);
        claim(&mut t, "王", 1).unwrap();
        let held = answer(&mut t, "李", "答复", 2).unwrap_err();
        assert_eq!(
            held.to_string(),
            "工单 #7 已由 王 认领，不能答复；如需接手，请用“接手 7”"
        );
        assert!(close(&mut t, "李", "重复", 2).is_err());
        let (_, from) = take_over(&mut t, "李", 3).unwrap();
        assert_eq!((from.as_str(), t.claimed_by.as_deref()), ("王", Some("李")));
        assert!(take_over(&mut t, "李", 4).is_err(), "already theirs");
        answer(&mut t, "李", "答复", 5).unwrap();
    }

    #[test]
    fn an_unanswered_close_and_a_reopen_tell_the_askers_and_a_reopen_forgets_the_close() {
        let mut t = ticket(&["u1", ""]);
        let closed = close(&mut t, "王", "不属于本部门职责", 1).unwrap();
        assert_eq!(closed.messages.len(), 1);
        let m = &closed.messages[0];
        assert!(m.text.contains("不属于本部门职责"), "{}", m.text);
        assert_eq!(
            (m.notice_of, m.ticket, m.to_people.len()),
            (Some(7), None, 2)
        );
        let reopened = reopen(&mut t, "王", 2).unwrap();
        assert!(reopened.messages[0].text.contains("重新受理"));
        assert_eq!(
            (t.closed_by.as_ref(), t.close_reason.as_ref()),
            (None, None)
        );
        answer(&mut t, "王", "答复", 3).unwrap();
        let after_answer = close(&mut t, "王", "已答复", 4).unwrap();
        assert!(after_answer.messages.is_empty(), "the answer ended it");
    }

    #[test]
    fn an_answer_mentions_each_asker_once_and_splits_for_wecom() {
        let mut t = ticket(&["u1", "u2", "u1", ""]);
        let long = "很长的答复。".repeat(200);
        let e = answer(&mut t, "o", &long, 3).unwrap();
        assert!(e.messages.len() > 1, "split at WeCom's 2048 bytes");
        let ids: Vec<&str> = e.messages[0]
            .to_people
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(ids, ["u1", "u2", ""], "the asker without an id is named");
        assert!(e.messages[1..].iter().all(|m| m.to_people.is_empty()));
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
        assert_eq!(
            undeliverable(&hooks, (&answer, None), ("boom", Undelivered::GaveUp), 1).len(),
            2
        );
        assert!(undeliverable(&hooks, (&part, None), ("boom", Undelivered::GaveUp), 1).is_empty());
        assert!(
            undeliverable(&hooks, (&notice, None), ("boom", Undelivered::GaveUp), 1).is_empty()
        );
    }
}
