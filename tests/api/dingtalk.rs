//! DingTalk callbacks from the outside: what a signed question gets back, what hostile or broken requests
//! get back (and that they change nothing), numbered clarify picks, and redelivery de-duplication.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const MASK_QUESTION: &str = "我们厂临时转产口罩，要办环评吗？";

#[tokio::test]
async fn a_signed_faq_question_is_answered_in_the_response_mentioning_the_asker_and_citing_the_policy()
 {
    // A signed question that the FAQ covers is answered synchronously, as markdown that @-s the asker
    // (in the text and in atUserIds) and quotes the measure with its source document.
    let app = TestApp::spawn().await;

    let (status, body) = app
        .post_dingtalk(MASK_QUESTION, &unique_id("m"), "u-zhang")
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["msgtype"], "markdown");
    let text = markdown_text(&body);
    assert!(text.starts_with("@u-zhang"), "{text}");
    assert!(text.contains("豁免环评手续"), "{text}");
    assert!(
        text.contains("《关于支持服务企业复工复产平稳健康发展的意见》"),
        "{text}"
    );
    assert_eq!(body["at"]["atUserIds"], json!(["u-zhang"]));
}

#[tokio::test]
async fn callbacks_with_a_bad_sign_a_stale_timestamp_or_missing_headers_are_rejected_with_401() {
    // Authentication comes first: a wrong sign, a correctly signed timestamp two hours off (either way) and
    // absent headers are each refused with 401 and counted, nothing is escalated, the server stays up.
    let app = TestApp::spawn().await;
    let body = DingTalkMsg::new(&app, "房租能减免吗")
        .body()
        .to_string()
        .into_bytes();
    let now = now_ms().to_string();
    let stale = (now_ms() - 2 * 3_600_000).to_string();
    let stale_sign = dingtalk_sign(APP_SECRET, &stale);
    let ahead = (now_ms() + 2 * 3_600_000).to_string();
    let ahead_sign = dingtalk_sign(APP_SECRET, &ahead);
    let other_secret_sign = dingtalk_sign("not-the-secret", &now);
    let cases: [(&str, Vec<(&str, &str)>); 6] = [
        (
            "sign made with another secret",
            vec![("timestamp", &now), ("sign", &other_secret_sign)],
        ),
        (
            "sign that is not Base64",
            vec![("timestamp", &now), ("sign", "%%%")],
        ),
        (
            "timestamp two hours old",
            vec![("timestamp", &stale), ("sign", &stale_sign)],
        ),
        (
            "timestamp two hours ahead",
            vec![("timestamp", &ahead), ("sign", &ahead_sign)],
        ),
        ("no sign header", vec![("timestamp", &now)]),
        ("no headers at all", vec![]),
    ];

    for (case, headers) in cases {
        let (status, text) = app
            .post_dingtalk_raw(&headers, "application/json", body.clone())
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {text}");
    }

    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(
        tickets,
        json!([]),
        "a rejected callback must not open a ticket"
    );
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    // The two timestamps outside the window are counted as stale, the other four as signature failures.
    for (reason, n) in [("signature", 4), ("stale", 2)] {
        let counted = format!(
            "policybot_callbacks_rejected_total{{platform=\"dingtalk\",reason=\"{reason}\"}} {n}\n"
        );
        assert!(metrics.contains(&counted), "{counted} in:\n{metrics}");
    }
    app.assert_healthy().await;
}

/// Headers with a valid signature for now.
fn signed() -> (String, String) {
    let ts = unique_ts_ms().to_string();
    let sign = dingtalk_sign(APP_SECRET, &ts);
    (ts, sign)
}

