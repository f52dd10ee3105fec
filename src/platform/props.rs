//! Property tests of every parser that sees network input: DingTalk callback JSON, WeCom XML and the
//! decrypted message, and the WXBizMsgCrypt envelope (XML, URL verification). Properties: arbitrary
//! bytes never panic; nesting beyond the caps is refused; what the platforms send round-trips (callback
//! fields, CDATA text, encrypt → decrypt). 128 cases per property keeps the whole set to a second or two.

use super::dingtalk::parse_callback;
use super::wecom::xml::{MAX_DEPTH, XmlError, cdata, flatten};
use super::wecom::{WxCrypt, parse_robot_message};
use proptest::prelude::*;
use serde_json::json;

const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text as users type it: any Unicode scalar except the controls XML 1.0 forbids.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..40).prop_map(|cs| {
        cs.into_iter()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
            .collect()
    })
}

/// Bytes that look a little like the expected syntax, so the parsers get past their first check.
fn near_miss(alphabet: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(alphabet).prop_map(|s| s.as_bytes().to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

const JSON_BITS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\"msgId\"",
    "\"msgtype\"",
    "\"text\"",
    "\"content\"",
    "\"conversationId\"",
    "\"createAt\"",
    "1e999",
    "-1",
    "null",
    "true",
    "\\u0000",
    "\\ud800",
];
const XML_BITS: &[&str] = &[
    "<xml>",
    "</xml>",
    "<a>",
    "</a>",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE x [<!ENTITY e \"x\">]>",
    "&e;",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<Encrypt>",
    "</Encrypt>",
    "<From>",
    "<UserId>",
    "</UserId>",
    "</From>",
    "<MsgType>",
    "</MsgType>",
    "<?xml version=\"1.0\"?>",
    "<!--",
    "-->",
    "/>",
];

/// `depth` nested elements (root included) around a text leaf.
fn nested(depth: usize) -> String {
    format!("{}x{}", "<a>".repeat(depth), "</a>".repeat(depth))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dingtalk_callbacks_never_panic(body in near_miss(JSON_BITS)) {
        let _ = parse_callback(&body);
    }

    #[test]
    fn dingtalk_callbacks_round_trip(
        id in text(), group in text(), title in text(), nick in text(), content in text(),
        staff in text(), created in any::<i64>(), as_string in any::<bool>(),
    ) {
        prop_assume!(!id.trim().is_empty() && !group.trim().is_empty());
        let created_json = if as_string { json!(created.to_string()) } else { json!(created) };
        let body = json!({
            "msgId": id, "msgtype": "text", "text": {"content": content},
            "conversationId": group, "conversationTitle": title, "senderNick": nick,
            "senderStaffId": staff, "createAt": created_json,
        });
        let cb = parse_callback(body.to_string().as_bytes()).unwrap();
        prop_assert_eq!(cb.msg_id, id);
        prop_assert_eq!(cb.conversation_id, group);
        prop_assert_eq!(cb.conversation_title, Some(title));
        prop_assert_eq!(cb.sender_nick, nick);
        prop_assert_eq!(cb.sender_staff_id, Some(staff));
        prop_assert_eq!(cb.text, Some(content.trim().to_owned()));
        prop_assert_eq!(cb.create_at, Some(created));
    }

    #[test]
    fn deeply_nested_json_is_refused(depth in 130usize..20_000) {
        let body = format!("{{\"msgId\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
        prop_assert!(parse_callback(body.as_bytes()).is_err());
    }

    #[test]
    fn xml_never_panics(body in near_miss(XML_BITS)) {
        let _ = flatten(&body);
        let _ = parse_robot_message(&String::from_utf8_lossy(&body));
    }

    #[test]
    fn xml_nesting_beyond_the_cap_is_refused_and_within_it_parsed(depth in 1usize..2_000) {
        let result = flatten(format!("<xml>{}</xml>", nested(depth)).as_bytes());
        if depth < MAX_DEPTH {
            prop_assert!(result.is_ok(), "{:?}", result.err());
        } else {
            prop_assert!(matches!(result, Err(XmlError::TooDeep)));
        }
    }

    #[test]
    fn cdata_round_trips_any_text(value in text()) {
        let doc = format!("<xml><A>{}</A></xml>", cdata(&value));
        let fields = flatten(doc.as_bytes()).unwrap();
        prop_assert_eq!(fields.get("A"), Some(value.as_str()));
    }

    #[test]
    fn wecom_robot_messages_round_trip(
        id in "[0-9A-Za-z]{1,30}", user in text(), name in text(), chat in text(), content in text(),
    ) {
        prop_assume!(!user.trim().is_empty());
        let xml = format!(
            "<xml><WebhookUrl>{}</WebhookUrl><ChatId>{}</ChatId><ChatType>group</ChatType>\
             <From><UserId>{}</UserId><Name>{}</Name></From><MsgType>text</MsgType>\
             <Text><Content>{}</Content></Text><MsgId>{id}</MsgId></xml>",
            cdata("https://example.invalid/hook"), cdata(&chat), cdata(&user), cdata(&name),
            cdata(&content),
        );
        let m = parse_robot_message(&xml).unwrap();
        prop_assert_eq!(m.msg_id, id);
        prop_assert_eq!(m.from_user_id, user.trim());
        prop_assert_eq!(m.content, Some(content.trim().to_owned()));
        let nonblank = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        prop_assert_eq!(m.chat_id, nonblank(&chat));
        prop_assert_eq!(m.from_name, nonblank(&name));
    }

    #[test]
    fn the_envelope_round_trips(
        plain in text(), receive_id in "[a-z0-9]{0,18}", random in any::<[u8; 16]>(),
        ts in "[0-9]{10}", nonce in "[A-Za-z0-9]{1,16}",
    ) {
        let c = WxCrypt::new(TOKEN, KEY, &receive_id).unwrap();
        let encrypt = c.encrypt(&plain, random);
        let sig = c.signature(&ts, &nonce, &encrypt);
        let xml = format!("<xml><Encrypt>{}</Encrypt></xml>", cdata(&encrypt));
        prop_assert_eq!(c.decrypt_post(&sig, &ts, &nonce, xml.as_bytes()).unwrap(), plain.clone());
        prop_assert_eq!(c.verify_url(&sig, &ts, &nonce, &encrypt).unwrap(), plain);
    }

    #[test]
    fn the_envelope_refuses_garbage_without_panicking(
        body in near_miss(XML_BITS), sig in "[0-9a-f]{0,40}",
        ts in "[0-9]{0,12}", nonce in ".{0,8}", echostr in ".{0,64}",
    ) {
        let c = WxCrypt::new(TOKEN, KEY, "").unwrap();
        prop_assert!(c.decrypt_post(&sig, &ts, &nonce, &body).is_err());
        prop_assert!(c.verify_url(&sig, &ts, &nonce, &echostr).is_err());
    }

    #[test]
    fn a_signed_but_bogus_ciphertext_never_panics(encrypt in "[A-Za-z0-9+/]{0,120}={0,2}") {
        // The signature is only SHA1 over public values: whoever knows the token can sign any
        // ciphertext, so the cipher must survive arbitrary base64 behind a valid signature.
        let c = WxCrypt::new(TOKEN, KEY, "").unwrap();
        let sig = c.signature("1700000000", "n", &encrypt);
        let _ = c.verify_url(&sig, "1700000000", "n", &encrypt);
    }

    #[test]
    fn tampered_ciphertext_never_panics(plain in text(), at in any::<usize>(), bit in 0u8..8) {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let c = WxCrypt::new(TOKEN, KEY, "").unwrap();
        let mut raw = engine.decode(c.encrypt(&plain, [7; 16])).unwrap();
        let i = at % raw.len();
        raw[i] ^= 1 << bit;
        let encrypt = engine.encode(raw);
        let sig = c.signature("1700000000", "n", &encrypt);
        let _ = c.verify_url(&sig, "1700000000", "n", &encrypt);
    }
}
