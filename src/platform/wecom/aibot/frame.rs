//! The wire of the WeCom intelligent robot's long connection (`shared/docs/platforms.md` §2.2 (d),
//! confirmed against the official SDKs): every frame is one JSON text message
//! `{"cmd", "headers": {"req_id"}, "body"}`; answers to the bot's own requests carry no `cmd`, only
//! the request's `req_id` and an `errcode`. Pure: no I/O.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::platform::ParseError;

/// The event that says another client subscribed with this bot: this one must stop.
pub const DISCONNECTED_EVENT: &str = "disconnected_event";
/// WeCom's answer to a subscribe with a wrong bot id or secret.
pub const BAD_CREDENTIALS: i64 = 853_000;
/// Largest `stream.content` of a reply on a callback's req_id, in bytes.
pub const STREAM_LIMIT: usize = 20_480;
/// Largest markdown `content` the bot sends with `aibot_send_msg`, in bytes (WeCom's markdown limit
/// for robots; the long connection's own is not documented, so the smaller one is kept).
pub const MARKDOWN_LIMIT: usize = 4096;

/// A client request id: `<prefix>_<ms>_<8 hex>`, as the SDKs make them.
pub fn req_id(prefix: &str, now_ms: i64, random: u32) -> String {
    format!("{prefix}_{now_ms}_{random:08x}")
}

fn frame(cmd: &str, req_id: &str, body: Option<Value>) -> String {
    let mut f = json!({"cmd": cmd, "headers": {"req_id": req_id}});
    if let Some(b) = body {
        f["body"] = b;
    }
    f.to_string()
}

/// Subscribes the connection to the bot's messages.
pub fn subscribe(req_id: &str, bot_id: &str, secret: &str) -> String {
    frame(
        "aibot_subscribe",
        req_id,
        Some(json!({"bot_id": bot_id, "secret": secret})),
    )
}

/// The heartbeat.
pub fn ping(req_id: &str) -> String {
    frame("ping", req_id, None)
}

/// The reply to a message, on its callback's `req_id`: one finished `stream` message of markdown.
pub fn respond(callback_req_id: &str, stream_id: &str, markdown: &str) -> String {
    let body = json!({"msgtype": "stream",
                      "stream": {"id": stream_id, "finish": true, "content": markdown}});
    frame("aibot_respond_msg", callback_req_id, Some(body))
}

/// A message the bot starts itself (an officer's answer, later): markdown to a chat (a group's
/// chatid, or the user id of a one-to-one chat).
pub fn send_markdown(req_id: &str, chat_id: &str, markdown: &str) -> String {
    let body = json!({"chatid": chat_id, "msgtype": "markdown", "markdown": {"content": markdown}});
    frame("aibot_send_msg", req_id, Some(body))
}

/// A message addressed to the bot (`aibot_msg_callback`), reduced to what policybot uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AibotMessage {
    pub msg_id: String,
    /// `chatid`: groups only.
    pub chat_id: Option<String>,
    /// `single` or `group`.
    pub chat_type: String,
    pub from_user_id: String,
    pub msg_type: String,
    /// `text.content` as sent: it starts with `@<bot name>` in a group. `None` for other types.
    pub text: Option<String>,
}

impl AibotMessage {
    /// Where replies to this message go: the group's chatid, or the sender in a one-to-one chat.
    pub fn reply_to(&self) -> &str {
        self.chat_id.as_deref().unwrap_or(&self.from_user_id)
    }
}

/// One frame from WeCom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// The answer to one of the bot's requests (subscribe, ping, respond, send).
    Answer {
        req_id: String,
        errcode: i64,
        errmsg: String,
    },
    Message {
        req_id: String,
        message: AibotMessage,
    },
    Event {
        req_id: String,
        event_type: String,
    },
    /// A command the bot does not know.
    Other {
        cmd: String,
    },
}

