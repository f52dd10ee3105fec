//! The WeCom intelligent robot's long connection from the outside: the real server with `[wecom_aibot]`
//! against a fake long-connection server. It subscribes, answers on the message's req_id as a finished
//! stream message, answers a redelivered msgid once, keeps heartbeats and drops a connection that left
//! two unanswered, falls back to `aibot_send_msg` when a reply is refused, brings an officer's answer
//! to the chat, reports wrong credentials, reconnects after a drop, and stops for good on
//! `disconnected_event`.

use crate::helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

const MASK_QUESTION: &str = "我们厂临时转产口罩，要办环评吗？";
const RENT: &str = "房租能减免吗";
const CHAT: &str = "wrk-chat-1";

/// A server with the intelligent robot (its secret `secret`, heartbeats every `heartbeat_secs`) and
/// the fake WeCom server, which accepts [`AIBOT_SECRET`].
async fn spawn_aibot(secret: &str, heartbeat_secs: u64) -> (TestApp, FakeAibot) {
    let wecom = FakeAibot::new(AIBOT_SECRET);
    let fake = FakePlatform::start_with(wecom.routes());
    let url = format!("ws://{}{AIBOT_PATH}", fake.host());
    let setup = Setup {
        tables: format!(
            "[wecom_aibot]\nbot_id = \"{AIBOT_ID}\"\nsecret = \"{secret}\"\nws_url = \"{url}\"\n\
             heartbeat = \"{heartbeat_secs}s\"\n"
        ),
        ..Setup::default()
    };
    (TestApp::spawn_on(setup, fake).await, wecom)
}

