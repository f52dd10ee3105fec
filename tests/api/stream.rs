//! DingTalk Stream mode from the outside: the real server in `mode = "stream"` against a fake gateway
//! (connections/open, single-use tickets, the WebSocket). Messages are acked and answered through their
//! session webhook, a redelivered msgId is answered once, pings are answered, a SYSTEM disconnect and
//! an abrupt drop are survived with nothing lost or answered twice, an escalated question's officer
//! answer reaches the group, wrong credentials are reported, an acked question survives kill -9, and a
//! graceful stop acks what is in flight before it closes the connection.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

const MASK_QUESTION: &str = "我们厂临时转产口罩，要办环评吗？";
const RENT: &str = "房租能减免吗";

/// A stream-mode server and its gateway (accepting `secret` as the app secret), connected.
async fn spawn_stream(gateway_secret: &str) -> (TestApp, FakeGateway) {
    let gateway = FakeGateway::new(APP_KEY, gateway_secret);
    let fake = FakePlatform::start_with(gateway.routes());
    let setup = Setup {
        dingtalk: "mode = \"stream\"".into(),
        ..Setup::default()
    };
    let app = TestApp::spawn_on(setup, fake).await;
    (app, gateway)
}

/// The replies posted to the session webhook that quote `needle`.
fn replies_with(app: &TestApp, needle: &str) -> Vec<Recorded> {
    app.fake
        .requests_to(SESSION_PATH)
        .into_iter()
        .filter(|r| r.text().contains(needle))
        .collect()
}

async fn wait_reply(app: &TestApp, needle: &str) -> Recorded {
    app.fake
        .wait_for(SESSION_PATH, &format!("a reply with {needle}"), |r| {
            r.text().contains(needle)
        })
        .await
}

fn assert_acked_ok(ack: &Ack) {
    assert_eq!(ack.body["code"], 200, "{}", ack.body);
}

#[tokio::test]
async fn a_stream_message_is_acked_and_answered_through_its_session_webhook() {
    // A robot message over the stream is acked (code 200, its messageId) and answered with the same
    // markdown an HTTP callback gets in its response, posted to the message's sessionWebhook.
    let (app, gw) = spawn_stream(APP_SECRET).await;
    let conn = gw.wait_connections(1).await;

    let msg = DingTalkMsg::new(&app, MASK_QUESTION).from("u-zhang", "张三");
    let frame = gw.push_on(conn, &msg.body());

    assert_acked_ok(&gw.wait_ack(&frame).await);
    let reply = wait_reply(&app, "豁免环评手续").await;
    assert_eq!(reply.body["msgtype"], "markdown");
    assert!(reply.text().starts_with("@u-zhang"), "{}", reply.text());
    assert!(
        reply
            .text()
            .contains("《关于支持服务企业复工复产平稳健康发展的意见》")
    );
    assert_eq!(reply.body["at"]["atUserIds"], json!(["u-zhang"]));
    let (status, health) = app.health().await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(health.contains("dingtalk_stream: connected"), "{health}");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("policybot_transport_messages_total{transport=\"dingtalk_stream\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "policybot_transport_state{transport=\"dingtalk_stream\",state=\"connected\"} 1"
    ));
}

#[tokio::test]
async fn a_redelivered_msg_id_is_acked_again_but_answered_once() {
    // DingTalk may push a message again (a late ack): both frames are acked, one reply is posted.
    // A third message in the same group, answered after them, bounds the wait for a second reply.
    let (app, gw) = spawn_stream(APP_SECRET).await;
    gw.wait_connections(1).await;
    let msg = DingTalkMsg::new(&app, MASK_QUESTION);

    let first = gw.push(&msg.body());
    let again = gw.push(&msg.body());
    assert_acked_ok(&gw.wait_ack(&first).await);
    assert_acked_ok(&gw.wait_ack(&again).await);
    wait_reply(&app, "豁免环评手续").await;
    let later = gw.push(&DingTalkMsg::new(&app, "辐射安全许可证快到期了怎么办").body());
    gw.wait_ack(&later).await;
    wait_reply(&app, "辐射安全许可证").await;

    assert_eq!(replies_with(&app, "豁免环评手续").len(), 1);
    assert!(
        app.metrics()
            .await
            .contains("policybot_duplicates_dropped_total{platform=\"dingtalk\"} 1")
    );
}

#[tokio::test]
async fn a_reply_that_cannot_be_posted_is_queued_before_the_ack_and_delivered_later() {
    // The session webhook fails (HTTP 500): the message is still acked, because its reply is queued and
    // committed first; once the webhook works again the delivery worker posts it.
    let (app, gw) = spawn_stream(APP_SECRET).await;
    gw.wait_connections(1).await;
    app.fake.fail(SESSION_PATH, Failure::Http500);

    let frame = gw.push(&DingTalkMsg::new(&app, MASK_QUESTION).body());

    assert_acked_ok(&gw.wait_ack(&frame).await);
    let queued = app.metrics().await;
    assert!(!queued.contains("policybot_outbox_pending 0\n"), "{queued}");
    app.fake.heal(SESSION_PATH);
    let delivered = app
        .fake
        .wait_for(SESSION_PATH, "the queued reply delivered", |r| {
            r.status == 200
        })
        .await;
    assert!(
        delivered.text().contains("豁免环评手续"),
        "{}",
        delivered.text()
    );
    assert!(delivered.text().starts_with("@u-zhang"));
}

