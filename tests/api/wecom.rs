//! WeCom callbacks from the outside: URL verification, encrypted group-robot messages answered with an
//! encrypted passive reply, rejections, and a late officer answer through the chat's WebhookUrl.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// Vector G4 of platform_vectors.json: URL verification with a full 32-byte padding block.
const G4_QUERY: &str = "msg_signature=b7fbdf2493fb373678a435594c18229ba2e54fe1&timestamp=1409659589&nonce=263014780&echostr=PzGmUgWk50kxC6Ee1E5Yx7Ce%2BsfstDFzyAi8ZrL73mYyWzUfvHHUGq0b0F6y6n%2FgrXz1lg1L%2Feomh16iOaNvJpWmpxMwUdi9tcQb3xBCEH%2BEPgYHjlnVLnhuSAB661j4";
const G4_PLAINTEXT: &str = "12345678901234567890123456";

#[test]
fn wecom_crypto_of_the_harness_matches_the_published_vectors() {
    // The harness's own WXBizMsgCrypt must reproduce vector G4 byte for byte, or the other WeCom tests
    // prove nothing.
    let c = WeComCrypto::new(WECOM_TOKEN, WECOM_KEY, WECOM_RECEIVE_ID);
    let encrypt = c.encrypt(G4_PLAINTEXT, b"0000000000000000");
    assert_eq!(
        encrypt,
        "PzGmUgWk50kxC6Ee1E5Yx7Ce+sfstDFzyAi8ZrL73mYyWzUfvHHUGq0b0F6y6n/grXz1lg1L/eomh16iOaNvJpWmpxMwUdi9tcQb3xBCEH+EPgYHjlnVLnhuSAB661j4"
    );
    assert_eq!(
        c.signature("1409659589", "263014780", &encrypt),
        "b7fbdf2493fb373678a435594c18229ba2e54fe1"
    );
    assert_eq!(
        c.decrypt(&encrypt),
        (G4_PLAINTEXT.to_owned(), WECOM_RECEIVE_ID.to_owned())
    );
}

#[tokio::test]
async fn url_verification_echoes_the_decrypted_echostr_verbatim() {
    // WeCom's GET check: a correctly signed, URL-encoded echostr is answered with exactly its plaintext
    // (no quotes, no newline); the same request with a wrong signature is a 401.
    let app = TestApp::spawn().await;

    let ok = app
        .http
        .get(app.url(&format!("/wecom/callback?{G4_QUERY}")))
        .send()
        .await
        .unwrap();
    let bad_query = G4_QUERY.replace("msg_signature=b7", "msg_signature=c7");
    let bad = app
        .http
        .get(app.url(&format!("/wecom/callback?{bad_query}")))
        .send()
        .await
        .unwrap();

    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), G4_PLAINTEXT);
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_encrypted_group_robot_question_gets_an_encrypted_passive_reply_with_the_answer() {
    // A group-robot text message, encrypted and signed as WeCom does, is answered in the response: a
    // signed <xml><Encrypt>… envelope that decrypts (for our receiveid) to a text reply with the answer.
    let app = TestApp::spawn().await;
    let xml = wecom_robot_text(
        &app,
        &unique_id("w"),
        "lisi",
        "wrkChat1",
        "我们厂临时转产口罩，要办环评吗？",
    );

    let (status, reply) = app.post_wecom(&xml).await;

    assert_eq!(status, StatusCode::OK, "{reply}");
    let encrypt = xml_field(&reply, "Encrypt");
    let (ts, nonce) = (xml_field(&reply, "TimeStamp"), xml_field(&reply, "Nonce"));
    assert_eq!(
        xml_field(&reply, "MsgSignature"),
        app.wecom.signature(ts, nonce, encrypt)
    );
    let (plain, receive_id) = app.wecom.decrypt(encrypt);
    assert_eq!(receive_id, WECOM_RECEIVE_ID);
    assert_eq!(xml_field(&plain, "MsgType"), "text");
    let content = xml_field(&plain, "Content");
    assert!(content.contains("豁免环评手续"), "{plain}");
    assert!(
        content.contains("《关于支持服务企业复工复产平稳健康发展的意见》"),
        "{plain}"
    );
}

