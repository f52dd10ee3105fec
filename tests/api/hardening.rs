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
        app.post_dingtalk_raw(
            &headers,
            "application/json",
            msg.body().to_string().into_bytes(),
        )
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
    let (_, asked) = app
        .send_dingtalk(&DingTalkMsg::new(&app, "食堂饭卡能退吗"))
        .await;
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
        assert!(
            markdown_text(reply).contains("仅限登记的工作人员"),
            "{reply}"
        );
    }
    let t = app.ticket(id).await;
    assert_eq!(
        (t["status"].as_str(), t["answer"].as_str()),
        (Some("open"), None)
    );
    let officer = DingTalkMsg::new(&app, &format!("认领 {id}"))
        .in_group(OFFICER_GROUP)
        .from(OFFICERS[0], "王科长");
    let (_, claimed) = app.send_dingtalk(&officer).await;
    assert!(markdown_text(&claimed).contains("已认领"), "{claimed}");
}

/// Out-of-scope questions that always escalate, distinct so that none merges with another.
fn canteen(n: u64) -> String {
    format!("食堂第{n}号窗口的饭卡能退吗")
}

#[tokio::test]
async fn a_damaged_data_dir_is_refused_and_restored_from_a_backup_without_reusing_numbers() {
    // Finding 3: truncating sled's log lost tickets silently (exit 0, numbers reused). Now the store is
    // checked against its manifest: the bot refuses to start and says what to do; `db check` fails;
    // `db restore` of an online backup brings the backed-up tickets back and numbering continues
    // above every number already issued.
    let mut app = TestApp::spawn().await;
    for n in 1..=3 {
        assert_eq!(app.escalate(&canteen(n)).await, n);
    }
    let backup = app.data_dir().with_file_name("backup.jsonl");
    let config = app.config_path().display().to_string();
    let file = backup.display().to_string();
    let (ok, out, err) = app
        .cli(&[
            "db",
            "backup",
            &file,
            "--online",
            "--config",
            &config,
            "--server",
            &app.url(""),
        ])
        .await;
    assert!(ok, "{out}{err}");
    for n in 4..=40 {
        assert_eq!(app.escalate(&canteen(n)).await, n);
    }
    app.stop().await;
    let db = app.data_dir().join("v1").join("db");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let (started, said) = app.serve_expecting_exit().await;
    let (checked, check_out, check_err) = app.cli(&["db", "check", "--config", &config]).await;
    let (restored, restore_out, restore_err) = app
        .cli(&["db", "restore", &file, "--config", &config])
        .await;

    assert!(!started, "served on a damaged data dir: {said}");
    assert!(said.contains("policybot db restore"), "{said}");
    assert!(!checked, "db check passed a damaged data dir: {check_out}");
    assert!(check_err.contains("behind its manifest"), "{check_err}");
    assert!(restored, "{restore_out}{restore_err}");
    app.start().await;
    for n in 1..=3 {
        assert_eq!(app.ticket(n).await["question"], canteen(n));
    }
    assert_eq!(app.escalate("车间的空调能报销吗").await, 41);
}

#[tokio::test]
async fn a_full_disk_never_acknowledges_and_the_bot_recovers_when_space_returns() {
    // Finding 4: on ENOSPC the escalation got a 500 but its ticket and de-dup record stayed in memory, so
    // the platform's retry got "200 empty" and the ticket was gone after a restart; writes kept failing
    // after space was freed while /healthz said ok. Now (disk full = a file-size limit on the process)
    // the question gets 503, its retries get 503, /healthz and /readyz say so; once writes work again
    // the store is reopened from disk by itself, the retry is escalated, and the ticket survives kill -9.
    let mut app = TestApp::spawn().await;
    assert_eq!(app.escalate(&canteen(1)).await, 1);
    app.limit_file_size(Some(1024));
    let asked = DingTalkMsg::new(&app, &canteen(2));

    let (first, _) = app.send_dingtalk(&asked).await;
    let (retry, retry_body) = app.send_dingtalk(&asked).await;
    let (health, why) = app.health().await;
    let ready = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status();
    app.limit_file_size(None);
    let recovered = poll(
        "storage recovery",
        std::time::Duration::from_secs(15),
        || async { (app.health().await.0 == StatusCode::OK).then_some(()) },
    );
    recovered.await;
    let (after, body) = app.send_dingtalk(&asked).await;

    assert_eq!(first, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry, StatusCode::SERVICE_UNAVAILABLE, "{retry_body}");
    assert_eq!(health, StatusCode::SERVICE_UNAVAILABLE);
    assert!(why.contains("storage"), "{why}");
    assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(after, StatusCode::OK);
    let id = ticket_number(markdown_text(&body)).expect("escalated after recovery");
    app.kill9();
    app.start().await;
    assert_eq!(app.ticket(id).await["question"], canteen(2));
    assert_eq!(app.ticket(1).await["question"], canteen(1));
}