#[derive(Deserialize)]
struct Raw {
    cmd: Option<String>,
    #[serde(default)]
    headers: RawHeaders,
    #[serde(default)]
    body: Value,
    errcode: Option<i64>,
    errmsg: Option<String>,
}

#[derive(Default, Deserialize)]
struct RawHeaders {
    req_id: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    msgid: Option<String>,
    chatid: Option<String>,
    chattype: Option<String>,
    #[serde(default)]
    from: RawFrom,
    msgtype: Option<String>,
    text: Option<RawText>,
}

#[derive(Default, Deserialize)]
struct RawFrom {
    userid: Option<String>,
}

#[derive(Deserialize)]
struct RawText {
    content: Option<String>,
}

/// Parses one frame. Not JSON or no `req_id` is an error; so is a message without `msgid`,
/// `msgtype` or a sender.
pub fn parse(text: &str) -> Result<Incoming, ParseError> {
    let raw: Raw = serde_json::from_str(text).map_err(ParseError::Json)?;
    let req_id = raw
        .headers
        .req_id
        .filter(|r| !r.is_empty())
        .ok_or(ParseError::MissingField("headers.req_id"))?;
    let Some(cmd) = raw.cmd.filter(|c| !c.is_empty()) else {
        return Ok(Incoming::Answer {
            req_id,
            errcode: raw.errcode.ok_or(ParseError::MissingField("errcode"))?,
            errmsg: raw.errmsg.unwrap_or_default(),
        });
    };
    match cmd.as_str() {
        "aibot_msg_callback" => Ok(Incoming::Message {
            req_id,
            message: message(raw.body)?,
        }),
        "aibot_event_callback" => Ok(Incoming::Event {
            req_id,
            event_type: raw.body["event"]["eventtype"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }),
        _ => Ok(Incoming::Other { cmd }),
    }
}

fn message(body: Value) -> Result<AibotMessage, ParseError> {
    let raw: RawMessage = serde_json::from_value(body).map_err(ParseError::Json)?;
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let msg_type = nonempty(raw.msgtype).ok_or(ParseError::MissingField("msgtype"))?;
    Ok(AibotMessage {
        msg_id: nonempty(raw.msgid).ok_or(ParseError::MissingField("msgid"))?,
        chat_id: nonempty(raw.chatid),
        chat_type: raw.chattype.unwrap_or_default(),
        from_user_id: nonempty(raw.from.userid).ok_or(ParseError::MissingField("from.userid"))?,
        text: (msg_type == "text").then(|| raw.text.and_then(|t| t.content).unwrap_or_default()),
        msg_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP_TEXT: &str = r#"{"cmd":"aibot_msg_callback","headers":{"req_id":"r1"},
        "body":{"msgid":"m1","aibotid":"B","chatid":"C1","chattype":"group","from":{"userid":"zhangsan"},
                "msgtype":"text","text":{"content":"@政策助手 房租能减免吗"}}}"#;

    #[test]
    fn a_group_text_message_is_parsed() {
        let Incoming::Message { req_id, message } = parse(GROUP_TEXT).unwrap() else {
            panic!("not a message")
        };
        assert_eq!(req_id, "r1");
        assert_eq!(message.msg_id, "m1");
        assert_eq!(message.reply_to(), "C1");
        assert_eq!(message.text.as_deref(), Some("@政策助手 房租能减免吗"));
    }

    #[test]
    fn a_one_to_one_message_is_answered_to_its_sender_and_pictures_have_no_text() {
        let t = r#"{"cmd":"aibot_msg_callback","headers":{"req_id":"r2"},"body":{"msgid":"m2",
            "chattype":"single","from":{"userid":"lisi"},"msgtype":"image","image":{"url":"u"}}}"#;
        let Incoming::Message { message, .. } = parse(t).unwrap() else {
            panic!("not a message")
        };
        assert_eq!(
            (message.reply_to(), message.text.as_deref()),
            ("lisi", None)
        );
    }

    #[test]
    fn answers_events_and_unknown_commands() {
        let ok = parse(r#"{"headers":{"req_id":"aibot_subscribe_1"},"errcode":0,"errmsg":"ok"}"#);
        assert_eq!(
            ok.unwrap(),
            Incoming::Answer {
                req_id: "aibot_subscribe_1".into(),
                errcode: 0,
                errmsg: "ok".into()
            }
        );
        let ev = r#"{"cmd":"aibot_event_callback","headers":{"req_id":"e"},
                     "body":{"event":{"eventtype":"disconnected_event"}}}"#;
        assert!(matches!(parse(ev).unwrap(),
                     Incoming::Event { event_type, .. } if event_type == DISCONNECTED_EVENT));
        let other = parse(r#"{"cmd":"new_thing","headers":{"req_id":"x"}}"#).unwrap();
        assert_eq!(
            other,
            Incoming::Other {
                cmd: "new_thing".into()
            }
        );
    }

    #[test]
    fn broken_frames_are_errors() {
        for t in [
            "",
            "{}",
            r#"{"cmd":"ping"}"#,
            r#"{"headers":{"req_id":"x"}}"#,
            r#"{"cmd":"aibot_msg_callback","headers":{"req_id":"x"},"body":{"msgtype":"text"}}"#,
        ] {
            assert!(parse(t).is_err(), "{t}");
        }
    }

    #[test]
    fn requests_carry_their_req_id_and_body() {
        let s: Value = serde_json::from_str(&subscribe("aibot_subscribe_1", "B", "S")).unwrap();
        assert_eq!(s["cmd"], "aibot_subscribe");
        assert_eq!(s["body"], json!({"bot_id": "B", "secret": "S"}));
        let r: Value = serde_json::from_str(&respond("r1", "s1", "**答**")).unwrap();
        assert_eq!(r["headers"]["req_id"], "r1");
        assert_eq!(
            r["body"]["stream"],
            json!({"id": "s1", "finish": true, "content": "**答**"})
        );
        let m: Value = serde_json::from_str(&send_markdown("q", "C1", "x")).unwrap();
        assert_eq!(
            (m["cmd"].as_str(), m["body"]["chatid"].as_str()),
            (Some("aibot_send_msg"), Some("C1"))
        );
        assert_eq!(
            req_id("ping", 1700000000000, 0xab),
            "ping_1700000000000_000000ab"
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
        "\"cmd\"",
        "\"headers\"",
        "\"req_id\"",
        "\"body\"",
        "\"errcode\"",
        "\"aibot_msg_callback\"",
        "\"aibot_event_callback\"",
        "\"msgid\"",
        "\"msgtype\"",
        "\"text\"",
        "\"from\"",
        "\"userid\"",
        "\"event\"",
        "\"eventtype\"",
        "null",
        "0",
        "-1e999",
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
            let _ = parse(&(parts.concat() + &tail));
        }

        #[test]
        fn a_text_message_round_trips(req in "[a-z0-9_]{1,30}", msgid in "[A-Za-z0-9+/=]{1,30}",
                                      user in "[a-z0-9]{1,20}", content in ".{0,200}") {
            let frame = json!({"cmd": "aibot_msg_callback", "headers": {"req_id": req},
                "body": {"msgid": msgid, "chattype": "single", "from": {"userid": user},
                         "msgtype": "text", "text": {"content": content}}});
            let Incoming::Message { req_id, message } = parse(&frame.to_string()).unwrap() else {
                panic!("not a message")
            };
            proptest::prop_assert_eq!(message.reply_to(), user.as_str());
            let got = (req_id, message.msg_id, message.from_user_id.clone());
            proptest::prop_assert_eq!(got, (req, msgid, user.clone()));
            proptest::prop_assert_eq!(message.text, Some(content));
        }
    }
}