#[tokio::test]
async fn signed_but_malformed_bodies_are_rejected_with_400() {
    // Correctly signed requests whose body is not a usable callback: broken JSON, invalid UTF-8 inside a
    // string, a JSON array, and a message without msgId. Each is a 400; the server stays up.
    let app = TestApp::spawn().await;
    let mut no_msg_id = DingTalkMsg::new(&app, "你好").body();
    no_msg_id.as_object_mut().unwrap().remove("msgId");
    let cases: [(&str, Vec<u8>); 4] = [
        (
            "truncated JSON",
            br#"{"msgId": "m1", "msgtype": "te"#.to_vec(),
        ),
        (
            "invalid UTF-8",
            b"{\"msgId\": \"\xff\xfe\", \"msgtype\": \"text\"}".to_vec(),
        ),
        ("an array", b"[]".to_vec()),
        ("no msgId", no_msg_id.to_string().into_bytes()),
    ];

    for (case, body) in cases {
        let (ts, sign) = signed();
        let (status, text) = app
            .post_dingtalk_raw(
                &[("timestamp", &ts), ("sign", &sign)],
                "application/json",
                body,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {text}");
    }
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_signed_callback_that_is_not_json_is_rejected_with_415() {
    // DingTalk always posts application/json; a form-encoded or text body is refused as 415.
    let app = TestApp::spawn().await;
    let body = DingTalkMsg::new(&app, MASK_QUESTION)
        .body()
        .to_string()
        .into_bytes();
    let (ts, sign) = signed();

    let (status, text) = app
        .post_dingtalk_raw(&[("timestamp", &ts), ("sign", &sign)], "text/plain", body)
        .await;

    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{text}");
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_body_over_max_body_bytes_is_rejected_with_413_and_changes_nothing() {
    // A signed out-of-scope question padded beyond server.max_body_bytes (64 KiB) is refused with 413
    // and opens no ticket.
    let app = TestApp::spawn().await;
    let mut msg = DingTalkMsg::new(&app, "房租能减免吗");
    msg.text.push_str(&" ".repeat(70 * 1024));
    let (ts, sign) = signed();

    let (status, _) = app
        .post_dingtalk_raw(
            &[("timestamp", &ts), ("sign", &sign)],
            "application/json",
            msg.body().to_string().into_bytes(),
        )
        .await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(tickets, json!([]));
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_picture_message_gets_a_text_only_notice() {
    // Only text questions are understood; a picture is answered (200) with a polite notice.
    let app = TestApp::spawn().await;
    let mut msg = DingTalkMsg::new(&app, "");
    msg.msgtype = "picture".into();

    let (status, body) = app.send_dingtalk(&msg).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(markdown_text(&body).contains("暂只支持文字提问"), "{body}");
}

#[tokio::test]
async fn a_message_delivered_three_times_is_answered_once_even_across_a_restart() {
    // DingTalk redelivers when it thinks a callback failed. Three concurrent deliveries of one msgId get
    // exactly one answer and two {"msgtype":"empty"}; after a restart on the same data dir a fourth
    // delivery is still recognised.
    let mut app = TestApp::spawn().await;
    let msg = DingTalkMsg::new(&app, MASK_QUESTION);

    let (a, b, c) = tokio::join!(
        app.send_dingtalk(&msg),
        app.send_dingtalk(&msg),
        app.send_dingtalk(&msg)
    );

    let replies = [a, b, c];
    assert!(
        replies.iter().all(|(s, _)| *s == StatusCode::OK),
        "{replies:?}"
    );
    let answers = replies
        .iter()
        .filter(|(_, b)| b["msgtype"] == "markdown")
        .count();
    let empties = replies
        .iter()
        .filter(|(_, b)| *b == json!({"msgtype": "empty"}))
        .count();
    assert_eq!((answers, empties), (1, 2), "{replies:?}");

    app.stop().await;
    app.start().await;
    let (status, body) = app.send_dingtalk(&msg).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"msgtype": "empty"}))
    );
    app.assert_healthy().await;
}

/// A question for which the matcher asks which entry was meant, with the answer the first suggestion
/// gets on its own (observed through `policybot ask --json`, not hard-coded).
fn clarify_case() -> (String, String) {
    let candidates = [
        "生态环境网校",
        "绿色排行榜",
        "环评",
        "许可证",
        "危废",
        "辐射",
    ];
    let asked = ask_json(&candidates);
    let clarify = asked
        .iter()
        .find(|r| r["outcome"] == "clarify")
        .expect("one candidate question yields clarify");
    let first = &clarify["candidates"][0];
    let standard = first["question"].as_str().unwrap();
    let direct = &ask_json(&[standard])[0];
    assert_eq!(
        direct["faq_id"], first["faq_id"],
        "the standard question answers its own entry"
    );
    let answer = direct["reply"].as_str().unwrap();
    (
        clarify["question"].as_str().unwrap().to_owned(),
        answer.to_owned(),
    )
}

#[tokio::test]
async fn replying_1_to_numbered_suggestions_gets_the_first_suggestions_answer() {
    // An ambiguous question gets numbered suggestions; "1" from the same sender in the same group gets
    // the first suggestion's full answer. The same "1" from someone else does not.
    let (question, first_answer) = clarify_case();
    let app = TestApp::spawn().await;

    let (_, suggestions) = app.post_dingtalk(&question, &unique_id("m"), "u-li").await;
    assert!(
        markdown_text(&suggestions).contains("请 @我 并回复序号"),
        "{suggestions}"
    );
    let (_, other) = app.post_dingtalk("1", &unique_id("m"), "u-wang").await;
    let (_, out_of_range) = app.post_dingtalk("9", &unique_id("m"), "u-li").await;
    let (status, picked) = app.post_dingtalk("1", &unique_id("m"), "u-li").await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        markdown_text(&picked).contains(&first_answer),
        "{picked}\nexpected: {first_answer}"
    );
    assert!(markdown_text(&picked).starts_with("@u-li"), "{picked}");
    assert!(
        markdown_text(&out_of_range).contains("请 @我 回复 1 到"),
        "a number beyond the suggestions asks again and keeps them: {out_of_range}"
    );
    assert!(
        !markdown_text(&other).contains(&first_answer),
        "another sender's \"1\" must not pick: {other}"
    );
}

#[tokio::test]
async fn replying_human_to_numbered_suggestions_escalates_the_original_question() {
    // The suggestions end with "回复“人工”转交工作人员". Doing so opens a ticket for the question that was
    // asked, not for the word "人工" (which would also lump every such request in the group together).
    let (question, _) = clarify_case();
    let app = TestApp::spawn().await;
    let (_, suggestions) = app.post_dingtalk(&question, &unique_id("m"), "u-li").await;
    assert!(
        markdown_text(&suggestions).contains("人工"),
        "{suggestions}"
    );

    let (status, reply) = app.post_dingtalk("人工", &unique_id("m"), "u-li").await;

    assert_eq!(status, StatusCode::OK);
    let id =
        ticket_number(markdown_text(&reply)).unwrap_or_else(|| panic!("not escalated: {reply}"));
    let (_, ticket) = app.api_get(&format!("/tickets/{id}")).await;
    assert_eq!(
        ticket["question"].as_str(),
        Some(question.as_str()),
        "{ticket}"
    );
}
