//! Unit tests of loading and validating a config.

use super::*;

#[test]
fn the_example_is_a_valid_config() {
    let c = Config::from_toml(EXAMPLE, &[]).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.max_body_bytes, 65536);
    assert_eq!(c.matcher, Thresholds::default());
}

#[test]
fn the_local_try_out_config_is_valid() {
    let local = include_str!("../../config.local.example.toml");
    let c = Config::from_toml(local, &[]).unwrap();
    assert!(c.dingtalk.app_secret.is_set() && c.server.admin_token.is_set());
    assert_eq!(
        c.officers.notify_webhooks,
        [Url::parse("http://127.0.0.1:9009/officers").unwrap()]
    );
}

#[test]
fn transports_default_to_http_and_off_and_name_what_they_miss() {
    let c = Config::from_toml(EXAMPLE, &[]).unwrap();
    assert_eq!(c.dingtalk.mode, DingTalkMode::Http);
    assert!(!c.wecom_aibot.enabled());
    assert_eq!(
        c.wecom_aibot.ws_url.as_str(),
        "wss://openws.work.weixin.qq.com/"
    );
    assert_eq!(c.wecom_aibot.heartbeat, Duration::from_secs(30));
    for (toml, key) in [
        ("[dingtalk]\nmode = \"stream\"\n", "dingtalk.app_key"),
        (
            "[dingtalk]\nmode = \"stream\"\napp_key = \"k\"\n",
            "dingtalk.app_secret",
        ),
        ("[dingtalk]\nmode = \"websocket\"\n", "dingtalk.mode"),
        ("[wecom_aibot]\nbot_id = \"b\"\n", "wecom_aibot.secret"),
        (
            "[wecom_aibot]\nbot_id = \"b\"\nsecret = \"s\"\nws_url = \"https://x\"\n",
            "wecom_aibot.ws_url",
        ),
        (
            "[wecom_aibot]\nbot_id = \"b\"\nsecret = \"s\"\nheartbeat = \"0s\"\n",
            "wecom_aibot.heartbeat",
        ),
    ] {
        let e = Config::from_toml(toml, &[]).unwrap_err();
        assert_eq!(e.key, key, "{toml}: {e}");
    }
    let env = vec![("POLICYBOT_WECOM_AIBOT_SECRET".to_owned(), "s".to_owned())];
    let c = Config::from_toml("[wecom_aibot]\nbot_id = \"b\"\n", &env).unwrap();
    assert_eq!(c.wecom_aibot.secret.expose(), "s");
}

#[test]
fn a_partial_file_keeps_the_defaults() {
    let c = Config::from_toml("[server]\nlisten = \"127.0.0.1:0\"\n", &[]).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:0");
    assert_eq!(c.officers.sla, Duration::from_secs(24 * 3600));
}

