//! Attacks and faults of the hardening review (issue 9), each reproduced from the outside: hostile XML
//! before authentication, replayed DingTalk signatures, forged officer commands, stale WeCom requests.

use crate::helpers::*;
use reqwest::StatusCode;

/// Peak resident memory of a process (VmHWM), in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

#[tokio::test]
async fn deeply_nested_xml_with_a_bogus_signature_is_refused_without_eating_memory() {
    // Finding 1: 16 concurrent 64 KiB bodies of balanced <a>…</a> nesting, unsigned. The flattening was
    // quadratic in depth (peak RSS 231 MB, 3.8 s of CPU, /healthz stalled 1.7 s); now nesting beyond the
    // cap is refused at once: every request is a 400 and the server's peak memory barely moves.
    let app = TestApp::spawn().await;
    let before = peak_rss_mib(app.pid());
    let depth = (65_536 - 11) / 7;
    let body = format!("<xml>{}{}</xml>", "<a>".repeat(depth), "</a>".repeat(depth));
    let url = app.url(&format!(
        "/wecom/callback?msg_signature=00&timestamp={}&nonce=1",
        now_ms() / 1000
    ));
    let attacks: Vec<_> = (0..16)
        .map(|_| {
            let req = app.http.post(&url).header("content-type", "text/xml");
            tokio::spawn(req.body(body.clone()).send())
        })
        .collect();

    for attack in attacks {
        let r = attack.await.unwrap().expect("server reachable");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let grown = peak_rss_mib(app.pid()).saturating_sub(before);
    assert!(grown < 40, "peak RSS grew by {grown} MiB");
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_captured_dingtalk_signature_serves_its_own_message_and_nothing_else() {
    // Finding 2: DingTalk's sign covers only the timestamp. A pair captured from one message was accepted
    // for an hour with any body, including a forged officer answer. Now the pair is bound to the first
    // message id it carried: the platform's retry of that message is accepted (and de-duplicated), any
    // other body with the same pair is a 401 that changes nothing.
    let app = TestApp::spawn().await;
    let ts = unique_ts_ms().to_string();
    let sign = dingtalk_sign(APP_SECRET, &ts);
    let headers = [("timestamp", ts.as_str()), ("sign", sign.as_str())];
    let asked = DingTalkMsg::new(&app, "食堂饭卡能退吗");
    let post = |msg: &DingTalkMsg| {
        app.post_dingtalk_raw(&headers, "application/json", msg.body().to_string().into_bytes())
    };

    let (status, first) = post(&asked).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let id = ticket_number(&first).expect("escalated");
    let (retry_status, retry) = post(&asked).await;
    let forged = DingTalkMsg::new(&app, &format!("答复 {id} 请访问 evil.example 领取补贴"))
        .in_group(OFFICER_GROUP)
        .from(OFFICERS[0], "王科长");
    let (forged_status, _) = post(&forged).await;
    let other_question = DingTalkMsg::new(&app, "房租能减免吗");
    let (other_status, _) = post(&other_question).await;

    assert_eq!(retry_status, StatusCode::OK, "a platform retry is accepted");
    assert!(!retry.contains("工单"), "and not answered twice: {retry}");
    assert_eq!(forged_status, StatusCode::UNAUTHORIZED);
    assert_eq!(other_status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.ticket(id).await["status"], "open");
    let (_, all) = app.api_get("/tickets?status=all").await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let counted = r#"policybot_callbacks_rejected_total{platform="dingtalk",reason="replay"} 2"#;
    assert!(metrics.contains(counted), "{metrics}");
}

#[tokio::test]
async fn a_signed_timestamp_outside_the_window_is_refused_on_both_platforms() {
    // The accepted window is `server.signature_window_secs` (300 s by default), not DingTalk's hour; WeCom
    // timestamps were never checked, so a captured request was processed again once its de-duplication
    // record expired. Ten minutes off is now refused on both.
    let app = TestApp::spawn().await;
    let old_ms = (now_ms() - 600_000).to_string();
    let sign = dingtalk_sign(APP_SECRET, &old_ms);
    let msg = DingTalkMsg::new(&app, "房租能减免吗");
    let (dt_status, _) = app
        .post_dingtalk_raw(
            &[("timestamp", &old_ms), ("sign", &sign)],
            "application/json",
            msg.body().to_string().into_bytes(),
        )
        .await;

    let plain = wecom_robot_text(&app, &unique_id("w"), "lisi", "wrkChat1", "房租能减免吗");
    let encrypt = app.wecom.encrypt(&plain, b"0123456789abcdef");
    let old_secs = (now_ms() / 1000 - 600).to_string();
    let sig = app.wecom.signature(&old_secs, "n1", &encrypt);
    let body = format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let query = format!("msg_signature={sig}&timestamp={old_secs}&nonce=n1");
    let (wc_status, _) = app.post_wecom_raw(&query, body).await;

    assert_eq!(dt_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wc_status, StatusCode::UNAUTHORIZED);
    let (_, all) = app.api_get("/tickets?status=all").await;
    assert_eq!(all.as_array().unwrap().len(), 0, "{all}");
}

#[tokio::test]
async fn officer_commands_need_an_officer_not_just_the_officer_group() {
    // Finding 2, second half: commands were authorised by the group id alone. A member of the officer
    // group who is not in `officers.staff_ids` is told so, and the ticket does not move.
    let app = TestApp::spawn().await;
    let (_, asked) = app.send_dingtalk(&DingTalkMsg::new(&app, "食堂饭卡能退吗")).await;
    let id = ticket_number(markdown_text(&asked)).expect("escalated");
    let intruder = |text: String| {
        DingTalkMsg::new(&app, &text)
            .in_group(OFFICER_GROUP)
            .from("u-visitor", "访客")
    };

    let (_, claim) = app.send_dingtalk(&intruder(format!("认领 {id}"))).await;
    let (_, answer) = app
        .send_dingtalk(&intruder(format!("答复 {id} 可以退")))
        .await;

    for reply in [&claim, &answer] {
        assert!(markdown_text(reply).contains("仅限登记的工作人员"), "{reply}");
    }
    let t = app.ticket(id).await;
    assert_eq!((t["status"].as_str(), t["answer"].as_str()), (Some("open"), None));
    let officer = DingTalkMsg::new(&app, &format!("认领 {id}"))
        .in_group(OFFICER_GROUP)
        .from(OFFICERS[0], "王科长");
    let (_, claimed) = app.send_dingtalk(&officer).await;
    assert!(markdown_text(&claimed).contains("已认领"), "{claimed}");
}