#[tokio::test]
async fn callbacks_with_a_wrong_signature_or_another_receiveid_are_rejected_with_401() {
    // A message signed with another token, and one encrypted for another corp (receiveid), are 401 and
    // open no ticket.
    let app = TestApp::spawn().await;
    let xml = wecom_robot_text(&app, &unique_id("w"), "lisi", "wrkChat1", "房租能减免吗");
    let other_token = WeComCrypto::new("not-the-token", WECOM_KEY, WECOM_RECEIVE_ID);
    let other_corp = WeComCrypto::new(WECOM_TOKEN, WECOM_KEY, "wwWRONGCORPID");

    let (bad_sig, _) = app.post_wecom_with(&other_token, &xml).await;
    let (bad_id, _) = app.post_wecom_with(&other_corp, &xml).await;

    assert_eq!(bad_sig, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_id, StatusCode::UNAUTHORIZED);
    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(tickets, json!([]));
}

#[tokio::test]
async fn malformed_xml_is_rejected_with_400() {
    // A body that is not XML, and a correctly encrypted message whose plaintext is not XML, are 400s;
    // the server stays up.
    let app = TestApp::spawn().await;

    let query = format!("msg_signature=0&timestamp={}&nonce=2", now_ms() / 1000);
    let (not_xml, _) = app.post_wecom_raw(&query, "this is not xml".into()).await;
    let (bad_plain, _) = app.post_wecom("<xml><MsgType>text</MsgType><Text>").await;

    assert_eq!(not_xml, StatusCode::BAD_REQUEST);
    assert_eq!(bad_plain, StatusCode::BAD_REQUEST);
    app.assert_healthy().await;
}

