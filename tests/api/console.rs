//! The officers' console in a real headless Chromium (issue 10): sign in, work a ticket that a signed
//! DingTalk callback created until the group receives the answer, try a question, approve a draft that
//! then answers (and reject another), the first-start set-up link, and the refusals (wrong password,
//! missing CSRF token, an officer on an admin page, a move the ticket's state does not allow). Each
//! test saves screenshots under `target/screenshots/`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const OFFICER: (&str, &str) = ("王科长", "officer-pass-1");
const ADMIN: (&str, &str) = ("李处长", "admin-pass-22");
/// Escalated by the shipped base (see tests/api/teach.rs).
const QUESTION: &str = "我们厂这阵子改做消毒液，手续上那个评价还用不用弄";

/// `policybot officer hash-password` with `password` on stdin.
fn hash(password: &str) -> String {
    let mut child = Command::new(BIN)
        .args(["officer", "hash-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The two accounts as `[[console.accounts]]` tables.
fn accounts() -> String {
    let table = |(name, pw): (&str, &str), role: &str| {
        format!(
            "[[console.accounts]]\nname = \"{name}\"\npassword_hash = \"{}\"\nrole = \"{role}\"\n",
            hash(pw)
        )
    };
    format!("{}\n{}", table(OFFICER, "officer"), table(ADMIN, "admin"))
}

async fn spawn(setup: Setup) -> TestApp {
    TestApp::spawn_with(Setup {
        extra: accounts(),
        ..setup
    })
    .await
}

#[tokio::test]
async fn an_officer_claims_and_answers_a_ticket_and_the_group_receives_the_answer() {
    let app = spawn(Setup::default()).await;
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };
    let base = app.url("");
    b.sign_in(&base, OFFICER.0, OFFICER.1).await;
    b.find("#inbox-rows").await;

    // Arrange: a ticket made by a signed DingTalk callback after the inbox is open appears by itself.
    let id = app.escalate(QUESTION).await;
    b.find(&format!("#ticket-row-{id}")).await;
    b.screenshot("console-inbox").await;

    // Act: claim, answer.
    b.click(&format!("#ticket-row-{id} a")).await;
    assert_eq!(b.text("#question").await, QUESTION);
    b.click("#claim").await;
    assert_eq!(b.text("#ticket-status").await, "已认领");
    b.fill(
        "#answer-text",
        "改产消毒液的环评问题，请按当地生态环境局的最新通知办理。",
    )
    .await;
    b.click("#send-answer").await;

    // Assert: the group gets it as from the API, and the history names the officer.
    let sent = app
        .fake
        .wait_for(SESSION_PATH, "the console's answer in the group", |r| {
            r.text().contains("请按当地生态环境局的最新通知办理")
        })
        .await;
    assert!(sent.text().contains("@u-zhang"), "{}", sent.text());
    let t = app.ticket(id).await;
    assert_eq!(t["status"], "answered");
    let actors: Vec<&str> = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(actors.contains(&OFFICER.0), "{t}");
    b.find("#history").await;
    b.screenshot("console-ticket-answered").await;
    b.goto(&app.url("/asks")).await;
    assert_eq!(b.text("#escalations").await, "1");
    b.find("svg.chart").await;
    b.screenshot("console-asks").await;
    b.close().await;
}

#[tokio::test]
async fn the_try_it_pane_answers_a_question_as_the_bot_would_on_a_phone() {
    let app = spawn(Setup::default()).await;
    let Some(b) = Browser::start(412, 915).await else {
        return;
    };
    b.sign_in(&app.url(""), OFFICER.0, OFFICER.1).await;
    let question = "生态环境网校是干啥的";
    let (status, expected) = app.api_post("/ask", json!({ "question": question })).await;
    assert_eq!(status, StatusCode::OK);

    b.goto(&app.url("/try")).await;
    b.fill("#question", question).await;
    b.click("#ask").await;

    let outcome = b.find("#outcome").await.attr("data-outcome").await.unwrap();
    assert_eq!(outcome.as_deref(), Some("answered"));
    assert_eq!(
        b.text("#answer-entry").await,
        expected["faq_id"].as_str().unwrap()
    );
    let shown = b.text("#reply").await;
    let first_line = expected["reply"].as_str().unwrap().lines().next().unwrap();
    assert!(shown.contains(first_line.trim()), "{shown}");
    assert!(b.text("#candidates").await.contains("得分"));
    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(tickets, json!([]), "try-it makes no ticket");
    b.screenshot("console-try-it-phone").await;
    b.close().await;
}

#[tokio::test]
async fn the_try_it_pane_answers_as_a_group_of_a_place_and_names_an_unknown_place() {
    // Groups configured as one place's get that place's measures: an officer trying a question must
    // be able to see what such a group gets, as `ask --place` and the API show it.
    let app = spawn(Setup::default()).await;
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };
    b.sign_in(&app.url(""), OFFICER.0, OFFICER.1).await;
    let question = "疫情期间环评审批能网上办吗";
    let (_, province) = app.api_post("/ask", json!({ "question": question })).await;
    let (_, city) = app
        .api_post("/ask", json!({ "question": question, "place": "三门峡" }))
        .await;
    assert_ne!(
        province["faq_id"], city["faq_id"],
        "the place changes the answer"
    );

    b.goto(&app.url("/try")).await;
    b.fill("#question", question).await;
    b.fill("#place", "三门峡").await;
    b.click("#ask").await;
    assert_eq!(
        b.text("#answer-entry").await,
        city["faq_id"].as_str().unwrap()
    );
    assert!(b.text("#answered-as").await.contains("三门峡"));
    b.screenshot("console-try-it-place").await;

    b.fill("#question", question).await;
    b.fill("#place", "汴京").await;
    b.click("#ask").await;
    assert!(b.text("#place-error").await.contains("汴京"));
    assert!(
        !b.page_text().await.contains("候选条目"),
        "nothing answered"
    );
    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(tickets, json!([]), "try-it makes no ticket");
    b.close().await;
}

#[tokio::test]
async fn an_admin_approves_a_draft_and_the_next_question_is_answered_from_it() {
    let (_dir, faq) = faq_copy(|_| {});
    let app = spawn(Setup {
        faq: Some(faq.clone()),
        ..Setup::default()
    })
    .await;
    let question = "园区的共享食堂周末还开不开门";
    let answer = "共享食堂周末照常开放，开放时间为上午十一点至下午一点。";
    let id = app.escalate(question).await;
    let other = app.escalate("食堂饭卡能退吗").await;
    for (ticket, text) in [(id, answer), (other, "饭卡余额可到食堂窗口退还。")] {
        for (action, body) in [
            ("answer", json!({ "officer": "王科长", "text": text })),
            ("draft", json!({ "officer": "王科长" })),
        ] {
            let (status, v) = app
                .api_post(&format!("/tickets/{ticket}/{action}"), body)
                .await;
            assert_eq!(status, StatusCode::OK, "{action}: {v}");
        }
    }
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };
    b.sign_in(&app.url(""), ADMIN.0, ADMIN.1).await;

    b.goto(&app.url("/drafts")).await;
    b.find(&format!("#draft-{id}")).await;
    b.screenshot("console-drafts").await;
    // One draft is rejected: it leaves the list, nothing is written.
    b.click(&format!("#reject-{other}")).await;
    b.find(&format!("#draft-{id}")).await;
    assert!(!b.page_text().await.contains(&format!("工单 #{other}")));
    // The admin completes what a served entry needs: phrasings and a public citation.
    let phrasings =
        "园区食堂周末开门吗\n周六周日共享食堂开不开\n共享食堂双休日营业吗\n周末去园区食堂能吃饭吗";
    b.fill(&format!("#alt-{id}"), phrasings).await;
    b.fill(&format!("#clause-{id}"), "园区共享食堂开放时间")
        .await;
    b.click(&format!("#approve-{id}")).await;
    b.find("#no-drafts").await;

    let written = std::fs::read_to_string(faq.join("entries/officer.toml")).unwrap();
    assert!(
        written.contains(&format!("id = \"officer-{id}\""))
            && written.contains("reviewed_by = \"李处长\""),
        "{written}"
    );
    let (ok, out, err) = run_cli(&["faq", "check", "--faq", &faq.display().to_string()]);
    assert!(ok, "{out}{err}");
    let msg = DingTalkMsg::new(&app, question).in_group("cid-another-group==");
    let (_, body) = app.send_dingtalk(&msg).await;
    assert!(
        markdown_text(&body).contains("共享食堂周末照常开放"),
        "{body}"
    );
    b.goto(&app.url(&format!("/knowledge/entry/officer-{id}")))
        .await;
    assert!(
        b.text("#entry-answer")
            .await
            .contains("共享食堂周末照常开放")
    );
    b.screenshot("console-approved-entry").await;
    b.close().await;

    // Both decisions are in their tickets' histories under the admin's name.
    let last = |t: &Value| t["history"].as_array().unwrap().last().unwrap().clone();
    let approved = last(&app.ticket(id).await);
    assert_eq!(
        (&approved["actor"], &approved["action"]),
        (&json!(ADMIN.0), &json!("draft approved"))
    );
    assert!(
        approved["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("officer-{id}")),
        "{approved}"
    );
    let rejected = last(&app.ticket(other).await);
    assert_eq!(
        (&rejected["actor"], &rejected["action"]),
        (&json!(ADMIN.0), &json!("draft rejected"))
    );
    assert!(
        !written.contains("停车场"),
        "a rejected draft is not written"
    );
}

#[tokio::test]
async fn the_first_start_prints_a_set_up_link_that_makes_the_first_admin_once() {
    let app = TestApp::spawn().await;
    let log = app.log_tail(200);
    let link = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["fields"]["message"].as_str().map(str::to_owned))
        .find_map(|m| {
            m.split_whitespace()
                .find(|w| w.contains("/setup?token="))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no set-up link in the log:\n{log}"));
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };

    b.goto(&link).await;
    b.fill("#name", "首位管理员").await;
    b.fill("#password", "first-admin-pw").await;
    b.fill("#password2", "first-admin-pw").await;
    b.click("form button[type=submit]").await;

    assert!(b.text("#who").await.contains("首位管理员（管理员）"));
    b.screenshot("console-first-admin").await;
    b.goto(&link).await;
    assert!(b.page_text().await.contains("设置链接无效或已使用"));
    b.close().await;
}

#[tokio::test]
async fn a_wrong_password_a_missing_csrf_token_and_an_officer_on_an_admin_page_are_refused() {
    let app = spawn(Setup::default()).await;
    let id = app.escalate(QUESTION).await;
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };

    b.sign_in(&app.url(""), OFFICER.0, "not-the-password").await;
    assert_eq!(b.text("#signin-error").await, "用户名或密码错误");
    b.screenshot("console-wrong-password").await;
    let logs = app.log_tail(400);
    assert!(
        logs.contains("console: failed sign-in") && !logs.contains("not-the-password"),
        "{logs}"
    );

    b.sign_in(&app.url(""), OFFICER.0, OFFICER.1).await;
    b.goto(&app.url(&format!("/ticket/{id}"))).await;
    b.client
        .execute(
            "document.querySelector('#claim-form input[name=csrf]').remove()",
            vec![],
        )
        .await
        .unwrap();
    b.click("#claim").await;
    assert!(b.text("#error-message").await.contains("CSRF"));
    b.screenshot("console-missing-csrf").await;
    assert_eq!(app.ticket(id).await["status"], "open", "nothing changed");

    // A move the ticket's state no longer allows is refused in the words officers read in chat.
    b.goto(&app.url(&format!("/ticket/{id}"))).await;
    let claim = || {
        DingTalkMsg::new(&app, &format!("认领 {id}"))
            .in_group(OFFICER_GROUP)
            .from("o-wang", "王科长")
    };
    app.send_dingtalk(&claim()).await;
    b.click("#claim").await;
    let refusal = b.text("#error-message").await;
    // What another officer reads in chat when claiming the same ticket.
    let other = DingTalkMsg::new(&app, &format!("认领 {id}"))
        .in_group(OFFICER_GROUP)
        .from(OFFICERS[1], "汪科");
    let (_, in_chat) = app.send_dingtalk(&other).await;
    assert!(refusal.contains(&format!("工单 #{id}")), "{refusal}");
    assert!(markdown_text(&in_chat).contains(&refusal), "{in_chat}");
    assert_eq!(
        app.ticket(id).await["claimed_by"],
        "王科长(o-wang)",
        "as claimed in chat"
    );
    b.screenshot("console-refused-claim").await;

    b.goto(&app.url("/drafts")).await;
    assert_eq!(b.text("#error-message").await, "此页面仅限管理员");
    b.screenshot("console-officer-on-admin-page").await;
    b.close().await;
}

#[tokio::test]
async fn without_a_session_pages_lead_to_sign_in_and_forms_change_nothing() {
    let app = spawn(Setup::default()).await;
    let id = app.escalate(QUESTION).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let page = http.get(app.url("/")).send().await.unwrap();
    let post = http
        .post(app.url(&format!("/ticket/{id}/claim")))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    let unknown = http.get(app.url("/no-such-page")).send().await.unwrap();

    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/signin");
    assert_eq!(post.status(), StatusCode::SEE_OTHER);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.ticket(id).await["status"], "open");
}

#[tokio::test]
async fn the_console_can_be_switched_off() {
    let app = TestApp::spawn_with(Setup {
        extra: "[console]\nenabled = false\n".into(),
        ..Setup::default()
    })
    .await;
    let r = app.http.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!app.log_tail(200).contains("/setup?token="));
}
