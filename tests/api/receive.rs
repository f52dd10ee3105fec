//! What people receive around the answers, from the outside: every ticket ends with a message to its
//! askers (answered, closed with the reason, reopened, or a failed delivery that the officers hear
//! about with a next step while the bot tries the other route); askers are named in every late
//! message; the bot's instructions say to @ it; numbers and command words outside an exchange get a
//! one-line hint; officers read Chinese and their claims are respected; promises carry a time; a
//! repeat of an answered question gets its answer.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const RENT: &str = "房租能减免吗";
const GROUP_SEND: &str = "/v1.0/robot/groupMessages/send";

/// An officer's message in the officer group, from 王科长.
async fn officer_says(app: &TestApp, text: &str) -> String {
    let msg = DingTalkMsg::new(app, text)
        .in_group(OFFICER_GROUP)
        .from(OFFICERS[0], "王科长");
    let (status, body) = app.send_dingtalk(&msg).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    markdown_text(&body).to_owned()
}

async fn group_message(app: &TestApp, path: &str, what: &str, needle: &str) -> Recorded {
    app.fake
        .wait_for(path, what, |r| r.status == 200 && r.text().contains(needle))
        .await
}

#[tokio::test]
async fn a_ticket_closed_without_an_answer_tells_its_askers_why_and_a_reopen_tells_them_again() {
    // Point 1: `关闭 1 <reason>` posts the reason into the group, @-ing the asker; `重开 1` posts that
    // the question is being looked at again, and the reopened ticket forgets its close.
    let app = TestApp::spawn().await;
    let id = app.escalate(RENT).await;

    let closed = officer_says(
        &app,
        &format!("关闭 {id} 不属于本部门职责，请咨询属地国资部门"),
    )
    .await;
    let notice = group_message(&app, SESSION_PATH, "the close notice", "不属于本部门职责").await;
    let reopened = officer_says(&app, &format!("重开 {id}")).await;
    let again = group_message(&app, SESSION_PATH, "the reopen notice", "重新受理").await;

    assert!(
        closed.contains("已关闭") && closed.contains("提问人"),
        "{closed}"
    );
    assert!(
        notice.text().contains(&format!("工单 #{id}")),
        "{}",
        notice.text()
    );
    assert!(notice.text().starts_with("@u-zhang"), "{}", notice.text());
    assert_eq!(notice.body["at"]["atUserIds"], json!(["u-zhang"]));
    assert!(reopened.contains("已重开"), "{reopened}");
    assert!(again.text().contains(RENT), "{}", again.text());
    let t = app.ticket(id).await;
    assert_eq!(t["status"], "open");
    assert!(
        t["closed_by"].is_null() && t["close_reason"].is_null(),
        "{t}"
    );
}

