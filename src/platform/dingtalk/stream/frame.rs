//! The wire of DingTalk Stream mode (`shared/docs/platforms.md` §1.5, confirmed against the official
//! `dingtalk-stream` SDK): the `connections/open` request and answer, the frames the gateway pushes,
//! and the acks the bot sends back. Pure: no I/O.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::platform::ParseError;

/// Where a connection is opened, under the OpenAPI base (`dingtalk.api_base`).
pub const OPEN_PATH: &str = "/v1.0/gateway/connections/open";
/// The topic of robot messages (type CALLBACK).
pub const BOT_TOPIC: &str = "/v1.0/im/bot/messages/get";

/// The body of `POST {api_base}/v1.0/gateway/connections/open`: credentials and the one subscription
/// the bot needs (robot messages; no events).
pub fn open_body(app_key: &str, app_secret: &str, ua: &str, local_ip: &str) -> Value {
    json!({
        "clientId": app_key,
        "clientSecret": app_secret,
        "subscriptions": [{"type": "CALLBACK", "topic": BOT_TOPIC}],
        "ua": ua,
        "localIp": local_ip,
    })
}

/// The answer to `connections/open`: where to connect, with a single-use ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub endpoint: String,
    pub ticket: String,
}

/// Parses the answer to `connections/open`; both fields must be non-empty.
pub fn parse_open(body: &[u8]) -> Result<Endpoint, ParseError> {
    #[derive(Deserialize)]
    struct Raw {
        endpoint: Option<String>,
        ticket: Option<String>,
    }
    let raw: Raw = serde_json::from_slice(body).map_err(ParseError::Json)?;
    let nonempty = |v: Option<String>, f| {
        v.filter(|s| !s.is_empty())
            .ok_or(ParseError::MissingField(f))
    };
    Ok(Endpoint {
        endpoint: nonempty(raw.endpoint, "endpoint")?,
        ticket: nonempty(raw.ticket, "ticket")?,
    })
}

/// `{endpoint}?ticket={url-encoded ticket}` (or `&ticket=` when the endpoint has a query already).
pub fn connect_url(e: &Endpoint) -> String {
    let ticket: String = url::form_urlencoded::byte_serialize(e.ticket.as_bytes()).collect();
    let sep = if e.endpoint.contains('?') { '&' } else { '?' };
    format!("{}{sep}ticket={ticket}", e.endpoint)
}

/// A frame the gateway pushed, reduced to what the bot acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A robot message (type CALLBACK on [`BOT_TOPIC`]); `data` is the callback JSON, as in HTTP mode.
    Message { message_id: String, data: String },
    /// SYSTEM `ping`: ack with the same data.
    Ping { message_id: String, data: String },
    /// SYSTEM `disconnect`: the gateway will close this connection; open a new one now.
    Disconnect { message_id: Option<String> },
    /// Anything else with an id (another topic, an EVENT, an unknown SYSTEM topic): acked as not
    /// handled so the gateway does not keep it waiting.
    Other { message_id: String, kind: String },
}