#[test]
fn errors_name_the_key() {
    let e = Config::from_toml("[server]\nlisten = \"nope\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "server.listen");
    let e = Config::from_toml("[wecom]\nencoding_aes_key = \"short\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "wecom.encoding_aes_key");
    let e = Config::from_toml("[matcher]\nanswer = 0.2\nclarify = 0.5\n", &[]).unwrap_err();
    assert_eq!(e.key, "matcher.clarify");
}

#[test]
fn numbers_out_of_their_range_are_refused_by_key() {
    for (toml, key) in [
        (
            "[officers]\nsla_hours = 9223372036854775807\n",
            "officers.sla_hours",
        ),
        ("[officers]\nsla_hours = 0\n", "officers.sla_hours"),
        ("[officers]\nsla = \"30s\"\n", "officers.sla"),
        ("[officers]\nsla = \"400d\"\n", "officers.sla"),
        (
            "[server]\nsignature_window_secs = 7200\n",
            "server.signature_window_secs",
        ),
        (
            "[server]\nclarify_ttl_secs = 0\n",
            "server.clarify_ttl_secs",
        ),
        (
            "[server]\ndedupe_ttl_secs = 300\n",
            "server.dedupe_ttl_secs",
        ),
        (
            "[server]\nheader_read_timeout_secs = 0\n",
            "server.header_read_timeout_secs",
        ),
        (
            "[server]\nidle_timeout_secs = 86400\n",
            "server.idle_timeout_secs",
        ),
        (
            "[server]\nshutdown_grace_secs = 0\n",
            "server.shutdown_grace_secs",
        ),
        ("[server]\nmax_connections = 0\n", "server.max_connections"),
    ] {
        let e = Config::from_toml(toml, &[]).unwrap_err();
        assert_eq!(e.key, key, "{toml}");
    }
}

#[test]
fn knowledge_defaults_to_today_with_notices_and_names_bad_values() {
    use crate::knowledge::{AsOf, Lapsed};
    let c = Config::from_toml(EXAMPLE, &[]).unwrap();
    assert_eq!(
        (c.knowledge.as_of, c.knowledge.lapsed),
        (AsOf::Today, Lapsed::AnswerWithNotice)
    );
    let c = Config::from_toml("[knowledge]\nlapsed = \"escalate\"\n", &[]).unwrap();
    assert_eq!(c.knowledge.lapsed, Lapsed::Escalate);
    let e = Config::from_toml("[knowledge]\nas_of = \"2020-02-30\"\n", &[]).unwrap_err();
    assert!(e.message.contains("knowledge.as_of"), "{e}");
}

#[test]
fn syntax_and_type_errors_name_the_key_not_a_byte_range() {
    for (toml, key) in [
        (
            "[server]\nlisten = 127.0.0.1:8080\n",
            "server.listen (line 2)",
        ),
        ("[server\nlisten = \"x\"\n", "server (line 1)"),
        (
            "# c\n[server]\nlisten = \"a\"\nlisten = \"b\"\n",
            "server.listen (line 4)",
        ),
        (
            "[server]\nmax_body_bytes = \"big\"\n",
            "server.max_body_bytes",
        ),
        ("[officers]\nsla_hours = -1\n", "officers.sla_hours"),
        (
            "[server]\nallowed_outbound_hosts = [\n  \"a\",\n  3,\n]\n",
            "server.allowed_outbound_hosts",
        ),
    ] {
        let e = Config::from_toml(toml, &[]).unwrap_err();
        assert_eq!(e.key, key, "{toml:?}: {e}");
    }
}

#[test]
fn durations_take_units_and_a_bare_or_invalid_one_names_the_key() {
    let c = Config::from_toml("[officers]\nsla = \"1.5h\"\n", &[]).unwrap();
    assert_eq!(c.officers.sla, Duration::from_secs(5400));
    assert!(c.deprecations.is_empty());
    for bad in ["0.01", "24", "\"24\"", "\"soon\"", "\"1.5 hours\""] {
        let e = Config::from_toml(&format!("[officers]\nsla = {bad}\n"), &[]).unwrap_err();
        assert_eq!(e.key, "officers.sla", "{bad}: {e}");
        assert!(
            e.to_string()
                .starts_with("config: officers.sla: invalid duration `"),
            "{e}"
        );
    }
}

#[test]
fn the_old_sla_hours_still_works_with_a_deprecation() {
    let c = Config::from_toml("[officers]\nsla_hours = 2\n", &[]).unwrap();
    assert_eq!(c.officers.sla, Duration::from_secs(7200));
    assert_eq!(
        c.deprecations,
        [
            "officers.sla_hours is deprecated: write officers.sla = \"2h\" (a duration with its unit: \
          \"30m\", \"24h\", \"2d\")"
        ]
    );
    let c = Config::from_toml("[officers]\nsla_hours = 0.5\n", &[]).unwrap();
    assert_eq!(c.officers.sla, Duration::from_secs(1800));
    let e = Config::from_toml("[officers]\nsla_hours = 0.01\n", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "config: officers.sla_hours: must be between 1m and 365d"
    );
    let both = "[officers]\nsla = \"2h\"\nsla_hours = 2\n";
    assert_eq!(
        Config::from_toml(both, &[]).unwrap_err().key,
        "officers.sla_hours"
    );
}

#[test]
fn wrong_values_anywhere_name_their_key() {
    for (toml, key) in [
        ("[officers]\nstaff_ids = \"u1\"\n", "officers.staff_ids"),
        ("[officers]\nunknown = 1\n", "officers.unknown"),
        ("[knowledge]\nlapsed = \"never\"\n", "knowledge.lapsed"),
        ("[matcher]\nanswer = \"high\"\n", "matcher.answer"),
        ("[dingtalk]\napp_secret = 5\n", "dingtalk.app_secret"),
        ("officers = 3\n", "officers"),
    ] {
        let e = Config::from_toml(toml, &[]).unwrap_err();
        assert_eq!(e.key, key, "{toml:?}: {e}");
    }
}

#[test]
fn console_accounts_are_validated_by_key() {
    let acct = |name: &str, hash: &str, role: &str| {
        format!(
            "[[console.accounts]]\nname = \"{name}\"\npassword_hash = \"{hash}\"\nrole = \"{role}\"\n"
        )
    };
    let good = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    let c = Config::from_toml(&acct("王科长", good, "officer"), &[]).unwrap();
    assert_eq!(c.console.accounts[0].name, "王科长");
    assert!(
        !format!("{c:?}").contains("aGFzaGhhc2hoYXNo"),
        "the hash never prints"
    );
    for (toml, key) in [
        (acct("a", good, "boss"), "console.accounts[0].role"),
        (
            acct("a", "plain", "admin"),
            "console.accounts[0].password_hash",
        ),
        (acct(" ", good, "admin"), "console.accounts[0].name"),
        (
            format!("{}{}", acct("a", good, "admin"), acct("a", good, "officer")),
            "console.accounts[1].name",
        ),
        (
            "[console]\nsession = \"1s\"\n".to_owned(),
            "console.session",
        ),
    ] {
        let e = Config::from_toml(&toml, &[]).unwrap_err();
        assert_eq!(e.key, key, "{toml}");
    }
}

#[test]
fn groups_name_their_place_and_a_chat_once_per_platform() {
    let group = |platform: &str, chat: &str, place: &str| {
        format!("[[groups]]\nplatform = \"{platform}\"\nchat = \"{chat}\"\nplace = \"{place}\"\n")
    };
    let two = format!(
        "{}{}",
        group("dingtalk", "cid1", "郑州"),
        group("wecom", "cid1", "开封市")
    );
    let c = Config::from_toml(&two, &[]).unwrap();
    assert_eq!(c.place_of(ChatPlatform::DingTalk, "cid1"), Some("郑州"));
    assert_eq!(c.place_of(ChatPlatform::WeCom, "cid1"), Some("开封市"));
    assert_eq!(c.place_of(ChatPlatform::DingTalk, "cid2"), None);
    for (toml, key) in [
        (
            format!(
                "{}{}",
                group("dingtalk", "c", "郑州"),
                group("dingtalk", "c", "开封")
            ),
            "groups[1].chat",
        ),
        (group("wecom", " ", "郑州"), "groups[0].chat"),
        (group("wecom", "c", ""), "groups[0].place"),
        (
            format!(
                "{}[officers]\ngroups = [\"c\"]\n",
                group("wecom", "c", "郑州")
            ),
            "groups[0].chat",
        ),
    ] {
        let e = Config::from_toml(&toml, &[]).unwrap_err();
        assert_eq!(e.key, key, "{toml}");
    }
    let e = Config::from_toml(&group("feishu", "c", "郑州"), &[]).unwrap_err();
    assert!(e.to_string().contains("groups"), "{e}");
}

#[test]
fn unknown_keys_are_rejected() {
    let e = Config::from_toml("[server]\nlisten_addr = \"x\"\n", &[]).unwrap_err();
    assert!(e.message.contains("listen_addr"), "{e}");
}

#[test]
fn secrets_come_from_the_environment_and_never_print() {
    let env = vec![(
        "POLICYBOT_DINGTALK_APP_SECRET".to_owned(),
        "s3cret".to_owned(),
    )];
    let c = Config::from_toml("", &env).unwrap();
    assert_eq!(c.dingtalk.app_secret.expose(), "s3cret");
    assert!(!format!("{c:?}").contains("s3cret"));
}
