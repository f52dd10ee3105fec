//! What operators see (issue 13, points 10 and 11): `/metrics` described and complete before any traffic,
//! logs without colour codes in a pipe, durations with their unit and config errors naming the key, a log
//! that names a missing `app_secret`, and a plain start-up warning when no officer can see a ticket.

use crate::helpers::*;
use reqwest::StatusCode;

/// Every family `/metrics` exposes, with its type.
const FAMILIES: [(&str, &str); 9] = [
    ("policybot_questions_total", "counter"),
    ("policybot_duplicates_dropped_total", "counter"),
    ("policybot_callbacks_rejected_total", "counter"),
    ("policybot_connections_closed_total", "counter"),
    ("policybot_outbound_total", "counter"),
    ("policybot_match_seconds", "histogram"),
    ("policybot_outbox_pending", "gauge"),
    ("policybot_data_dir_bytes", "gauge"),
    ("policybot_faq_entries", "gauge"),
];

async fn metrics(app: &TestApp) -> String {
    let r = app.http.get(app.url("/metrics")).send().await.unwrap();
    r.text().await.unwrap()
}

#[tokio::test]
async fn metrics_before_any_traffic_describe_every_family_and_show_its_series_at_zero() {
    let app = TestApp::spawn().await;

    let text = format!("\n{}", metrics(&app).await);

    for (name, kind) in FAMILIES {
        assert!(
            text.contains(&format!("\n# HELP {name} ")),
            "no help for {name}:\n{text}"
        );
        assert!(
            text.contains(&format!("\n# TYPE {name} {kind}\n")),
            "{name}:\n{text}"
        );
    }
    for zero in [
        r#"policybot_questions_total{platform="dingtalk",outcome="answered"} 0"#,
        r#"policybot_questions_total{platform="wecom",outcome="escalated"} 0"#,
        r#"policybot_duplicates_dropped_total{platform="wecom"} 0"#,
        r#"policybot_callbacks_rejected_total{platform="dingtalk",reason="stale"} 0"#,
        r#"policybot_callbacks_rejected_total{platform="wecom",reason="signature"} 0"#,
        r#"policybot_connections_closed_total{reason="header_timeout"} 0"#,
        r#"policybot_outbound_total{result="failed"} 0"#,
        "policybot_match_seconds_count 0",
        "policybot_outbox_pending 0",
    ] {
        assert!(
            text.contains(&format!("\n{zero}\n")),
            "{zero} missing:\n{text}"
        );
    }
}

#[tokio::test]
async fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.edit_config(|c| c.replace("log_format = \"json\"", "log_format = \"text\""));

    let logged = app.serve_to_a_pipe().await;

    assert!(logged.contains("policybot serving"), "{logged}");
    assert!(!logged.contains('\u{1b}'), "escape codes in:\n{logged:?}");
}

/// The test config with `lines` added to its `[officers]` table.
fn with_officers(lines: &str) -> impl FnOnce(String) -> String {
    let lines = lines.to_owned();
    move |c| c.replacen("[officers]\n", &format!("[officers]\n{lines}\n"), 1)
}

#[tokio::test]
async fn a_duration_without_a_unit_or_with_an_unknown_one_is_refused_naming_its_key() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let original = std::fs::read_to_string(app.config_path()).unwrap();

    for (value, shown) in [("0.01", "0.01"), ("\"1.5 hours\"", "1.5 hours")] {
        std::fs::write(app.config_path(), &original).unwrap();
        app.edit_config(with_officers(&format!("sla = {value}")));
        let (ok, said) = app.serve_expecting_exit().await;
        assert!(!ok);
        let named =
            format!("config: officers.sla: invalid duration `{shown}`: write it with a unit");
        assert!(said.contains(&named), "{named} not in:\n{said}");
    }

    std::fs::write(app.config_path(), &original).unwrap();
    app.edit_config(with_officers("sla = \"1.5h\""));
    app.start().await;
    app.stop().await;

    std::fs::write(app.config_path(), &original).unwrap();
    app.edit_config(with_officers("sla_hours = 2"));
    app.start().await;
    let deprecated = "officers.sla_hours is deprecated: write officers.sla = \\\"2h\\\"";
    app.logged(&["WARN", deprecated]).await;
}

#[tokio::test]
async fn a_callback_without_a_configured_app_secret_is_refused_and_the_log_says_why() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.edit_config(|c| {
        c.replace(
            &format!("app_secret = \"{APP_SECRET}\""),
            "app_secret = \"\"",
        )
    });
    app.start().await;

    let (status, body) = app
        .send_dingtalk(&DingTalkMsg::new(&app, "房租能减免吗"))
        .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let line = app
        .logged(&[
            "DingTalk callback refused",
            "dingtalk.app_secret is not configured",
        ])
        .await;
    assert!(!line.contains("BadSignature"), "{line}");
    let counted =
        r#"policybot_callbacks_rejected_total{platform="dingtalk",reason="unconfigured"} 1"#;
    assert!(metrics(&app).await.contains(counted));
}

#[tokio::test]
async fn without_any_officer_channel_the_start_up_warning_says_nobody_sees_escalations() {
    let mut app = TestApp::spawn().await;
    let nobody = "escalated questions become tickets that nobody sees";
    assert!(!app.log_tail(50).contains(nobody));
    app.stop().await;
    app.edit_config(|c| {
        let c = c
            .replace(
                &format!("admin_token = \"{ADMIN_TOKEN}\""),
                "admin_token = \"\"",
            )
            .replace(&format!("groups = [\"{OFFICER_GROUP}\"]"), "groups = []");
        let start = c.find("notify_webhooks = [").unwrap();
        let end = start + c[start..].find('\n').unwrap();
        c.replace(&c[start..end], "notify_webhooks = []")
    });

    app.start().await;

    app.logged(&["WARN", nobody]).await;
}