#[tokio::test]
async fn gateway_pings_are_acked_with_their_own_data() {
    let (_app, gw) = spawn_stream(APP_SECRET).await;
    gw.wait_connections(1).await;

    let ping = gw.ping("opaque-123");

    let ack = gw.wait_ack(&ping).await;
    assert_acked_ok(&ack);
    let data: Value = serde_json::from_str(ack.body["data"].as_str().unwrap()).unwrap();
    assert_eq!(data, json!({"opaque": "opaque-123"}));
}

#[tokio::test]
async fn a_system_disconnect_moves_to_a_new_connection_losing_and_doubling_nothing() {
    // After SYSTEM disconnect the bot opens a new connection with a new ticket while the old one still
    // acks: a message that arrives on the old connection after the disconnect is acked and answered; the
    // same message redelivered on the new connection is acked and not answered again; a new message on
    // the new connection is answered. Then the gateway closes the old connection.
    let (app, gw) = spawn_stream(APP_SECRET).await;
    let old = gw.wait_connections(1).await;
    let before = gw.push_on(old, &DingTalkMsg::new(&app, MASK_QUESTION).body());
    gw.wait_ack(&before).await;
    wait_reply(&app, "豁免环评手续").await;

    gw.disconnect(old);
    let late = DingTalkMsg::new(&app, "辐射安全许可证快到期了怎么办");
    let late_frame = gw.push_on(old, &late.body());
    let new = gw.wait_connections(2).await;
    assert_eq!(
        gw.closed(old),
        None,
        "the new connection came before the old one closed"
    );
    let redelivered = gw.push_on(new, &late.body());

    for frame in [&late_frame, &redelivered] {
        assert_acked_ok(&gw.wait_ack(frame).await);
    }
    let late_ack = gw.wait_ack(&late_frame).await;
    assert_eq!(late_ack.conn, old, "acked on the old connection");
    assert_eq!(
        gw.opens(),
        2,
        "one connections/open (one ticket) per connection"
    );
    gw.drop_conn(old);
    wait_reply(&app, "辐射安全许可证").await;
    // A message after both acks: its reply comes after any reply they caused (one group, in order).
    let fresh = gw.push_on(new, &DingTalkMsg::new(&app, "环评审批可以网上办吗").body());
    assert_acked_ok(&gw.wait_ack(&fresh).await);
    let fresh_reply = wait_reply(&app, "网上").await;
    assert!(fresh_reply.text().contains("@u-zhang"));
    assert_eq!(
        replies_with(&app, "辐射安全许可证").len(),
        1,
        "answered once"
    );
    assert_eq!(replies_with(&app, "豁免环评手续").len(), 1);
}

