//! Small faults of the hardening review (finding 10): a send API answering 200 with a non-JSON body, a
//! config whose own destinations are off the allow-list, and a TOML error that named only a byte range.
//! Also: a command whose output is piped into `head` ends quietly when `head` has read enough.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_send_answered_200_with_a_non_json_body_is_retried_not_dropped() {
    // Before: a proxy page with 200 failed the delivery permanently on the first try. Now it is transient.
    let app = TestApp::spawn().await;
    let (_, asked) = app
        .send_dingtalk(&DingTalkMsg::new(&app, "食堂饭卡能退吗"))
        .await;
    let id = ticket_number(markdown_text(&asked)).expect("escalated");
    app.fake.fail(SESSION_PATH, Failure::NotJson);

    let answer = json!({"officer": "王科长", "text": "饭卡余额可到食堂窗口退还。"});
    let (status, _) = app.api_post(&format!("/tickets/{id}/answer"), answer).await;
    assert_eq!(status, StatusCode::OK);
    app.fake
        .wait_for(SESSION_PATH, "an attempt answered with HTML", |r| {
            r.text().contains("饭卡余额")
        })
        .await;
    app.fake.heal(SESSION_PATH);

    app.wait_delivery(id, "delivered").await;
    let attempts = app.fake.requests_to(SESSION_PATH).len();
    assert!(attempts >= 2, "{attempts} attempts");
}

#[tokio::test]
async fn officer_webhooks_and_the_api_base_off_the_allow_list_are_named_at_start_up() {
    let mut app = TestApp::spawn().await;
    let warning = "not on server.allowed_outbound_hosts";
    assert!(
        !app.log_tail(100).contains(warning),
        "the test config is consistent"
    );
    app.stop().await;
    let config = std::fs::read_to_string(app.config_path()).unwrap();
    let moved = config.replace(
        &format!("allowed_outbound_hosts = [\"{}\"]", app.fake.host()),
        "allowed_outbound_hosts = [\"qyapi.weixin.qq.com\"]",
    );
    assert_ne!(moved, config);
    std::fs::write(app.config_path(), moved).unwrap();

    app.start().await;

    // The warnings follow the "serving" line; the log reader may see them just after /healthz answers.
    for key in ["officers.notify_webhooks[0]", "dingtalk.api_base"] {
        app.logged(&["WARN", warning, key]).await;
    }
}

#[tokio::test]
async fn a_toml_syntax_error_names_the_key_and_line() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let config = std::fs::read_to_string(app.config_path()).unwrap();
    let broken = config.replacen("listen = \"127.0.0.1:0\"", "listen = 127.0.0.1:0", 1);
    std::fs::write(app.config_path(), broken).unwrap();

    let (ok, said) = app.serve_expecting_exit().await;

    assert!(!ok);
    assert!(said.contains("server.listen (line 2)"), "{said}");
    assert!(!said.contains("bytes"), "{said}");
}

#[test]
fn a_command_whose_reader_goes_away_ends_quietly() {
    // Before: `policybot faq build … | head` panicked ("failed printing to stdout: Broken pipe") and
    // `ask --json … | head -1` printed "error: Broken pipe" and failed. 5,000 answers are ~2 MB, far more
    // than a pipe buffers, so the bot is still writing when the reader goes away.
    let (ok, stderr) = ask_json_read_one_line(5_000);
    assert!(ok, "{stderr}");
    assert_eq!(stderr, "");
}