#[tokio::test]
async fn an_empty_faq_base_is_refused_at_start_up() {
    // Finding 9: an unreadable or empty faq/ started the bot with 0 entries, escalating everything,
    // with no warning. Now serve refuses to start and says why.
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir(empty.path().join("entries")).unwrap();
    let faq = concat!(env!("CARGO_MANIFEST_DIR"), "/faq");
    let empty_dir = empty.path().display().to_string();
    app.edit_config(|c| c.replace(faq, &empty_dir));

    let (started, said) = app.serve_expecting_exit().await;

    assert!(!started, "{said}");
    assert!(said.contains("no entries"), "{said}");
}

/// A WeCom question from `lisi` in chat `wrkChat1`, escalated; returns the ticket number.
async fn escalate_wecom(app: &TestApp, text: &str) -> u64 {
    let xml = wecom_robot_text(app, &unique_id("w"), "lisi", "wrkChat1", text);
    let (status, reply) = app.post_wecom(&xml).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let (plain, _) = app.wecom.decrypt(xml_field(&reply, "Encrypt"));
    ticket_number(&plain).unwrap_or_else(|| panic!("not escalated: {plain}"))
}

async fn metric(app: &TestApp, name: &str) -> Option<String> {
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_owned))
}

#[tokio::test]
async fn a_hanging_webhook_holds_up_only_its_own_messages() {
    // Finding 6: one worker sent one item at a time, so an answer to a chat whose webhook hangs delayed
    // unrelated officer notifications by the client timeout on every attempt (~50 s). Now each
    // destination has its own task: the notification of a new ticket arrives while the hung post is
    // still outstanding.
    let app = TestApp::spawn().await;
    let id = escalate_wecom(&app, "食堂饭卡能退吗").await;
    app.fake.fail(WECOM_HOOK_PATH, Failure::Hang);
    let body = serde_json::json!({"officer": "王", "text": "可到窗口退卡。"});
    let (status, _) = app.api_post(&format!("/tickets/{id}/answer"), body).await;
    assert_eq!(status, StatusCode::OK);
    poll(
        "the hung post",
        std::time::Duration::from_secs(10),
        || async { (!app.fake.requests_to(WECOM_HOOK_PATH).is_empty()).then_some(()) },
    )
    .await;

    let second = app.escalate("车间空调能报销吗").await;

    let notified = poll(
        "the officers' notification beside the hung webhook",
        std::time::Duration::from_secs(5),
        || async {
            let sent = app.fake.requests_to(OFFICERS_PATH);
            sent.iter()
                .any(|r| r.text().contains(&format!("#{second}")))
                .then_some(())
        },
    );
    notified.await;
    assert_eq!(app.ticket(id).await["delivery"]["state"], "queued");
}