#[tokio::test]
async fn an_officer_answer_to_a_wecom_question_goes_to_the_chats_webhook_mentioning_the_asker() {
    // An out-of-scope WeCom question opens a ticket (told in the passive reply); a redelivery gets an empty
    // 200; the officer's answer is posted to the chat's WebhookUrl with the asker in mentioned_list.
    let app = TestApp::spawn().await;
    let xml = wecom_robot_text(&app, &unique_id("w"), "lisi", "wrkChat1", "房租能减免吗");

    let (_, reply) = app.post_wecom(&xml).await;
    let (plain, _) = app.wecom.decrypt(xml_field(&reply, "Encrypt"));
    let id = ticket_number(&plain).unwrap_or_else(|| panic!("no ticket in {plain}"));
    let (again, empty) = app.post_wecom(&xml).await;
    assert_eq!((again, empty.as_str()), (StatusCode::OK, ""));
    let (status, _) = app
        .api_post(
            &format!("/tickets/{id}/answer"),
            json!({"officer": "王", "text": "请咨询属地税务部门。"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let sent = app
        .fake
        .wait_for(WECOM_HOOK_PATH, "the answer on the WeCom webhook", |r| {
            r.status == 200
        })
        .await;
    assert_eq!(sent.query.as_deref(), Some("key=test-key"));
    assert_eq!(sent.body["msgtype"], "text");
    assert_eq!(sent.body["text"]["mentioned_list"], json!(["lisi"]));
    assert!(
        sent.text().contains("请咨询属地税务部门。"),
        "{}",
        sent.text()
    );
    app.wait_delivery(id, "delivered").await;
    assert_eq!(app.ticket(id).await["askers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn officer_commands_work_from_a_wecom_officer_group_despite_the_robot_mention() {
    // WeCom keeps the "@机器人" prefix in Content. In the officer group "@政策助手 认领 1" must still be
    // the command, and the ticket must hold the question without the mention.
    let app = TestApp::spawn().await;
    let ask = wecom_robot_text(&app, &unique_id("w"), "lisi", "wrkChat1", "房租能减免吗");
    let (_, reply) = app.post_wecom(&ask).await;
    let id = ticket_number(&app.wecom.decrypt(xml_field(&reply, "Encrypt")).0).expect("escalated");
    assert_eq!(app.ticket(id).await["question"], "房租能减免吗");

    let claim = wecom_robot_text(
        &app,
        &unique_id("w"),
        "wangke",
        OFFICER_GROUP,
        &format!("认领 {id}"),
    );
    let (status, reply) = app.post_wecom(&claim).await;

    assert_eq!(status, StatusCode::OK);
    let (plain, _) = app.wecom.decrypt(xml_field(&reply, "Encrypt"));
    assert!(plain.contains(&format!("已认领工单 #{id}")), "{plain}");
    assert_eq!(app.ticket(id).await["status"], "claimed");
}

#[tokio::test]
async fn a_long_officer_answer_reaches_a_wecom_chat_in_parts_within_the_text_limit() {
    // WeCom refuses text over 2048 bytes. A 5000-byte officer answer arrives as several webhook messages,
    // each within the limit, together carrying the whole answer in order.
    let app = TestApp::spawn().await;
    let xml = wecom_robot_text(&app, &unique_id("w"), "lisi", "wrkChat1", "房租能减免吗");
    let (_, reply) = app.post_wecom(&xml).await;
    let id = ticket_number(&app.wecom.decrypt(xml_field(&reply, "Encrypt")).0).expect("escalated");
    let long: String = (1..=150)
        .map(|i| format!("第{i}条：请按属地政策办理。"))
        .collect();
    assert!(long.len() > 2 * 2048);

    let body = json!({"officer": "王", "text": long});
    let (status, _) = app.api_post(&format!("/tickets/{id}/answer"), body).await;
    assert_eq!(status, StatusCode::OK);

    app.wait_delivery(id, "delivered").await;
    let parts: Vec<String> = app
        .fake
        .requests_to(WECOM_HOOK_PATH)
        .iter()
        .map(|r| r.text())
        .collect();
    let sizes: Vec<usize> = parts.iter().map(String::len).collect();
    assert!(
        parts.len() >= 3 && sizes.iter().all(|n| *n <= 2048),
        "{sizes:?}"
    );
    assert!(
        parts.concat().contains(&long),
        "the parts, in order, carry the whole answer"
    );
}

#[tokio::test]
async fn a_mixed_message_is_answered_from_its_text_and_a_bare_image_gets_the_text_only_notice() {
    // A question sent together with a screenshot arrives as MsgType "mixed": its text items are the
    // question. An image alone has no question and gets the "text only" notice.
    let app = TestApp::spawn().await;
    let text_part = "<MsgType>text</MsgType><Text><Content><![CDATA[@政策助手 我们厂临时转产口罩，要办环评吗？]]></Content></Text>";
    let image_part = "<MsgType>image</MsgType><Image><ImageUrl><![CDATA[https://p.qpic.cn/x]]></ImageUrl></Image>";
    let with_body = |body: &str| {
        let xml = wecom_robot_text(
            &app,
            &unique_id("w"),
            "lisi",
            "wrkChat1",
            "我们厂临时转产口罩，要办环评吗？",
        );
        assert!(xml.contains(text_part));
        xml.replace(text_part, body)
    };
    let mixed = with_body(&format!(
        "<MsgType>mixed</MsgType><MixedMessage><MsgItem>{text_part}</MsgItem><MsgItem>{image_part}</MsgItem></MixedMessage>"
    ));
    let image = with_body(image_part);

    let (s1, mixed_reply) = app.post_wecom(&mixed).await;
    let (s2, image_reply) = app.post_wecom(&image).await;

    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    let (mixed_plain, _) = app.wecom.decrypt(xml_field(&mixed_reply, "Encrypt"));
    assert!(mixed_plain.contains("豁免环评手续"), "{mixed_plain}");
    let (image_plain, _) = app.wecom.decrypt(xml_field(&image_reply, "Encrypt"));
    assert!(image_plain.contains("暂只支持文字提问"), "{image_plain}");
}