#[tokio::test]
async fn an_abrupt_drop_is_survived_and_the_unacked_message_is_answered_once() {
    // The connection dies right after a message was pushed (whether or not its ack got through); the bot
    // reconnects with a new ticket after a short backoff, the gateway delivers the message again, and it
    // is acked and answered exactly once. /metrics counts the reconnect.
    let (app, gw) = spawn_stream(APP_SECRET).await;
    let first = gw.wait_connections(1).await;
    let msg = DingTalkMsg::new(&app, MASK_QUESTION);

    gw.push_on(first, &msg.body());
    gw.drop_conn(first);
    let second = gw.wait_connections(2).await;
    let again = gw.push_on(second, &msg.body());

    assert_acked_ok(&gw.wait_ack(&again).await);
    wait_reply(&app, "豁免环评手续").await;
    let later = gw.push_on(
        second,
        &DingTalkMsg::new(&app, "辐射安全许可证快到期了怎么办").body(),
    );
    gw.wait_ack(&later).await;
    wait_reply(&app, "辐射安全许可证").await;
    assert_eq!(replies_with(&app, "豁免环评手续").len(), 1);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("policybot_transport_reconnects_total{transport=\"dingtalk_stream\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_escalated_stream_question_is_ticketed_and_the_officer_answer_reaches_the_group() {
    // An out-of-scope question over the stream: acked, the asker is told the ticket number through the
    // session webhook, and the officer's answer (admin API) is posted into the group later.
    let (app, gw) = spawn_stream(APP_SECRET).await;
    gw.wait_connections(1).await;

    let frame = gw.push(&DingTalkMsg::new(&app, RENT).body());
    assert_acked_ok(&gw.wait_ack(&frame).await);
    let notice = wait_reply(&app, "工单 #1").await;
    assert!(notice.text().contains("@u-zhang"), "{}", notice.text());
    let (status, t) = app
        .api_post(
            "/tickets/1/answer",
            json!({"officer": "王科长", "text": "房租减免请向园区管委会申请。"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{t}");

    let answer = wait_reply(&app, "园区管委会").await;
    assert_eq!(answer.body["at"]["atUserIds"], json!(["u-zhang"]));
    app.wait_delivery(1, "delivered").await;
}

#[tokio::test]
async fn wrong_credentials_are_reported_in_healthz_metrics_and_the_log_without_the_secret() {
    // The gateway refuses the app secret (401 authFailed): /healthz names the state and the keys to
    // check, /metrics has the refused state, the log says so, and the secret is in none of them.
    let (app, gw) = spawn_stream("the-secret-the-gateway-wants").await;

    let health = poll(
        "a refused stream in /healthz",
        Duration::from_secs(10),
        || async {
            let (_, h) = app.health().await;
            h.contains("dingtalk_stream: refused").then_some(h)
        },
    )
    .await;

    assert!(health.contains("dingtalk.app_key/app_secret"), "{health}");
    assert_eq!(gw.connections(), 0);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(
            "policybot_transport_state{transport=\"dingtalk_stream\",state=\"refused\"} 1"
        )
    );
    app.logged(&["\"ERROR\"", "dingtalk_stream", "refused"])
        .await;
    let log = app.log_tail(200);
    for text in [&health, &metrics, &log] {
        assert!(!text.contains(APP_SECRET));
    }
}

#[tokio::test]
async fn a_gateway_endpoint_off_the_allow_list_is_not_dialled() {
    // connections/open hands out an endpoint on a host that is not on server.allowed_outbound_hosts: the
    // bot does not connect, and /healthz says which key to change.
    let gateway = FakeGateway::new(APP_KEY, APP_SECRET);
    gateway.hand_out("wss://gateway.elsewhere.example/connect");
    let fake = FakePlatform::start_with(gateway.routes());
    let setup = Setup {
        dingtalk: "mode = \"stream\"".into(),
        ..Setup::default()
    };
    let app = TestApp::spawn_on(setup, fake).await;

    let health = poll(
        "the refused gateway in /healthz",
        Duration::from_secs(10),
        || async {
            let (_, h) = app.health().await;
            h.contains("dingtalk_stream: refused").then_some(h)
        },
    )
    .await;

    assert!(
        health.contains("wss://gateway.elsewhere.example/connect"),
        "{health}"
    );
    assert!(health.contains("server.allowed_outbound_hosts"), "{health}");
    assert!(
        !health.contains("ticket"),
        "the ticket is not shown: {health}"
    );
    assert_eq!(gateway.connections(), 0);
}

#[tokio::test]
async fn an_acked_question_and_its_ticket_survive_kill_9() {
    // Once a frame is acked, its ticket is on disk and its reply is either posted or still queued: after
    // kill -9 and a restart the ticket is there and the reply is not lost.
    let (mut app, gw) = spawn_stream(APP_SECRET).await;
    gw.wait_connections(1).await;

    let frame = gw.push(&DingTalkMsg::new(&app, RENT).body());
    gw.wait_ack(&frame).await;
    app.kill9();
    app.start().await;

    let t = app.ticket(1).await;
    assert_eq!(t["question"], RENT);
    let posted = !replies_with(&app, "工单 #1").is_empty();
    let queued = !app.metrics().await.contains("policybot_outbox_pending 0\n");
    assert!(posted || queued, "the reply was neither posted nor queued");
}

#[tokio::test]
async fn a_graceful_stop_acks_what_it_read_then_closes_the_connection_cleanly() {
    // SIGTERM while 40 escalations (each committed before its ack) are arriving on a flowing connection:
    // every frame the bot read before it stopped is acked before the connection closes, so the acked
    // frames are a prefix of those pushed (the rest stay unacked for the gateway to deliver again), and
    // the bot closes with a closing handshake.
    let (mut app, gw) = spawn_stream(APP_SECRET).await;
    let conn = gw.wait_connections(1).await;
    let warm = gw.push_on(conn, &DingTalkMsg::new(&app, MASK_QUESTION).body());
    gw.wait_ack(&warm).await;
    let frames: Vec<String> = (0..40)
        .map(|i| {
            let msg =
                DingTalkMsg::new(&app, &format!("{RENT}（第{i}家）")).in_group(&format!("g-{i}"));
            gw.push_on(conn, &msg.body())
        })
        .collect();

    app.stop().await;

    poll("the connection closed", Duration::from_secs(10), || async {
        gw.closed(conn).map(|_| ())
    })
    .await;
    assert_eq!(
        gw.closed(conn),
        Some(true),
        "closed with a closing handshake"
    );
    let acked: Vec<bool> = frames.iter().map(|f| !gw.acks_of(f).is_empty()).collect();
    let n = acked.iter().take_while(|a| **a).count();
    assert!(
        acked[n..].iter().all(|a| !a),
        "acked frames are not a prefix: {acked:?}"
    );
}