#[tokio::test]
async fn each_part_of_a_long_answer_is_posted_once_even_when_the_rate_limit_trips_midway() {
    // Finding 6: a long WeCom answer was one outbox item sent as N posts; when the platform's rate limit
    // tripped at part k, parts 1..k-1 were posted again on every retry. Now each part is its own item:
    // part 1 is posted once, part 2 is retried alone, and the ticket is delivered when the last arrives.
    let app = TestApp::spawn().await;
    let id = escalate_wecom(&app, "食堂饭卡能退吗").await;
    let long: String = (1..=150)
        .map(|i| format!("第{i}条：请按属地政策办理。"))
        .collect();
    app.fake
        .fail_after(WECOM_HOOK_PATH, 1, Failure::Errcode(45009));
    let body = serde_json::json!({"officer": "王", "text": long});
    let (status, _) = app.api_post(&format!("/tickets/{id}/answer"), body).await;
    assert_eq!(status, StatusCode::OK);
    poll(
        "the rate-limited part",
        std::time::Duration::from_secs(10),
        || async { (app.fake.requests_to(WECOM_HOOK_PATH).len() >= 2).then_some(()) },
    )
    .await;
    app.fake.heal(WECOM_HOOK_PATH);

    app.wait_delivery(id, "delivered").await;
    let posts: Vec<String> = app
        .fake
        .requests_to(WECOM_HOOK_PATH)
        .iter()
        .map(|r| r.text())
        .collect();
    let first = &posts[0];
    assert_eq!(
        posts.iter().filter(|p| *p == first).count(),
        1,
        "{posts:#?}"
    );
    let mut distinct = posts.clone();
    distinct.dedup();
    assert!(distinct.concat().contains(&long), "all parts, in order");
    assert_eq!(
        posts.len(),
        distinct.len() + 1,
        "only the refused part was posted twice: {posts:#?}"
    );
}

#[tokio::test]
async fn the_send_rate_limit_survives_a_restart() {
    // Finding 6: the 20-a-minute limit lived in memory, so a restart sent 25 posts to one webhook in
    // 1.3 s. Now the count is in the store: after 15 notifications and a restart, the next 5 go out and
    // the next 3 wait in the outbox (merged into one digest) for the minute to pass.
    let mut app = TestApp::spawn().await;
    for n in 1..=15 {
        app.escalate(&canteen(n)).await;
        notified(&app, n as usize).await;
    }
    app.stop().await;
    app.start().await;
    for n in 16..=20 {
        app.escalate(&canteen(n)).await;
        notified(&app, n as usize).await;
    }
    for n in 21..=23 {
        app.escalate(&canteen(n)).await;
    }

    let held = poll(
        "20 sent and the rest held back",
        std::time::Duration::from_secs(10),
        || async {
            let pending = metric(&app, "policybot_outbox_pending").await;
            (app_sent(&app) == 20 && pending.as_deref() == Some("1")).then_some(())
        },
    );
    held.await;
}

/// Waits until the officers' webhook has received `n` posts.
async fn notified(app: &TestApp, n: usize) {
    poll(
        "a notification",
        std::time::Duration::from_secs(10),
        || async { (app_sent(app) == n).then_some(()) },
    )
    .await
}

/// Posts the officers' webhook has received.
fn app_sent(app: &TestApp) -> usize {
    app.fake.requests_to(OFFICERS_PATH).len()
}

#[tokio::test]
async fn a_flood_of_new_questions_is_refused_politely_beyond_the_hourly_limits() {
    // Finding 8: 10k distinct questions from one group each opened a ticket and queued a notification
    // that drained at 20 a minute (~8 hours). Now a sender and a group may open a bounded number of new
    // tickets an hour (here 3 and 5); beyond, the asker is told to wait, and no ticket is opened.
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.edit_config(|c| {
        c.replace("sender_per_hour = 10000", "sender_per_hour = 3")
            .replace("group_per_hour = 10000", "group_per_hour = 5")
    });
    app.start().await;
    let ask = |sender: &str, n: u64| {
        DingTalkMsg::new(&app, &canteen(n)).from(sender, &format!("{sender}的昵称"))
    };

    let mut replies = Vec::new();
    for n in 1..=4 {
        replies.push(app.send_dingtalk(&ask("u-flood", n)).await.1);
    }
    for n in 5..=7 {
        replies.push(app.send_dingtalk(&ask("u-other", n)).await.1);
    }
    let rejoined = app.send_dingtalk(&ask("u-third", 1)).await.1;

    let tickets: Vec<Option<u64>> = replies
        .iter()
        .map(|r| ticket_number(markdown_text(r)))
        .collect();
    assert_eq!(
        tickets,
        [Some(1), Some(2), Some(3), None, Some(4), Some(5), None],
        "sender limit 3, group limit 5"
    );
    assert!(
        markdown_text(&replies[3]).contains("请稍后再提交"),
        "{}",
        replies[3]
    );
    assert_eq!(
        ticket_number(markdown_text(&rejoined)),
        Some(1),
        "an open question still joins"
    );
    let (_, all) = app.api_get("/tickets?status=all").await;
    assert_eq!(all.as_array().unwrap().len(), 5);
    // Each question is counted once, by what became of it: a refused one as throttled, not also as
    // escalated (it was counted both ways before).
    let metrics = app.metrics().await;
    for (outcome, n) in [("escalated", 6), ("throttled", 2)] {
        let series = format!(
            "policybot_questions_total{{platform=\"dingtalk\",outcome=\"{outcome}\"}} {n}\n"
        );
        assert!(metrics.contains(&series), "{series} in\n{metrics}");
    }
}

