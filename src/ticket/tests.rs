//! The service on a real store: defaults, validation, what each action queues, and that delivery is
//! woken.

use super::*;
use crate::platform::{Platform, ReplyRoute};
use crate::store::{Asker, Status, Target};
use std::time::Duration;

const HOOK: &str = "https://officers.example/hook";

struct Fixture {
    service: Service,
    db: Database,
    wake: Arc<Notify>,
    kb: Snapshot,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let officers = Officers {
            notify_webhooks: vec![url::Url::parse(HOOK).unwrap()],
            webhook_secrets: Default::default(),
            groups: vec![],
            staff_ids: vec![],
            sla: Duration::from_secs(3600),
            sla_hours: None,
            max_new_tickets_per_sender_per_hour: 10,
            max_new_tickets_per_group_per_hour: 10,
        };
        let wake = Arc::new(Notify::new());
        Fixture {
            service: Service::new(db.clone(), officers, wake.clone()),
            db,
            wake,
            kb: Snapshot::build(crate::faq::FaqBase::default(), Default::default()),
            _dir: dir,
        }
    }

    async fn apply(&self, action: Action, now: i64) -> Result<Outcome, ServiceError> {
        let on = Date::parse("2024-01-01").unwrap();
        let cx = Context {
            kb: &self.kb,
            on,
            now,
        };
        self.service.apply(action, cx).await
    }

    /// Opens a ticket for `question` from `who`; returns its id.
    async fn ticket(&self, msg: &str, who: &str, question: &str) -> u64 {
        let esc = Escalation {
            seen_key: msg.into(),
            seen_expires_ms: i64::MAX,
            platform: Platform::DingTalk,
            group_id: "cid1".into(),
            group_title: "企业服务群".into(),
            asker: Asker {
                id: who.into(),
                nick: who.into(),
                question: question.into(),
                asked_at_ms: 0,
                msg_id: msg.into(),
            },
            normalized: question.into(),
            route: ReplyRoute::DingTalk {
                robot_code: None,
                conversation_id: "cid1".into(),
                session_webhook: None,
                session_webhook_expires_ms: None,
            },
            guesses: vec![],
        };
        match self.service.escalate(esc, 0).await.unwrap() {
            Escalated::Opened(t) | Escalated::Joined(t) => t.id,
            other => panic!("{other:?}"),
        }
    }

    async fn woken(&self) -> bool {
        tokio::time::timeout(Duration::from_millis(200), self.wake.notified())
            .await
            .is_ok()
    }
}

fn officer() -> String {
    "王科长".into()
}

#[tokio::test]
async fn an_escalation_notifies_the_officers_and_wakes_delivery() {
    let f = Fixture::new();
    f.ticket("m1", "u1", "房租能减免吗").await;
    assert!(f.woken().await);
    let queued = f.db.outbox(i64::MAX).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].target,
        Target::OfficerWebhook { url: HOOK.into() }
    );
    assert!(
        queued[0].text.contains("【新工单 #1】"),
        "{}",
        queued[0].text
    );
}

#[tokio::test]
async fn an_answer_goes_to_the_group_mentioning_each_asker_and_wakes_delivery() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "房租能减免吗").await;
    f.ticket("m2", "u2", "房租能减免吗").await;
    f.woken().await;
    let answer = Action::Answer {
        id,
        officer: officer(),
        text: " 请咨询属地国资部门。 ".into(),
    };

    let Outcome::Answered(t) = f.apply(answer, 5).await.unwrap() else {
        panic!("not answered");
    };

    assert_eq!(t.answer.as_deref(), Some("请咨询属地国资部门。"));
    assert!(f.woken().await);
    let to_group: Vec<OutboxItem> =
        f.db.outbox(i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .filter(|i| matches!(i.target, Target::Group(_)))
            .collect();
    assert_eq!(to_group.len(), 1);
    let ids: Vec<&str> = to_group[0]
        .to_people
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(ids, ["u1", "u2"]);
    assert_eq!(to_group[0].ticket, Some(id));
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "q").await;
    let no_text = Action::Answer {
        id,
        officer: officer(),
        text: "  ".into(),
    };
    let nobody = Action::Claim {
        id,
        officer: " ".into(),
    };
    let unknown_entry = Action::Teach {
        id,
        officer: officer(),
        faq_id: "#no-such-entry".into(),
    };
    let unknown_ticket = Action::Claim {
        id: 99,
        officer: officer(),
    };

    let errors = [
        f.apply(no_text, 1).await.unwrap_err(),
        f.apply(nobody, 1).await.unwrap_err(),
        f.apply(unknown_entry, 1).await.unwrap_err(),
        f.apply(unknown_ticket, 1).await.unwrap_err(),
    ];

    assert!(matches!(
        errors[0],
        ServiceError::Invalid("答复内容不能为空")
    ));
    assert!(matches!(
        errors[1],
        ServiceError::Invalid("缺少处理人（officer）")
    ));
    assert!(matches!(&errors[2], ServiceError::UnknownEntry(e) if e == "no-such-entry"));
    assert!(matches!(errors[3], ServiceError::NotFound(99)));
    let Outcome::Shown(t) = f.apply(Action::Show(id), 1).await.unwrap() else {
        panic!("not shown");
    };
    assert_eq!((t.status, t.history.len()), (Status::Open, 1));
}