/// Waits (bounded) for the reply on `req_id` and returns its markdown content.
async fn reply_on(wecom: &FakeAibot, req_id: &str) -> String {
    let sent = wecom
        .wait_for(
            "aibot_respond_msg",
            &format!("the reply on {req_id}"),
            |s| s.body["headers"]["req_id"] == req_id,
        )
        .await;
    assert_eq!(sent.body["body"]["msgtype"], "stream");
    assert_eq!(sent.body["body"]["stream"]["finish"], true);
    sent.body["body"]["stream"]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Watches `probe` for `window`; panics if it ever turns false.
async fn holds_for(what: &str, window: Duration, probe: impl Fn() -> bool) {
    let until = Instant::now() + window;
    while Instant::now() < until {
        assert!(probe(), "{what} stopped holding");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_group_message_is_answered_on_its_req_id_as_a_finished_stream_message() {
    // The bot subscribes with its bot id and secret; a group message (with the leading "@bot") is
    // answered on the callback's req_id with the FAQ's quote, and /healthz shows the connection.
    let (app, wecom) = spawn_aibot(AIBOT_SECRET, 30).await;
    wecom.wait_subscribed(1).await;

    let req_id = wecom.push_text(Some(CHAT), "zhangsan", MASK_QUESTION, &unique_id("m"));

    let content = reply_on(&wecom, &req_id).await;
    assert!(content.contains("豁免环评手续"), "{content}");
    assert!(content.contains("《关于支持服务企业复工复产平稳健康发展的意见》"));
    let (_, health) = app.health().await;
    assert!(health.contains("wecom_aibot: connected"), "{health}");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("policybot_transport_messages_total{transport=\"wecom_aibot\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_redelivered_msgid_is_answered_once() {
    let (_app, wecom) = spawn_aibot(AIBOT_SECRET, 30).await;
    wecom.wait_subscribed(1).await;
    let msgid = unique_id("m");

    let first = wecom.push_text(Some(CHAT), "zhangsan", MASK_QUESTION, &msgid);
    reply_on(&wecom, &first).await;
    let again = wecom.push_text(Some(CHAT), "zhangsan", MASK_QUESTION, &msgid);
    let later = wecom.push_text(
        Some(CHAT),
        "zhangsan",
        "辐射安全许可证快到期了怎么办",
        &unique_id("m"),
    );
    reply_on(&wecom, &later).await;

    let on_again = wecom.sent_cmd("aibot_respond_msg");
    assert!(
        !on_again
            .iter()
            .any(|s| s.body["headers"]["req_id"] == again.as_str())
    );
}

#[tokio::test]
async fn heartbeats_flow_and_two_unanswered_ones_drop_the_connection() {
    // With heartbeats every second, pings are sent on the connection; when the server stops answering
    // them, the bot drops the connection after two unanswered ones and subscribes again on a new one.
    let (app, wecom) = spawn_aibot(AIBOT_SECRET, 1).await;
    let first = wecom.wait_subscribed(1).await;
    wecom
        .wait_for("ping", "a heartbeat", |s| s.conn == first)
        .await;

    wecom.silence_pings(true);
    let second = wecom.wait_subscribed(2).await;

    assert_ne!(first, second);
    let pings_on_first = wecom
        .sent_cmd("ping")
        .iter()
        .filter(|s| s.conn == first)
        .count();
    assert!(pings_on_first >= 2, "{pings_on_first}");
    app.logged(&["heartbeats unanswered"]).await;
}

#[tokio::test]
async fn a_reply_refused_on_the_req_id_reaches_the_chat_with_aibot_send_msg() {
    // WeCom answers the reply on the req_id with an error: the reply is queued and sent to the chat
    // with aibot_send_msg, which waits for its own answer.
    let (_app, wecom) = spawn_aibot(AIBOT_SECRET, 30).await;
    wecom.wait_subscribed(1).await;
    wecom.refuse_replies(40_008);

    let req_id = wecom.push_text(Some(CHAT), "zhangsan", MASK_QUESTION, &unique_id("m"));

    reply_on(&wecom, &req_id).await;
    let sent = wecom
        .wait_for("aibot_send_msg", "the reply sent to the chat", |s| {
            s.body["body"]["markdown"]["content"]
                .as_str()
                .is_some_and(|c| c.contains("豁免环评手续"))
        })
        .await;
    assert_eq!(sent.body["body"]["chatid"], CHAT);
}

#[tokio::test]
async fn an_escalated_question_is_ticketed_and_the_officer_answer_reaches_the_chat() {
    // An out-of-scope question: the reply on the req_id gives the ticket number; the officer's answer
    // (admin API) goes to the chat with aibot_send_msg, @-ing the asker, and the ticket is delivered.
    let (app, wecom) = spawn_aibot(AIBOT_SECRET, 30).await;
    wecom.wait_subscribed(1).await;

    let req_id = wecom.push_text(Some(CHAT), "lisi", RENT, &unique_id("m"));
    let notice = reply_on(&wecom, &req_id).await;
    assert!(notice.contains("工单 #1"), "{notice}");
    let (status, t) = app
        .api_post(
            "/tickets/1/answer",
            json!({"officer": "王科长", "text": "房租减免请向园区管委会申请。"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{t}");

    let sent = wecom
        .wait_for("aibot_send_msg", "the officer's answer", |s| {
            s.body["body"]["markdown"]["content"]
                .as_str()
                .is_some_and(|c| c.contains("园区管委会"))
        })
        .await;
    assert_eq!(sent.body["body"]["chatid"], CHAT);
    let content = sent.body["body"]["markdown"]["content"].as_str().unwrap();
    assert!(content.starts_with("<@lisi>"), "{content}");
    let t = app.wait_delivery(1, "delivered").await;
    assert_eq!(t["route"]["kind"], "we_com_aibot");
}

#[tokio::test]
async fn wrong_credentials_are_reported_without_the_secret() {
    let (app, wecom) = spawn_aibot("not-the-secret-Q9", 30).await;

    let health = poll(
        "a refused robot in /healthz",
        Duration::from_secs(10),
        || async {
            let (_, h) = app.health().await;
            h.contains("wecom_aibot: refused").then_some(h)
        },
    )
    .await;

    assert!(
        health.contains("853000") && health.contains("wecom_aibot.bot_id and secret"),
        "{health}"
    );
    assert!(!wecom.sent_cmd("aibot_subscribe").is_empty());
    let metrics = app.metrics().await;
    assert!(
        metrics
            .contains("policybot_transport_state{transport=\"wecom_aibot\",state=\"refused\"} 1")
    );
    app.logged(&["\"ERROR\"", "wecom_aibot", "refused"]).await;
    for text in [&health, &metrics, &app.log_tail(200)] {
        assert!(!text.contains("not-the-secret-Q9"));
    }
}

#[tokio::test]
async fn a_ws_url_off_the_allow_list_is_not_dialled() {
    // A plain ws:// URL to a loopback host that is not listed: refused before any connection, and
    // /healthz names the key.
    let wecom = FakeAibot::new(AIBOT_SECRET);
    let fake = FakePlatform::start_with(wecom.routes());
    let setup = Setup {
        tables: format!(
            "[wecom_aibot]\nbot_id = \"{AIBOT_ID}\"\nsecret = \"{AIBOT_SECRET}\"\n\
             ws_url = \"ws://127.0.0.2:9/aibot\"\n"
        ),
        ..Setup::default()
    };
    let app = TestApp::spawn_on(setup, fake).await;

    let health = poll(
        "a refused robot in /healthz",
        Duration::from_secs(10),
        || async {
            let (_, h) = app.health().await;
            h.contains("wecom_aibot: refused").then_some(h)
        },
    )
    .await;

    assert!(
        health.contains("wecom_aibot.ws_url") && health.contains("server.allowed_outbound_hosts")
    );
    assert!(wecom.sent().is_empty());
}

#[tokio::test]
async fn an_abrupt_drop_is_followed_by_a_new_subscription() {
    let (app, wecom) = spawn_aibot(AIBOT_SECRET, 30).await;
    wecom.wait_subscribed(1).await;

    wecom.drop_newest();
    wecom.wait_subscribed(2).await;
    let req_id = wecom.push_text(Some(CHAT), "zhangsan", MASK_QUESTION, &unique_id("m"));

    assert!(reply_on(&wecom, &req_id).await.contains("豁免环评手续"));
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("policybot_transport_reconnects_total{transport=\"wecom_aibot\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn disconnected_event_stops_the_client_for_good_and_says_so() {
    // Another instance took the bot: the client stops without reconnecting (watched for three times the
    // first backoff), logs it as an error, and /healthz and /metrics show it stopped.
    let (app, wecom) = spawn_aibot(AIBOT_SECRET, 30).await;
    wecom.wait_subscribed(1).await;

    wecom.take_over();

    let health = poll(
        "a stopped robot in /healthz",
        Duration::from_secs(10),
        || async {
            let (_, h) = app.health().await;
            h.contains("wecom_aibot: stopped").then_some(h)
        },
    )
    .await;
    assert!(health.contains("another instance"), "{health}");
    holds_for("one subscription only", Duration::from_secs(3), || {
        wecom.sent_cmd("aibot_subscribe").len() == 1
    })
    .await;
    let metrics = app.metrics().await;
    assert!(
        metrics
            .contains("policybot_transport_state{transport=\"wecom_aibot\",state=\"stopped\"} 1")
    );
    app.logged(&["\"level\":\"ERROR\"", "wecom_aibot", "stopped"])
        .await;
}