#[tokio::test]
async fn notifications_waiting_to_be_sent_are_merged_into_a_digest() {
    // Finding 8, second half: under load the officers got one rate-limited message per ticket. While
    // their webhook is failing, eight new tickets queue up; once it works they arrive as a few digests
    // (each within the platform's text limit), every ticket number exactly once.
    let app = TestApp::spawn().await;
    app.fake.fail(OFFICERS_PATH, Failure::Http500);
    for n in 1..=8 {
        let msg = DingTalkMsg::new(&app, &canteen(n)).from(&format!("u-{n}"), "企业联系人");
        let (_, body) = app.send_dingtalk(&msg).await;
        assert_eq!(ticket_number(markdown_text(&body)), Some(n));
    }
    app.fake.heal(OFFICERS_PATH);

    let delivered = poll(
        "all eight tickets notified",
        std::time::Duration::from_secs(20),
        || async {
            let ok: Vec<String> = app
                .fake
                .requests_to(OFFICERS_PATH)
                .iter()
                .filter(|r| r.status == 200)
                .map(|r| r.text())
                .collect();
            let all = (1..=8).all(|n| ok.iter().any(|t| t.contains(&format!("【新工单 #{n}】"))));
            all.then_some(ok)
        },
    )
    .await;
    assert!(delivered.len() < 8, "{delivered:#?}");
    for n in 1..=8 {
        let tag = format!("【新工单 #{n}】");
        assert_eq!(
            delivered.iter().filter(|t| t.contains(&tag)).count(),
            1,
            "#{n}"
        );
    }
}

#[tokio::test]
async fn db_compact_rewrites_the_store_keeping_every_ticket_and_the_numbering() {
    // Growth: sled never gives space back; `db compact` (bot stopped) rewrites the database from a
    // checked backup. Every ticket survives, numbering continues, and /metrics reports the data dir size.
    let mut app = TestApp::spawn().await;
    for n in 1..=30 {
        assert_eq!(app.escalate(&canteen(n)).await, n);
    }
    let bytes = metric(&app, "policybot_data_dir_bytes").await.unwrap();
    assert!(bytes.parse::<u64>().unwrap() > 0, "{bytes}");
    app.stop().await;
    let config = app.config_path().display().to_string();

    let (ok, out, err) = app.cli(&["db", "compact", "--config", &config]).await;

    assert!(ok, "{out}{err}");
    assert!(out.contains("db compact:"), "{out}");
    app.start().await;
    for n in [1, 15, 30] {
        assert_eq!(app.ticket(n).await["question"], canteen(n));
    }
    assert_eq!(app.escalate("车间空调能报销吗").await, 31);
}

#[tokio::test]
async fn a_message_too_long_to_be_one_question_goes_to_the_officers_whole() {
    // A pasted document of 15,000 characters: matching it took ~0.3 s of CPU (in proportion to its
    // length). Now it is escalated unmatched, with its whole text on the ticket.
    let app = TestApp::spawn().await;
    let text = format!(
        "{}我们厂临时转产口罩，要办环评吗？",
        "转发通知内容。".repeat(2_000)
    );
    let (status, body) = app.send_dingtalk(&DingTalkMsg::new(&app, &text)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = ticket_number(markdown_text(&body)).expect("a ticket");
    let ticket = app.ticket(id).await;
    assert!(
        ticket.to_string().contains("要办环评吗"),
        "the whole message is on the ticket"
    );
    let (_, asked) = app
        .api_post("/ask", serde_json::json!({ "question": text }))
        .await;
    assert_eq!(
        (&asked["reason"], &asked["candidates"]),
        (
            &serde_json::json!("too long to match"),
            &serde_json::json!([])
        ),
        "not matched at all"
    );
}