#[derive(Deserialize)]
struct RawFrame {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    headers: RawHeaders,
    data: Option<Value>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHeaders {
    message_id: Option<String>,
    topic: Option<String>,
}

/// Parses one frame. Not JSON, no `type`, or (except for `disconnect`) no `messageId` is an error.
pub fn parse_frame(text: &str) -> Result<Frame, ParseError> {
    let raw: RawFrame = serde_json::from_str(text).map_err(ParseError::Json)?;
    let kind = raw.kind.ok_or(ParseError::MissingField("type"))?;
    let topic = raw.headers.topic.unwrap_or_default();
    let id = raw.headers.message_id.filter(|m| !m.is_empty());
    if kind == "SYSTEM" && topic == "disconnect" {
        return Ok(Frame::Disconnect { message_id: id });
    }
    let message_id = id.ok_or(ParseError::MissingField("headers.messageId"))?;
    // `data` is a JSON string; keep an object as its text rather than fail on a lenient gateway.
    let data = match raw.data {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Ok(match (kind.as_str(), topic.as_str()) {
        ("CALLBACK", BOT_TOPIC) => Frame::Message { message_id, data },
        ("SYSTEM", "ping") => Frame::Ping { message_id, data },
        _ => Frame::Other {
            message_id,
            kind: format!("{kind} {topic}"),
        },
    })
}

/// An ack: `code` and `messageId` are what the gateway reads; `data` is a JSON string.
pub fn ack(message_id: &str, code: u16, message: &str, data: &str) -> String {
    json!({
        "code": code,
        "headers": {"contentType": "application/json", "messageId": message_id},
        "message": message,
        "data": data,
    })
    .to_string()
}

/// The ack of a robot message that was handled (what must be durable is committed).
pub fn message_ack(message_id: &str) -> String {
    ack(message_id, 200, "OK", r#"{"response":"OK"}"#)
}

/// The ack of a SYSTEM ping: the same data back.
pub fn ping_ack(message_id: &str, data: &str) -> String {
    ack(message_id, 200, "OK", data)
}

/// The ack of a frame the bot has no handler for (the SDK's 404).
pub fn unhandled_ack(message_id: &str) -> String {
    ack(message_id, 404, "not implemented", "{}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: &str, topic: &str, id: &str, data: &str) -> String {
        json!({"specVersion": "1.0", "type": kind,
               "headers": {"appId": "a", "contentType": "application/json", "messageId": id,
                           "time": "1690362102194", "topic": topic},
               "data": data})
        .to_string()
    }

    #[test]
    fn a_robot_message_frame_carries_the_callback_json() {
        let f = parse_frame(&frame("CALLBACK", BOT_TOPIC, "m1", r#"{"msgId":"x"}"#)).unwrap();
        assert_eq!(
            f,
            Frame::Message {
                message_id: "m1".into(),
                data: r#"{"msgId":"x"}"#.into()
            }
        );
    }

    #[test]
    fn system_frames_are_recognised() {
        let ping = parse_frame(&frame("SYSTEM", "ping", "p1", r#"{"opaque":"o"}"#)).unwrap();
        assert_eq!(
            ping,
            Frame::Ping {
                message_id: "p1".into(),
                data: r#"{"opaque":"o"}"#.into()
            }
        );
        let bye =
            r#"{"specVersion":"1.0","type":"SYSTEM","headers":{"topic":"disconnect"},"data":"{}"}"#;
        assert_eq!(
            parse_frame(bye).unwrap(),
            Frame::Disconnect { message_id: None }
        );
        let other = parse_frame(&frame("EVENT", "chat_update", "e1", "{}")).unwrap();
        assert!(matches!(other, Frame::Other { .. }), "{other:?}");
    }

    #[test]
    fn broken_frames_are_errors() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"type":"CALLBACK","headers":{"topic":"/x"}}"#,
            "\u{0}",
        ] {
            assert!(parse_frame(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn acks_echo_the_message_id_and_data() {
        let a: Value = serde_json::from_str(&ping_ack("p1", r#"{"opaque":"o"}"#)).unwrap();
        assert_eq!(a["code"], 200);
        assert_eq!(a["headers"]["messageId"], "p1");
        assert_eq!(a["data"], r#"{"opaque":"o"}"#);
        let m: Value = serde_json::from_str(&message_ack("m1")).unwrap();
        assert_eq!(
            (m["code"].as_u64(), m["headers"]["messageId"].as_str()),
            (Some(200), Some("m1"))
        );
    }

    #[test]
    fn the_open_answer_and_connect_url() {
        let e = parse_open(br#"{"endpoint":"wss://gw/connect","ticket":"a+b/c="}"#).unwrap();
        assert_eq!(connect_url(&e), "wss://gw/connect?ticket=a%2Bb%2Fc%3D");
        let q = Endpoint {
            endpoint: "wss://gw/connect?x=1".into(),
            ticket: "t".into(),
        };
        assert_eq!(connect_url(&q), "wss://gw/connect?x=1&ticket=t");
        assert!(parse_open(br#"{"endpoint":"","ticket":"t"}"#).is_err());
        assert!(parse_open(br#"{"code":"authFailed"}"#).is_err());
    }

    #[test]
    fn the_open_body_subscribes_to_robot_messages_only() {
        let b = open_body("k", "s", "policybot", "10.0.0.1");
        assert_eq!(b["clientId"], "k");
        assert_eq!(
            b["subscriptions"],
            json!([{"type": "CALLBACK", "topic": BOT_TOPIC}])
        );
    }

    /// Pieces of frames, so that random input gets past the first checks.
    const BITS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "\"type\"",
        "\"CALLBACK\"",
        "\"SYSTEM\"",
        "\"headers\"",
        "\"messageId\"",
        "\"topic\"",
        "\"ping\"",
        "\"disconnect\"",
        "\"data\"",
        BOT_TOPIC,
        "null",
        "1e999",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 128,
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn frames_never_panic(
            parts in proptest::collection::vec(proptest::sample::select(BITS), 0..40),
            tail in ".{0,20}",
        ) {
            let _ = parse_frame(&(parts.concat() + &tail));
        }

        #[test]
        fn a_message_frame_round_trips_its_id_and_data(
            id in "[A-Za-z0-9+/=_-]{1,40}",
            data in ".{0,200}",
        ) {
            let f = frame("CALLBACK", BOT_TOPIC, &id, &data);
            let expected = Frame::Message { message_id: id, data };
            proptest::prop_assert_eq!(parse_frame(&f).unwrap(), expected);
        }
    }
}