#[tokio::test]
async fn a_webhook_that_refuses_with_300001_is_followed_by_the_group_send_naming_every_asker() {
    // Points 1, 2 and 9: the session webhook answers 300001; the bot sends the answer through the
    // robot OpenAPI instead, which cannot @, so both askers (one an external contact without a staff
    // id) are named in the text.
    let app = TestApp::spawn().await;
    let id = app.escalate(RENT).await;
    let external = DingTalkMsg::new(&app, RENT).from("", "钱主任");
    app.send_dingtalk(&external).await;
    app.fake.fail(SESSION_PATH, Failure::Errcode(300001));

    let (status, _) = app
        .api_post(
            &format!("/tickets/{id}/answer"),
            json!({"officer": "王科长", "text": "房租减免请咨询属地国资部门。"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    let sent = group_message(&app, GROUP_SEND, "the answer by group send", "国资部门").await;
    assert!(sent.text().starts_with("张三、钱主任："), "{}", sent.text());
    assert_eq!(
        app.wait_delivery(id, "delivered").await["delivery"]["state"],
        "delivered"
    );
}

#[tokio::test]
async fn a_live_webhook_ats_staff_and_names_external_contacts_without_a_false_at() {
    // Point 2: on the live session webhook, the staff asker is @-ed by id; the external contact (no
    // senderStaffId) is named, without a plain-text "@钱主任" that would notify nobody.
    let app = TestApp::spawn().await;
    let id = app.escalate(RENT).await;
    app.send_dingtalk(&DingTalkMsg::new(&app, RENT).from("", "钱主任"))
        .await;

    app.api_post(
        &format!("/tickets/{id}/answer"),
        json!({"officer": "王科长", "text": "请咨询属地国资部门。"}),
    )
    .await;

    let sent = group_message(&app, SESSION_PATH, "the answer", "国资部门").await;
    assert!(
        sent.text().starts_with("@u-zhang 钱主任："),
        "{}",
        sent.text()
    );
    assert!(!sent.text().contains("@钱主任"), "{}", sent.text());
    assert_eq!(sent.body["at"]["atUserIds"], json!(["u-zhang"]));
}

#[tokio::test]
async fn when_no_route_reaches_the_group_the_officers_get_a_next_step_naming_the_askers() {
    // Points 1 and 9: the webhook refuses and so does the group send: the ticket records the failure
    // and the officers are told, in Chinese, what to do next and whom to tell.
    let app = TestApp::spawn().await;
    let id = app.escalate(RENT).await;
    app.fake.fail(SESSION_PATH, Failure::Errcode(300001));
    app.fake.fail(GROUP_SEND, Failure::Errcode(310000));

    app.api_post(
        &format!("/tickets/{id}/answer"),
        json!({"officer": "王科长", "text": "请咨询属地国资部门。"}),
    )
    .await;

    let report = group_message(&app, OFFICERS_PATH, "the failure report", "投递失败").await;
    let text = report.text();
    assert!(text.contains(&format!("工单 #{id} 的答复")), "{text}");
    assert!(
        text.contains("下一步：") && text.contains(&format!("重开 {id}")),
        "{text}"
    );
    assert!(text.contains("张三"), "{text}");
    assert_eq!(
        app.wait_delivery(id, "failed").await["delivery"]["state"],
        "failed"
    );
}

#[tokio::test]
async fn stray_numbers_and_command_words_get_a_one_line_hint_and_instructions_say_to_at_the_bot() {
    // Points 3 and 4: outside a live exchange "2", "人工" and "待办" get one line on how to ask (never an
    // answer, never a ticket); suggestions and the officers' notice say to @ the bot.
    let app = TestApp::spawn().await;

    let mut hints = vec![];
    for stray in ["2", "２。", "人工", "待办", "第二个"] {
        let (_, body) = app.send_dingtalk(&DingTalkMsg::new(&app, stray)).await;
        hints.push(
            markdown_text(&body)
                .trim_start_matches("@u-zhang \n\n")
                .to_owned(),
        );
    }
    let (_, suggestions) = app.send_dingtalk(&DingTalkMsg::new(&app, "环评")).await;
    app.escalate(RENT).await;
    let notice = group_message(&app, OFFICERS_PATH, "the new-ticket notice", RENT).await;

    for hint in &hints {
        assert!(!hint.contains('\n') && hint.contains("@我"), "{hint}");
    }
    let (_, all) = app.api_get("/tickets?status=all").await;
    assert_eq!(
        all.as_array().unwrap().len(),
        1,
        "only the rent question: {all}"
    );
    let suggestions = markdown_text(&suggestions);
    assert!(suggestions.contains("请 @我 并回复序号"), "{suggestions}");
    assert!(suggestions.contains("@我 回复“人工”"), "{suggestions}");
    assert!(notice.text().contains("@机器人"), "{}", notice.text());
}

#[tokio::test]
async fn officers_read_chinese_claims_hold_until_taken_over_and_a_close_needs_a_reason() {
    // Point 6: 待办 lists statuses in Chinese with who holds a claim; another officer cannot answer a
    // claimed ticket (told who holds it) until taking it over; 关闭 without a reason is refused with
    // the usage; full-width 认领２ works; long questions are shortened in the list.
    let app = TestApp::spawn().await;
    let long = format!("关于食堂{}的问题，饭卡能退吗", "很长的说明".repeat(40));
    let first = app.escalate(RENT).await;
    let second = app.escalate(&long).await;

    let claimed = officer_says(&app, &format!("认领{}", full_width(first))).await;
    let list = officer_says(&app, "待办").await;
    let (held, refusal) = app
        .api_post(
            &format!("/tickets/{first}/answer"),
            json!({"officer": "李干事", "text": "可以。"}),
        )
        .await;
    let (taken, _) = app
        .api_post(
            &format!("/tickets/{first}/take_over"),
            json!({"officer": "李干事"}),
        )
        .await;
    let no_reason = officer_says(&app, &format!("关闭 {second}")).await;
    let no_text = officer_says(&app, &format!("答复 {second}")).await;

    assert!(
        claimed.contains(&format!("已认领工单 #{first}")),
        "{claimed}"
    );
    assert!(list.contains("[已认领（王科长(o-wang)）]"), "{list}");
    assert!(list.contains("[待处理]"), "{list}");
    assert!(!list.contains(&long) && list.contains('…'), "{list}");
    assert_eq!(held, StatusCode::CONFLICT);
    assert!(
        refusal.to_string().contains("已由 王科长(o-wang) 认领"),
        "{refusal}"
    );
    assert_eq!(taken, StatusCode::OK);
    assert_eq!(app.ticket(first).await["claimed_by"], "李干事");
    assert!(
        no_reason.contains("须注明原因") && no_reason.contains("关闭"),
        "{no_reason}"
    );
    assert!(no_text.contains("答复内容不能为空"), "{no_text}");
    assert_eq!(app.ticket(second).await["status"], "open");
}

fn full_width(n: u64) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect()
}

#[tokio::test]
async fn the_queue_cli_prints_tables_takes_the_officer_from_the_environment_and_options_anywhere() {
    // Point 6: `policybot queue` without --officer acts as POLICYBOT_OFFICER, accepts --server and
    // --token after the subcommand, prints a table and a Chinese sentence, and JSON with --json.
    let app = TestApp::spawn().await;
    let id = app.escalate(RENT).await.to_string();
    let server = app.url("");
    let cli = |args: Vec<&str>| {
        let mut c = std::process::Command::new(BIN);
        c.arg("queue")
            .args(args)
            .args(["--server", &server, "--token", ADMIN_TOKEN])
            .env("POLICYBOT_OFFICER", "赵科员")
            .env_remove("POLICYBOT_ADMIN_TOKEN");
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (
            out.status.success(),
            text,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (listed, table, _) = cli(vec!["list"]);
    let (claimed, sentence, err) = cli(vec!["claim", &id]);
    let (shown, json, _) = cli(vec!["show", &id, "--json"]);
    let (refused, _, conflict) = cli(vec!["claim", &id]);

    assert!(
        listed && table.contains("待处理") && table.contains(RENT),
        "{table}"
    );
    assert!(claimed, "{err}");
    assert_eq!(sentence.trim(), format!("已认领工单 #{id}。"));
    let t: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(shown && t["claimed_by"] == "赵科员", "{json}");
    assert!(!refused && conflict.contains("不能再次认领"), "{conflict}");
}

#[tokio::test]
async fn an_escalation_says_when_to_expect_an_answer_keeps_its_number_in_the_title_and_thanks_get_a_line()
 {
    // Point 7: the acknowledgement promises an answer within officers.sla (24 h by default); the
    // message title keeps the ticket number; "谢谢" and "收到" get one short line, not the help text.
    let app = TestApp::spawn().await;

    let (_, body) = app.send_dingtalk(&DingTalkMsg::new(&app, RENT)).await;
    let (_, thanks) = app.send_dingtalk(&DingTalkMsg::new(&app, "谢谢")).await;
    let (_, received) = app.send_dingtalk(&DingTalkMsg::new(&app, "收到")).await;

    assert!(
        markdown_text(&body).contains("一般在24小时内答复"),
        "{body}"
    );
    assert!(
        body["markdown"]["title"]
            .as_str()
            .unwrap()
            .contains("工单 #1"),
        "{body}"
    );
    for reply in [&thanks, &received] {
        let text = markdown_text(reply).trim_start_matches("@u-zhang \n\n");
        assert!(!text.contains('\n') && text.contains("不客气"), "{text}");
    }
}

#[tokio::test]
async fn a_repeat_of_an_answered_question_gets_that_answer_instead_of_a_new_ticket() {
    // Point 8: after #1 was answered, the same question and a near-identical wording (other
    // punctuation and particles, two more words) get #1's answer; a question with another number
    // still opens its own ticket; “人工” right after a repeat escalates it anyway.
    let app = TestApp::spawn().await;
    let question = "食堂第1号窗口的饭卡余额能退吗";
    let id = app.escalate(question).await;
    app.api_post(
        &format!("/tickets/{id}/answer"),
        json!({"officer": "王科长", "text": "饭卡余额可到食堂窗口退还。"}),
    )
    .await;
    app.wait_delivery(id, "delivered").await;

    let mut replies = vec![];
    for again in [
        question,
        "食堂第1号窗口的饭卡余额能退？",
        "请问食堂第1号窗口的饭卡余额能退吗",
    ] {
        let (_, body) = app
            .send_dingtalk(&DingTalkMsg::new(&app, again).from("u-li", "李四"))
            .await;
        replies.push(markdown_text(&body).to_owned());
    }
    let other = app.escalate("食堂第2号窗口的饭卡余额能退吗").await;
    let (_, insist) = app
        .send_dingtalk(&DingTalkMsg::new(&app, "人工").from("u-li", "李四"))
        .await;

    for r in &replies {
        assert!(
            r.contains("饭卡余额可到食堂窗口退还") && r.contains(&format!("工单 #{id}")),
            "{r}"
        );
    }
    assert_eq!(other, id + 1);
    assert_eq!(
        ticket_number(markdown_text(&insist)),
        Some(id + 2),
        "{insist}"
    );
}

async fn metrics(app: &TestApp) -> String {
    let r = app.http.get(app.url("/metrics")).send().await.unwrap();
    format!("\n{}", r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_show_the_queue_officer_actions_and_outbound_results_by_destination() {
    // Point 10: ticket gauges (open, claimed, overdue, the oldest's age), officer actions by result,
    // and outbound results by destination kind, all present from start.
    let app = TestApp::spawn().await;
    let before = metrics(&app).await;
    let first = app.escalate(RENT).await;
    app.escalate("食堂饭卡能退吗").await;
    officer_says(&app, &format!("认领 {first}")).await;
    app.api_post(
        &format!("/tickets/{first}/answer"),
        json!({"officer": "李干事", "text": "可以。"}),
    )
    .await;
    group_message(&app, OFFICERS_PATH, "a notification", "食堂饭卡").await;

    let after = poll("the officers' posts counted", std::time::Duration::from_secs(10), || async {
        let m = metrics(&app).await;
        (!m.contains("\npolicybot_outbound_by_destination_total{destination=\"officers\",result=\"sent\"} 0\n"))
            .then_some(m)
    })
    .await;

    for zero in [
        "policybot_tickets{state=\"open\"} 0",
        "policybot_tickets{state=\"overdue\"} 0",
        "policybot_ticket_oldest_pending_seconds 0",
        "policybot_officer_actions_total{action=\"close\",result=\"done\"} 0",
        "policybot_outbound_by_destination_total{destination=\"group\",result=\"failed\"} 0",
    ] {
        assert!(
            before.contains(&format!("\n{zero}\n")),
            "{zero} missing:\n{before}"
        );
    }
    for line in [
        "# TYPE policybot_tickets gauge",
        "policybot_tickets{state=\"open\"} 1",
        "policybot_tickets{state=\"claimed\"} 1",
        "policybot_tickets{state=\"overdue\"} 0",
        "policybot_officer_actions_total{action=\"claim\",result=\"done\"} 1",
        "policybot_officer_actions_total{action=\"answer\",result=\"refused\"} 1",
    ] {
        assert!(
            after.contains(&format!("\n{line}\n")),
            "{line} missing:\n{after}"
        );
    }
    assert!(
        after.contains("\n# HELP policybot_ticket_oldest_pending_seconds "),
        "{after}"
    );
}

#[tokio::test]
async fn an_officer_webhook_with_a_secret_is_posted_to_with_its_timestamp_and_sign() {
    // Point 11: a DingTalk custom robot with 加签 gets `timestamp` and `sign` (Base64 HMAC-SHA256 of
    // "timestamp\nsecret", URL-encoded) on every post; the secret itself never travels.
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let hook = app.fake.url(OFFICERS_PATH);
    app.edit_config(|c| {
        c.replacen(
            "[officers]\n",
            &format!("[officers]\nwebhook_secrets = {{ \"{hook}\" = \"SECtest-secret\" }}\n"),
            1,
        )
    });
    app.start().await;

    app.escalate(RENT).await;

    let note = group_message(&app, OFFICERS_PATH, "the signed notification", RENT).await;
    let query = note.query.clone().unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let ts = get("timestamp").unwrap_or_else(|| panic!("no timestamp in {query}"));
    assert_eq!(
        get("sign"),
        Some(dingtalk_sign("SECtest-secret", &ts)),
        "{query}"
    );
    assert!(!query.contains("SECtest"), "{query}");
}

#[tokio::test]
async fn a_secret_for_a_webhook_that_is_not_configured_is_refused_at_start() {
    // Point 11: a secret keyed by a URL that is not one of notify_webhooks is a config error naming
    // the key (and not the URL, which carries the robot's token).
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.edit_config(|c| {
        c.replacen(
            "[officers]\n",
            "[officers]\nwebhook_secrets = { \"https://oapi.dingtalk.com/robot/send?access_token=zzz\" = \"SECx\" }\n",
            1,
        )
    });

    let (ok, said) = app.serve_expecting_exit().await;

    assert!(!ok && said.contains("officers.webhook_secrets"), "{said}");
    assert!(!said.contains("access_token=zzz"), "{said}");
}

#[tokio::test]
async fn a_ticket_merged_into_another_tells_its_askers_and_they_get_the_other_tickets_answer() {
    // Point 1: `合并 2 到 1` closes #2, tells its asker where the question went, and #1's answer
    // then @-s both askers; a merge without a target is refused with the usage.
    let app = TestApp::spawn().await;
    let first = app.escalate(RENT).await;
    let (_, body) = app
        .send_dingtalk(&DingTalkMsg::new(&app, "食堂饭卡能退吗").from("u-li", "李四"))
        .await;
    let second = ticket_number(markdown_text(&body)).unwrap();

    let no_target = officer_says(&app, &format!("合并 {second}")).await;
    let merged = officer_says(&app, &format!("合并 {second} 到 {first}")).await;
    let notice = group_message(&app, SESSION_PATH, "the merge notice", "已并入").await;
    app.api_post(
        &format!("/tickets/{first}/answer"),
        json!({"officer": "王科长", "text": "房租减免请咨询属地国资部门。"}),
    )
    .await;
    let answer = group_message(&app, SESSION_PATH, "the answer", "国资部门").await;

    assert!(no_target.contains("用法：@机器人 合并"), "{no_target}");
    assert!(merged.contains(&format!("已并入工单 #{first}")), "{merged}");
    assert!(notice.text().starts_with("@u-li"), "{}", notice.text());
    assert!(
        notice.text().contains(&format!("工单 #{second}")),
        "{}",
        notice.text()
    );
    assert_eq!(answer.body["at"]["atUserIds"], json!(["u-zhang", "u-li"]));
    let t = app.ticket(second).await;
    assert_eq!(
        (t["status"].as_str(), t["close_reason"].as_str()),
        (Some("closed"), Some(format!("并入工单 #{first}").as_str()))
    );
}
