//! The JSON body DingTalk POSTs for a robot message (HTTP callback mode;
//! stream mode delivers the same object as the frame's `data` string).
//!
//! Parsing goes through a private all-optional `RawCallback` so that a
//! missing required field is reported by name, and tolerates the known
//! type wobbles: `createAt` arrives as a number although documented as a
//! string, and `conversationType` is documented as the string `"1"`/`"2"`.
//! Unknown fields are ignored; DingTalk adds new ones over time.
//!
//! [`DingTalkCallback::inbound`] is the one place a DingTalk message becomes an [`Inbound`], whatever
//! transport carried it.

use serde::Deserialize;

use crate::platform::{Inbound, ParseError, Platform, ReplyRoute};

/// A robot message, reduced to what policybot uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DingTalkCallback {
    /// `msgId`: unique per message; the dedupe key.
    pub msg_id: String,
    /// `msgtype`: `text`, `richText`, `picture`, `audio`, `video`, `file`.
    pub msgtype: String,
    /// `text.content`, trimmed (DingTalk leaves a leading space where the
    /// @robot mention was). `None` for non-text messages.
    pub text: Option<String>,
    /// `conversationId` (`cid…==`); doubles as the OpenAPI
    /// `openConversationId`.
    pub conversation_id: String,
    /// `conversationType`: `"1"` one-to-one, `"2"` group.
    pub conversation_type: String,
    /// `conversationTitle`: group name (groups only).
    pub conversation_title: Option<String>,
    /// `senderId`: encrypted, always present.
    pub sender_id: String,
    /// `senderStaffId`: the org userId used for @-mentions; empty or absent
    /// for external members and before the robot is published.
    pub sender_staff_id: Option<String>,
    /// `senderNick`: display name.
    pub sender_nick: String,
    /// `sessionWebhook`: temporary reply URL for this conversation.
    pub session_webhook: Option<String>,
    /// `sessionWebhookExpiredTime`: epoch ms after which the webhook is dead.
    pub session_webhook_expired_time: Option<i64>,
    /// `robotCode`: needed for OpenAPI sends (absent for custom robots).
    pub robot_code: Option<String>,
    /// `createAt`: message time, epoch ms.
    pub create_at: Option<i64>,
}

impl DingTalkCallback {
    /// The userId to put in `at.atUserIds` (and as `@id` in the text), if
    /// DingTalk disclosed one.
    pub(crate) fn at_user_id(&self) -> Option<&str> {
        self.sender_staff_id.as_deref().filter(|id| !id.is_empty())
    }

    /// The message in the platform-neutral shape; its route answers through the session webhook while
    /// it lives, else the robot OpenAPI. A one-to-one chat is titled 单聊; non-text messages have no
    /// text.
    pub(crate) fn inbound(&self) -> Inbound {
        Inbound {
            platform: Platform::DingTalk,
            msg_id: self.msg_id.clone(),
            group_id: self.conversation_id.clone(),
            group_title: self
                .conversation_title
                .clone()
                .unwrap_or_else(|| "单聊".to_owned()),
            sender_id: self.at_user_id().unwrap_or_default().to_owned(),
            sender_nick: self.sender_nick.clone(),
            text: (self.msgtype == "text").then(|| self.text.clone().unwrap_or_default()),
            route: ReplyRoute::DingTalk {
                robot_code: self.robot_code.clone(),
                conversation_id: self.conversation_id.clone(),
                session_webhook: self.session_webhook.clone(),
                session_webhook_expires_ms: self.session_webhook_expired_time,
            },
        }
    }
}

