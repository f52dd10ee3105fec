//! The human queue from the outside: questions the FAQ cannot answer become tickets, officers are told,
//! answers come back into the group by the session webhook or the OpenAPI, only to allowed hosts, with
//! retries that survive a restart; officer commands; the admin API's errors; durability under kill -9.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const RENT: &str = "房租能减免吗";

/// Sends `msg`, expects an escalation notice and returns its ticket number.
async fn escalate(app: &TestApp, msg: &DingTalkMsg) -> u64 {
    let (status, body) = app.send_dingtalk(msg).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = markdown_text(&body);
    ticket_number(text).unwrap_or_else(|| panic!("\"{}\" was not escalated: {text}", msg.text))
}

async fn answer(app: &TestApp, id: u64, text: &str) -> Value {
    let (status, t) = app
        .api_post(
            &format!("/tickets/{id}/answer"),
            json!({"officer": "王科长", "text": text}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t
}

#[tokio::test]
async fn an_out_of_scope_question_opens_ticket_1_and_the_officers_are_notified() {
    // A question outside the FAQ gets "工单 #1" in the reply, and the officers' webhook is told the question.
    let app = TestApp::spawn().await;

    let (_, body) = app.send_dingtalk(&DingTalkMsg::new(&app, RENT)).await;

    assert!(markdown_text(&body).contains("工单 #1"), "{body}");
    let note = app
        .fake
        .wait_for(OFFICERS_PATH, "the officers' notification", |r| {
            r.text().contains(RENT)
        })
        .await;
    assert!(note.text().contains("#1"), "{}", note.text());
    let t = app.ticket(1).await;
    assert_eq!(
        (t["status"].as_str(), t["question"].as_str()),
        (Some("open"), Some(RENT))
    );
}

#[tokio::test]
async fn the_same_question_from_a_second_sender_joins_the_ticket_and_the_answer_mentions_both() {
    // Two people in one group ask the same out-of-scope question: one ticket with two askers. Claimed and
    // answered through the API, the answer goes to the group's session webhook, @-ing both and quoting the
    // ticket number; the ticket's delivery becomes "delivered".
    let app = TestApp::spawn().await;
    let first = escalate(&app, &DingTalkMsg::new(&app, RENT).from("u-zhang", "张三")).await;
    let second = escalate(&app, &DingTalkMsg::new(&app, RENT).from("u-li", "李四")).await;
    assert_eq!((first, second), (1, 1));
    assert_eq!(app.ticket(1).await["askers"].as_array().unwrap().len(), 2);
    let merged = |r: &Recorded| r.text().contains("新增提问人");
    app.fake
        .wait_for(OFFICERS_PATH, "officers told of the 2nd asker", merged)
        .await;

    let (status, claimed) = app
        .api_post("/tickets/1/claim", json!({"officer": "王科长"}))
        .await;
    assert_eq!(
        (status, claimed["status"].as_str()),
        (StatusCode::OK, Some("claimed"))
    );
    answer(&app, 1, "房租减免请咨询属地国资部门。").await;

    let sent = app
        .fake
        .wait_for(SESSION_PATH, "the answer on the session webhook", |r| {
            r.status == 200
        })
        .await;
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.body["at"]["atUserIds"], json!(["u-zhang", "u-li"]));
    let text = sent.text();
    for needle in [
        "@u-zhang",
        "@u-li",
        "工单 #1",
        "房租减免请咨询属地国资部门。",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    app.wait_delivery(1, "delivered").await;
}

#[tokio::test]
async fn with_an_expired_session_webhook_the_answer_goes_through_the_openapi() {
    // The session webhook expired before the officer answered: the bot gets an access token and sends
    // through robot/groupMessages/send with the callback's robotCode and conversation id.
    let app = TestApp::spawn().await;
    let expired =
        DingTalkMsg::new(&app, RENT).webhook(&app.fake.url(SESSION_PATH), now_ms() - 60_000);
    let id = escalate(&app, &expired).await;

    answer(&app, id, "请联系属地税务部门。").await;

    let sent = app
        .fake
        .wait_for(
            "/v1.0/robot/groupMessages/send",
            "the OpenAPI group send",
            |_| true,
        )
        .await;
    let token = app.fake.requests_to("/v1.0/oauth2/accessToken");
    assert_eq!(token.len(), 1);
    assert_eq!(
        token[0].body,
        json!({"appKey": APP_KEY, "appSecret": APP_SECRET})
    );
    assert_eq!(
        sent.headers["x-acs-dingtalk-access-token"],
        FAKE_ACCESS_TOKEN
    );
    assert_eq!(sent.body["robotCode"], ROBOT_CODE);
    assert_eq!(sent.body["openConversationId"], USER_GROUP);
    assert!(
        sent.text().contains("请联系属地税务部门。"),
        "{}",
        sent.text()
    );
    app.wait_delivery(id, "delivered").await;
    assert!(
        app.fake.requests_to(SESSION_PATH).is_empty(),
        "the expired webhook must not be used"
    );
}

#[tokio::test]
async fn officer_commands_work_in_the_officer_group_and_are_ordinary_questions_elsewhere() {
    // In the officer group, 待办 lists the open tickets, 认领 2 claims and 答复 2 … answers ticket #2 (the
    // answer reaches the asker's group). The same words from a user group change no ticket.
    let app = TestApp::spawn().await;
    assert_eq!(escalate(&app, &DingTalkMsg::new(&app, RENT)).await, 1);
    assert_eq!(
        escalate(&app, &DingTalkMsg::new(&app, "食堂饭卡能退吗")).await,
        2
    );

    for cmd in ["认领 2", "答复 2 不能退。", "关闭 2 重复"] {
        let (_, body) = app.send_dingtalk(&DingTalkMsg::new(&app, cmd)).await;
        assert!(
            !markdown_text(&body).contains("已认领") && !markdown_text(&body).contains("已答复"),
            "{cmd}: {body}"
        );
    }
    let t2 = app.ticket(2).await;
    assert_eq!(
        (t2["status"].as_str(), t2["answer"].as_str()),
        (Some("open"), None)
    );

    let officer = |text: &str| {
        DingTalkMsg::new(&app, text)
            .in_group(OFFICER_GROUP)
            .from("o-wang", "王科长")
    };
    let (_, list) = app.send_dingtalk(&officer("待办")).await;
    let list = markdown_text(&list);
    assert!(
        list.contains("#1") && list.contains("#2") && list.contains(RENT),
        "{list}"
    );
    let (_, claimed) = app.send_dingtalk(&officer("认领 2")).await;
    assert!(
        markdown_text(&claimed).contains("已认领工单 #2"),
        "{claimed}"
    );
    assert_eq!(app.ticket(2).await["status"], "claimed");
    let (_, answered) = app
        .send_dingtalk(&officer("答复 2 饭卡余额可到食堂窗口退还。"))
        .await;
    assert!(
        markdown_text(&answered).contains("工单 #2 已答复"),
        "{answered}"
    );

    let t2 = app.wait_delivery(2, "delivered").await;
    assert_eq!(
        (t2["status"].as_str(), t2["answer"].as_str()),
        (Some("answered"), Some("饭卡余额可到食堂窗口退还。"))
    );
    let sent = app
        .fake
        .wait_for(SESSION_PATH, "the officer group's answer", |r| {
            r.text().contains("饭卡余额")
        })
        .await;
    assert!(sent.text().contains("工单 #2"), "{}", sent.text());
}

#[tokio::test]
async fn officers_can_close_refuse_wrong_moves_and_draft_an_faq_entry_from_their_group() {
    // 关闭 closes with a reason; 认领 of an unknown or already claimed ticket is refused in words;
    // 入库 turns an answered ticket into an FAQ draft (not served), listed by the admin API.
    let app = TestApp::spawn().await;
    assert_eq!(escalate(&app, &DingTalkMsg::new(&app, RENT)).await, 1);
    assert_eq!(
        escalate(&app, &DingTalkMsg::new(&app, "食堂饭卡能退吗")).await,
        2
    );
    let say = |text: &'static str| officer_says(&app, text);

    assert!(
        say("关闭 1 不属于本部门职责")
            .await
            .contains("工单 #1 已关闭")
    );
    assert!(say("认领 99").await.contains("没有工单 #99"));
    assert!(say("认领 2").await.contains("已认领工单 #2"));
    assert!(say("认领 2").await.contains("不能再次认领"));
    assert!(
        say("答复 2 饭卡余额可到食堂窗口退还。")
            .await
            .contains("已答复")
    );
    assert!(say("入库 2").await.contains("已存为FAQ草稿"));

    let t1 = app.ticket(1).await;
    assert_eq!(
        (t1["status"].as_str(), t1["close_reason"].as_str()),
        (Some("closed"), Some("不属于本部门职责"))
    );
    let (status, drafts) = app.api_get("/drafts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(drafts[0]["ticket"], 2);
    assert_eq!(drafts[0]["answer"], "饭卡余额可到食堂窗口退还。");
}

/// What the bot answers officer 王科长 in the officer group.
async fn officer_says(app: &TestApp, text: &str) -> String {
    let msg = DingTalkMsg::new(app, text)
        .in_group(OFFICER_GROUP)
        .from("o-wang", "王科长");
    markdown_text(&app.send_dingtalk(&msg).await.1).to_owned()
}

#[tokio::test]
async fn the_admin_api_refuses_a_missing_or_wrong_token_with_401() {
    // Every /api/v1 route needs the bearer token.
    let app = TestApp::spawn().await;
    escalate(&app, &DingTalkMsg::new(&app, RENT)).await;
    let claim = Some(json!({"officer": "王"}));

    for token in [None, Some("wrong-token"), Some("")] {
        let (list, _) = app.api("GET", "/tickets", token, None).await;
        let (post, _) = app
            .api("POST", "/tickets/1/claim", token, claim.clone())
            .await;
        assert_eq!(
            (list, post),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED),
            "token {token:?}"
        );
    }
    assert_eq!(app.ticket(1).await["status"], "open");
}

#[tokio::test]
async fn the_admin_api_answers_404_for_unknown_tickets_409_for_closed_ones_and_400_for_bad_json() {
    // Error statuses of the admin API: an unknown id, answering a closed ticket, malformed or incomplete
    // JSON bodies.
    let app = TestApp::spawn().await;
    escalate(&app, &DingTalkMsg::new(&app, RENT)).await;

    let (unknown, _) = app.api_get("/tickets/999").await;
    let (unknown_claim, _) = app
        .api_post("/tickets/999/claim", json!({"officer": "王"}))
        .await;
    assert_eq!(
        (unknown, unknown_claim),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );

    let broken = app
        .http
        .post(app.url("/api/v1/tickets/1/answer"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body("{\"officer\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let (no_text, _) = app
        .api_post("/tickets/1/answer", json!({"officer": "王"}))
        .await;
    assert_eq!(no_text, StatusCode::BAD_REQUEST);

    let (closed, _) = app
        .api_post(
            "/tickets/1/close",
            json!({"officer": "王", "reason": "不属于本部门"}),
        )
        .await;
    assert_eq!(closed, StatusCode::OK);
    let (conflict, body) = app
        .api_post(
            "/tickets/1/answer",
            json!({"officer": "王", "text": "晚了"}),
        )
        .await;
    assert_eq!(conflict, StatusCode::CONFLICT, "{body}");
    let t = app.ticket(1).await;
    assert_eq!(
        (t["status"].as_str(), t["answer"].as_str()),
        (Some("closed"), None)
    );
}

#[tokio::test]
async fn an_answer_for_a_webhook_off_the_allow_list_is_never_posted_and_the_officers_are_told() {
    // Reply URLs come from callbacks and are not trusted: a session webhook on a host that is not on
    // server.allowed_outbound_hosts (another loopback address, or an outside https host) never receives
    // the answer; the ticket's delivery becomes "failed" and the officers hear about it.
    let app = TestApp::spawn().await;
    let evil = FakePlatform::start_on("127.0.0.2:0");
    let to_evil = DingTalkMsg::new(&app, RENT)
        .in_group("cid-a")
        .webhook(&evil.url(SESSION_PATH), now_ms() + 3_600_000);
    let to_outside = DingTalkMsg::new(&app, RENT).in_group("cid-b").webhook(
        "https://evil.example/robot/sendBySession?session=x",
        now_ms() + 3_600_000,
    );
    let (a, b) = (
        escalate(&app, &to_evil).await,
        escalate(&app, &to_outside).await,
    );

    answer(&app, a, "答复A").await;
    answer(&app, b, "答复B").await;

    for id in [a, b] {
        let t = app.wait_delivery(id, "failed").await;
        assert!(
            t["delivery"]["error"]
                .as_str()
                .unwrap()
                .contains("allowed_outbound_hosts"),
            "{t}"
        );
        app.fake
            .wait_for(OFFICERS_PATH, "the failure notice", |r| {
                r.text().contains("投递失败") && r.text().contains(&format!("#{id}"))
            })
            .await;
    }
    assert!(evil.requests().is_empty(), "{:?}", evil.requests());
    assert!(app.fake.requests_to(SESSION_PATH).is_empty());
}

#[tokio::test]
async fn a_redelivered_escalation_opens_one_ticket_with_one_asker() {
    // The same out-of-scope message delivered three times at once: one ticket, one asker, one officer
    // notification; the redeliveries get {"msgtype":"empty"}.
    let app = TestApp::spawn().await;
    let msg = DingTalkMsg::new(&app, RENT);

    let (a, b, c) = tokio::join!(
        app.send_dingtalk(&msg),
        app.send_dingtalk(&msg),
        app.send_dingtalk(&msg)
    );

    let notices = [&a.1, &b.1, &c.1]
        .iter()
        .filter(|r| r["msgtype"] == "markdown")
        .count();
    assert_eq!(notices, 1, "{a:?} {b:?} {c:?}");
    let (_, all) = app.api_get("/tickets?status=all").await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all[0]["askers"].as_array().unwrap().len(), 1);
    app.fake
        .wait_for(OFFICERS_PATH, "the notification", |_| true)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await; // a second notification would have arrived by now
    assert_eq!(app.fake.requests_to(OFFICERS_PATH).len(), 1);
}

#[tokio::test]
async fn a_rate_limited_send_is_retried_and_a_permanent_error_fails_the_delivery() {
    // errcode 45009 (too many messages) is transient: the answer is sent again after a backoff. Another
    // errcode is permanent: no retry, delivery "failed", officers told.
    let app = TestApp::spawn().await;
    let a = escalate(&app, &DingTalkMsg::new(&app, RENT).in_group("cid-a")).await;
    let b = escalate(
        &app,
        &DingTalkMsg::new(&app, "食堂饭卡能退吗").in_group("cid-b"),
    )
    .await;

    app.fake.fail(SESSION_PATH, Failure::Errcode(45009));
    answer(&app, a, "答复A").await;
    app.fake
        .wait_for(SESSION_PATH, "a rate-limited attempt", |r| {
            r.status == 200 && r.text().contains("答复A")
        })
        .await;
    app.fake.heal(SESSION_PATH);
    app.wait_delivery(a, "delivered").await;
    assert!(app.fake.requests_to(SESSION_PATH).len() >= 2);

    app.fake.fail(SESSION_PATH, Failure::Errcode(310000));
    answer(&app, b, "答复B").await;
    let t = app.wait_delivery(b, "failed").await;
    assert!(
        t["delivery"]["error"].as_str().unwrap().contains("310000"),
        "{t}"
    );
    let attempts = app
        .fake
        .requests_to(SESSION_PATH)
        .iter()
        .filter(|r| r.text().contains("答复B"))
        .count();
    assert_eq!(attempts, 1, "a permanent error must not be retried");
    app.fake
        .wait_for(OFFICERS_PATH, "the failure notice", |r| {
            r.text().contains("投递失败") && r.text().contains(&format!("#{b}"))
        })
        .await;
}

#[tokio::test]
async fn an_answer_that_failed_with_http_500_is_delivered_after_a_restart() {
    // The group's webhook answers 500 (transient), so the answer waits in the outbox. The server is
    // stopped (SIGTERM), the platform recovers, and the restarted server on the same data dir delivers
    // it, once.
    answer_outlives_the_server(false).await;
}

#[tokio::test]
async fn an_answer_that_failed_with_http_500_is_delivered_after_kill_9() {
    // As above, but the server dies by SIGKILL: the queued answer was durable when the API said 200.
    answer_outlives_the_server(true).await;
}

async fn answer_outlives_the_server(kill9: bool) {
    let mut app = TestApp::spawn().await;
    let id = escalate(&app, &DingTalkMsg::new(&app, RENT)).await;
    app.fake.fail(SESSION_PATH, Failure::Http500);

    answer(&app, id, "请咨询属地国资部门。").await;
    app.fake
        .wait_for(SESSION_PATH, "a failed attempt", |r| r.status == 500)
        .await;
    assert_eq!(app.ticket(id).await["delivery"]["state"], "queued");
    if kill9 {
        app.kill9();
    } else {
        app.stop().await;
    }
    app.fake.heal(SESSION_PATH);
    app.start().await;

    app.wait_delivery(id, "delivered").await;
    let ok: Vec<_> = app
        .fake
        .requests_to(SESSION_PATH)
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert!(ok[0].text().contains("请咨询属地国资部门。"));
}

#[tokio::test]
async fn every_acknowledged_escalation_survives_kill_9() {
    // 200 out-of-scope questions from 200 groups, 16 clients at a time. Right after the last reply the
    // server is killed with SIGKILL (no shutdown, no flush). After a restart, every ticket number that was
    // acknowledged exists with its question, and numbering continues after the highest.
    const N: usize = 200;
    const CLIENTS: usize = 16;
    let mut app = TestApp::spawn().await;
    let msgs: Vec<DingTalkMsg> = (0..N)
        .map(|i| {
            DingTalkMsg::new(&app, &format!("第{i}号仓库的房租能减免吗"))
                .in_group(&format!("cid-k9-{i}"))
        })
        .collect();

    let clients = tokio::sync::Semaphore::new(CLIENTS);
    let replies = join_all(msgs.iter().map(|m| async {
        let _client = clients.acquire().await.unwrap();
        app.send_dingtalk(m).await
    }))
    .await;
    let mut acked: Vec<(u64, String)> = Vec::new();
    for (m, (status, body)) in msgs.iter().zip(replies) {
        assert_eq!(status, StatusCode::OK, "{body}");
        let id =
            ticket_number(markdown_text(&body)).unwrap_or_else(|| panic!("not escalated: {body}"));
        acked.push((id, m.text.clone()));
    }
    app.kill9();
    app.start().await;

    let mut ids: Vec<u64> = acked.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), N, "every question got its own ticket");
    for (id, question) in &acked {
        let t = app.ticket(*id).await;
        assert_eq!(
            t["question"].as_str(),
            Some(question.as_str()),
            "ticket #{id}"
        );
    }
    let next = DingTalkMsg::new(&app, "食堂饭卡能退吗").in_group("cid-k9-after");
    let after = escalate(&app, &next).await;
    assert_eq!(
        after,
        *ids.last().unwrap() + 1,
        "numbering continues, no reuse"
    );
}

/// Runs futures concurrently on this task (no extra dependency for `join_all`).
async fn join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn an_asker_who_asks_twice_is_mentioned_once_in_the_answer() {
    // Someone repeats an unanswered question (a new message, not a redelivery). It stays one ticket, and
    // the answer @-s that person once, not twice.
    let app = TestApp::spawn().await;
    assert_eq!(escalate(&app, &DingTalkMsg::new(&app, RENT)).await, 1);
    assert_eq!(escalate(&app, &DingTalkMsg::new(&app, RENT)).await, 1);

    answer(&app, 1, "请咨询属地国资部门。").await;

    let sent = app
        .fake
        .wait_for(SESSION_PATH, "the answer", |r| r.status == 200)
        .await;
    assert_eq!(sent.body["at"]["atUserIds"], json!(["u-zhang"]));
    assert_eq!(
        sent.text().matches("@u-zhang").count(),
        1,
        "{}",
        sent.text()
    );
}

#[tokio::test]
async fn the_same_question_from_two_senders_at_once_opens_one_ticket() {
    // Two people send the same out-of-scope question at the same moment: both are told the same ticket
    // number and the ticket lists both of them.
    let app = TestApp::spawn().await;
    let a = DingTalkMsg::new(&app, RENT).from("u-zhang", "张三");
    let b = DingTalkMsg::new(&app, RENT).from("u-li", "李四");

    let (ra, rb) = tokio::join!(app.send_dingtalk(&a), app.send_dingtalk(&b));

    let ids = (
        ticket_number(markdown_text(&ra.1)),
        ticket_number(markdown_text(&rb.1)),
    );
    assert_eq!(ids, (Some(1), Some(1)), "{ra:?} {rb:?}");
    let (_, all) = app.api_get("/tickets?status=all").await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all[0]["askers"].as_array().unwrap().len(), 2);
}

#[test]
fn a_document_number_the_base_quotes_is_answered_another_goes_to_an_officer() {
    // 〔2020〕14号 is 平桥's medical-waste notice, quoted by the base: asking what it says is no case
    // look-up (it was escalated as a 'specific case'). A number the base does not quote still is.
    let [quoted, other] = &ask_json(&[
        "信平疫防指办〔2020〕14号文件主要讲啥",
        "信平疫防指办〔2020〕15号文件主要讲啥",
    ])[..] else {
        panic!("two results")
    };
    assert_eq!(
        (quoted["outcome"].as_str(), quoted["faq_id"].as_str()),
        (Some("answered"), Some("news-xy-medwaste-notice")),
        "{quoted}"
    );
    assert_eq!(
        (other["outcome"].as_str(), other["reason"].as_str()),
        (Some("escalated"), Some("specific case")),
        "{other}"
    );
}