#[tokio::test]
async fn a_close_needs_a_reason_and_a_second_close_is_refused() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "q").await;
    let close = |reason: Option<&str>| Action::Close {
        id,
        officer: officer(),
        reason: reason.map(str::to_owned),
    };

    let blank = f.apply(close(Some(" ")), 6).await.unwrap_err();
    let Outcome::Closed(t) = f.apply(close(Some("不属于本部门")), 7).await.unwrap() else {
        panic!("not closed");
    };
    let again = f.apply(close(Some("重复")), 8).await.unwrap_err();

    assert!(matches!(blank, ServiceError::Invalid(_)));
    assert_eq!(t.close_reason.as_deref(), Some("不属于本部门"));
    assert_eq!(t.updated_ms, 7);
    assert!(matches!(
        again,
        ServiceError::Refused {
            status: Status::Closed,
            ..
        }
    ));
    let Outcome::Listed(pending) = f
        .apply(Action::List(TicketFilter::Pending), 9)
        .await
        .unwrap()
    else {
        panic!("not listed");
    };
    assert!(pending.is_empty());
}

#[tokio::test]
async fn an_answered_ticket_becomes_a_draft_listed_for_review() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "食堂饭卡能退吗").await;
    let draft = Action::Draft {
        id,
        officer: officer(),
    };
    assert!(f.apply(draft.clone(), 1).await.is_err(), "no answer yet");
    let answer = Action::Answer {
        id,
        officer: officer(),
        text: "可到窗口退还。".into(),
    };
    f.apply(answer, 2).await.unwrap();

    let Outcome::Drafted(d) = f.apply(draft, 3).await.unwrap() else {
        panic!("not drafted");
    };

    assert_eq!((d.ticket, d.answer.as_str()), (id, "可到窗口退还。"));
    let Outcome::Drafts(all) = f.apply(Action::Drafts, 4).await.unwrap() else {
        panic!("no drafts");
    };
    assert_eq!(all, [d]);
}

#[tokio::test]
async fn a_settled_draft_leaves_the_list_and_the_decision_stays_in_the_history() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "食堂饭卡能退吗").await;
    let settle = |approved_into: Option<&str>| Action::Settle {
        id,
        officer: "管理员".into(),
        approved_into: approved_into.map(str::to_owned),
    };
    let r = f.apply(settle(None), 1).await;
    assert!(matches!(r, Err(ServiceError::Refused { .. })), "no draft");
    let answer = Action::Answer {
        id,
        officer: officer(),
        text: "可到窗口退还。".into(),
    };
    f.apply(answer, 2).await.unwrap();
    let draft = Action::Draft {
        id,
        officer: officer(),
    };
    f.apply(draft, 3).await.unwrap();

    let into = "of-canteen → faq/entries/officer.toml";
    let Outcome::Settled(t) = f.apply(settle(Some(into)), 4).await.unwrap() else {
        panic!("not settled");
    };

    let last = t.history.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("管理员", "draft approved")
    );
    assert_eq!(last.detail, into);
    let Outcome::Drafts(all) = f.apply(Action::Drafts, 5).await.unwrap() else {
        panic!("no drafts");
    };
    assert!(all.is_empty());
    assert!(f.apply(settle(None), 6).await.is_err(), "settled once");
}

#[tokio::test]
async fn overdue_tickets_are_reminded_once_per_period() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "q").await;
    let hour = 3_600_000;
    assert!(f.service.remind_overdue(hour - 1).await.unwrap().is_empty());
    assert_eq!(f.service.remind_overdue(hour).await.unwrap(), [id]);
    assert!(f.service.remind_overdue(hour + 1).await.unwrap().is_empty());
    assert_eq!(f.service.remind_overdue(2 * hour).await.unwrap(), [id]);
}

#[tokio::test]
async fn an_undeliverable_answer_is_recorded_on_its_ticket_and_reported() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "q").await;
    let answer = Action::Answer {
        id,
        officer: officer(),
        text: "a".into(),
    };
    f.apply(answer, 1).await.unwrap();
    let queued = f.db.outbox(i64::MAX).await.unwrap();
    let to_group = queued.iter().find(|i| i.ticket == Some(id)).unwrap();

    f.service
        .undeliverable(
            to_group,
            (
                "platform error 310000".into(),
                crate::store::Undelivered::Refused,
            ),
            2,
        )
        .await
        .unwrap();

    let t = f.db.ticket(id).await.unwrap().unwrap();
    assert_eq!(
        t.delivery,
        Delivery::Failed {
            at_ms: 2,
            error: "platform error 310000".into()
        }
    );
    let texts: Vec<String> =
        f.db.outbox(i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.text)
            .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("【投递失败】工单 #1") && t.contains("下一步")),
        "{texts:?}"
    );
}

#[tokio::test]
async fn a_repeat_is_found_once_its_ticket_is_answered_and_lost_once_it_reopens() {
    let f = Fixture::new();
    let id = f.ticket("m1", "u1", "房租能减免吗").await;
    // Read (and kept) while nothing is answered.
    assert!(
        f.service
            .answered_before("房租能减免吗")
            .await
            .unwrap()
            .is_none()
    );
    let answer = Action::Answer {
        id,
        officer: officer(),
        text: "请咨询属地国资部门。".into(),
    };
    f.apply(answer, 5).await.unwrap();
    let found = f.service.answered_before("房租能减免吗？").await.unwrap();
    assert_eq!(found.map(|t| t.id), Some(id), "the answer is seen at once");
    let reopen = Action::Reopen {
        id,
        officer: officer(),
    };
    f.apply(reopen, 6).await.unwrap();
    assert!(
        f.service
            .answered_before("房租能减免吗")
            .await
            .unwrap()
            .is_none()
    );
}