/// Parses a callback body. Invalid UTF-8, invalid JSON, wrongly typed
/// fields and a missing `msgId`/`msgtype`/`conversationId` are errors.
pub(crate) fn parse_callback(body: &[u8]) -> Result<DingTalkCallback, ParseError> {
    let raw: RawCallback = serde_json::from_slice(body).map_err(ParseError::Json)?;
    Ok(DingTalkCallback {
        msg_id: required(raw.msg_id, "msgId")?,
        msgtype: required(raw.msgtype, "msgtype")?,
        text: raw
            .text
            .and_then(|t| t.content)
            .map(|c| c.trim().to_owned()),
        conversation_id: required(raw.conversation_id, "conversationId")?,
        conversation_type: raw
            .conversation_type
            .map(Scalar::into_text)
            .unwrap_or_default(),
        conversation_title: raw.conversation_title,
        sender_id: raw.sender_id.unwrap_or_default(),
        sender_staff_id: raw.sender_staff_id,
        sender_nick: raw.sender_nick.unwrap_or_default(),
        session_webhook: raw.session_webhook.filter(|url| !url.is_empty()),
        session_webhook_expired_time: millis(
            raw.session_webhook_expired_time,
            "sessionWebhookExpiredTime",
        )?,
        robot_code: raw.robot_code.filter(|code| !code.is_empty()),
        create_at: millis(raw.create_at, "createAt")?,
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCallback {
    msg_id: Option<String>,
    msgtype: Option<String>,
    text: Option<RawText>,
    conversation_id: Option<String>,
    conversation_type: Option<Scalar>,
    conversation_title: Option<String>,
    sender_id: Option<String>,
    sender_staff_id: Option<String>,
    sender_nick: Option<String>,
    session_webhook: Option<String>,
    session_webhook_expired_time: Option<Scalar>,
    robot_code: Option<String>,
    create_at: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
struct RawText {
    content: Option<String>,
}

/// A field DingTalk sends sometimes as a number, sometimes as a string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Text(String),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Int(n) => n.to_string(),
            Scalar::Text(s) => s,
        }
    }
}

fn required(value: Option<String>, field: &'static str) -> Result<String, ParseError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or(ParseError::MissingField(field))
}

/// Epoch milliseconds from a number or a decimal string; an empty string
/// counts as absent.
fn millis(value: Option<Scalar>, field: &'static str) -> Result<Option<i64>, ParseError> {
    match value {
        None => Ok(None),
        Some(Scalar::Int(n)) => Ok(Some(n)),
        Some(Scalar::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Scalar::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ParseError::InvalidField(field)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped after the sample in the DingTalk "接收消息" doc (platforms.md
    /// §1.1): the field set of the table, the sample's leading space in
    /// `text.content` and its `createAt`/`sessionWebhookExpiredTime` pair.
    const SAMPLE: &str = r#"{
        "conversationId": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==",
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$Rob0t"}, {"dingtalkId": "$:LWCP_v1:$Ff09", "staffId": "manager4220"}],
        "chatbotCorpId": "dinge8a565xxxx",
        "chatbotUserId": "$:LWCP_v1:$Cxxxxx",
        "msgId": "msgPXSbdBr2HV0Py6pv1G5Z8w==",
        "senderNick": "杨xx",
        "isAdmin": true,
        "senderStaffId": "manager4220",
        "sessionWebhookExpiredTime": 1613635652738,
        "createAt": 1613630252678,
        "senderCorpId": "dinge8a565xxxx",
        "conversationType": "2",
        "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
        "conversationTitle": "机器人测试-TEST",
        "isInAtList": true,
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=xxxxx",
        "text": {"content": " 你好"},
        "robotCode": "dingd8e1123006514592",
        "msgtype": "text"
    }"#;

    fn with(field: &str, value: &str) -> String {
        let mut doc: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        doc[field] = serde_json::from_str(value).unwrap();
        doc.to_string()
    }

    fn without(field: &str) -> String {
        let mut doc: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        doc.as_object_mut().unwrap().remove(field);
        doc.to_string()
    }

    #[test]
    fn the_documented_sample_body_parses_into_every_field() {
        let cb = parse_callback(SAMPLE.as_bytes()).unwrap();
        assert_eq!(cb.msg_id, "msgPXSbdBr2HV0Py6pv1G5Z8w==");
        assert_eq!(cb.msgtype, "text");
        assert_eq!(cb.text.as_deref(), Some("你好"));
        assert_eq!(cb.conversation_id, "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==");
        assert_eq!(cb.conversation_type, "2");
        assert_eq!(cb.conversation_title.as_deref(), Some("机器人测试-TEST"));
        assert_eq!(cb.sender_id, "$:LWCP_v1:$Ff09GIxxxxx");
        assert_eq!(cb.at_user_id(), Some("manager4220"));
        assert_eq!(cb.sender_nick, "杨xx");
        assert_eq!(cb.robot_code.as_deref(), Some("dingd8e1123006514592"));
        assert_eq!(cb.create_at, Some(1_613_630_252_678));
        assert_eq!(cb.session_webhook_expired_time, Some(1_613_635_652_738));
    }

    #[test]
    fn sample_webhook_lives_ninety_minutes() {
        let cb = parse_callback(SAMPLE.as_bytes()).unwrap();
        let expiry = cb.session_webhook_expired_time.unwrap();
        assert_eq!(expiry - cb.create_at.unwrap(), 5_400_060);
    }

    #[test]
    fn create_at_is_accepted_as_a_string_too() {
        let cb = parse_callback(with("createAt", r#""1613630252678""#).as_bytes()).unwrap();
        assert_eq!(cb.create_at, Some(1_613_630_252_678));
    }

    #[test]
    fn a_non_numeric_create_at_is_an_invalid_field() {
        let err = parse_callback(with("createAt", r#""yesterday""#).as_bytes()).unwrap_err();
        assert!(matches!(err, ParseError::InvalidField("createAt")));
    }

    #[test]
    fn numeric_conversation_type_is_read_as_text() {
        let cb = parse_callback(with("conversationType", "1").as_bytes()).unwrap();
        assert_eq!(cb.conversation_type, "1");
    }

    #[test]
    fn missing_required_fields_are_named() {
        for field in ["msgId", "conversationId", "msgtype"] {
            let err = parse_callback(without(field).as_bytes()).unwrap_err();
            assert!(
                matches!(err, ParseError::MissingField(f) if f == field),
                "{field}"
            );
            let err = parse_callback(with(field, r#""""#).as_bytes()).unwrap_err();
            assert!(
                matches!(err, ParseError::MissingField(f) if f == field),
                "{field}"
            );
        }
    }

    #[test]
    fn external_members_have_no_at_user_id() {
        let cb = parse_callback(with("senderStaffId", r#""""#).as_bytes()).unwrap();
        assert_eq!(cb.sender_staff_id.as_deref(), Some(""));
        assert_eq!(cb.at_user_id(), None);
        let cb = parse_callback(without("senderStaffId").as_bytes()).unwrap();
        assert_eq!(cb.at_user_id(), None);
    }

    #[test]
    fn picture_messages_have_no_text() {
        let body = with("msgtype", r#""picture""#);
        let mut doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        doc.as_object_mut().unwrap().remove("text");
        doc["content"] = serde_json::json!({"downloadCode": "abc"});
        let cb = parse_callback(doc.to_string().as_bytes()).unwrap();
        assert_eq!(cb.msgtype, "picture");
        assert_eq!(cb.text, None);
    }

    #[test]
    fn a_webhook_without_expiry_is_kept_without_one() {
        let cb = parse_callback(without("sessionWebhookExpiredTime").as_bytes()).unwrap();
        assert!(cb.session_webhook.is_some());
        assert_eq!(cb.session_webhook_expired_time, None);
    }

    #[test]
    fn garbage_bodies_are_errors_not_panics() {
        let bodies: [&[u8]; 7] = [
            b"",
            b"\xff\xfe\xfd",
            b"{\"msgId\": \"\xff\"}",
            b"not json",
            b"[]",
            b"{\"msgId\": 5}",
            b"{\"msgId\":",
        ];
        for body in bodies {
            let err = parse_callback(body).unwrap_err();
            assert!(matches!(err, ParseError::Json(_)), "{body:?}");
        }
    }

    #[test]
    fn null_optional_fields_are_treated_as_absent() {
        let cb = parse_callback(with("robotCode", "null").as_bytes()).unwrap();
        assert_eq!(cb.robot_code, None);
    }

    #[test]
    fn the_sample_becomes_an_inbound_that_answers_through_its_session_webhook() {
        let msg = parse_callback(SAMPLE.as_bytes()).unwrap().inbound();
        assert_eq!(msg.platform, Platform::DingTalk);
        assert_eq!(msg.msg_id, "msgPXSbdBr2HV0Py6pv1G5Z8w==");
        assert_eq!(msg.group_id, "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==");
        assert_eq!(msg.group_title, "机器人测试-TEST");
        assert_eq!(
            (msg.sender_id.as_str(), msg.sender_nick.as_str()),
            ("manager4220", "杨xx")
        );
        assert_eq!(msg.text.as_deref(), Some("你好"));
        let route = ReplyRoute::DingTalk {
            robot_code: Some("dingd8e1123006514592".into()),
            conversation_id: "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==".into(),
            session_webhook: Some(
                "https://oapi.dingtalk.com/robot/sendBySession?session=xxxxx".into(),
            ),
            session_webhook_expires_ms: Some(1_613_635_652_738),
        };
        assert_eq!(msg.route, route);
    }

    #[test]
    fn external_members_one_to_one_chats_and_pictures_keep_their_gaps_in_the_inbound() {
        let mut doc: serde_json::Value =
            serde_json::from_str(&with("msgtype", r#""picture""#)).unwrap();
        let fields = doc.as_object_mut().unwrap();
        for gone in ["text", "senderStaffId", "conversationTitle"] {
            fields.remove(gone);
        }
        let msg = parse_callback(doc.to_string().as_bytes())
            .unwrap()
            .inbound();
        assert_eq!(msg.text, None);
        assert_eq!(msg.sender_id, "");
        assert_eq!(msg.sender_id_or_nick(), "杨xx");
        assert_eq!(msg.group_title, "单聊");
    }
}
