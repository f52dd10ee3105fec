//! Outbound DingTalk bodies and the response envelope.
//!
//! The `msgtype` bodies serve both as the synchronous callback response and
//! as POSTs to `sessionWebhook`. @-mentions only notify when the `@<userId>`
//! also appears in the text, which the caller writes. The OpenAPI group
//! send (for answers posted after the webhook expired) cannot @ anyone.

use serde_json::{Value, json};

use crate::platform::ApiError;
use crate::platform::error::check_errcode;

/// Path of the robot group-send OpenAPI on `https://api.dingtalk.com`.
pub const GROUP_SEND_PATH: &str = "/v1.0/robot/groupMessages/send";
/// Header carrying the OpenAPI access token.
pub const ACCESS_TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";

/// A markdown message notifying `at_user_ids`; put `@<id>` in `text`.
pub fn markdown_message(title: &str, text: &str, at_user_ids: &[String]) -> Value {
    json!({
        "msgtype": "markdown",
        "markdown": { "title": title, "text": text },
        "at": { "atUserIds": at_user_ids, "isAtAll": false },
    })
}

/// A plain text message.
pub fn text_message(content: &str) -> Value {
    json!({ "msgtype": "text", "text": { "content": content } })
}

/// The callback response meaning "no reply in the chat".
pub fn empty_message() -> Value {
    json!({ "msgtype": "empty" })
}

/// Body for `POST {GROUP_SEND_PATH}` with a `sampleMarkdown` message.
/// `msgParam` is a JSON *string* (limit 15 000 bytes, not checked here).
pub fn openapi_group_send_body(
    robot_code: &str,
    open_conversation_id: &str,
    title: &str,
    markdown_text: &str,
) -> Value {
    let param = json!({ "title": title, "text": markdown_text });
    json!({
        "robotCode": robot_code,
        "openConversationId": open_conversation_id,
        "msgKey": "sampleMarkdown",
        "msgParam": param.to_string(),
    })
}

/// Checks a response body from the webhook or the OpenAPI. A non-zero
/// `errcode` or a string `code` (the `api.dingtalk.com` error shape) is an
/// error; a body with neither, e.g. `{"processQueryKey": …}`, is success,
/// provided the caller has already checked the HTTP status.
pub fn parse_api_envelope(body: &[u8]) -> Result<(), ApiError> {
    let envelope = check_errcode(body, false)?;
    match envelope.code {
        Some(Value::String(code)) if !code.is_empty() => Err(ApiError::Service {
            code,
            message: envelope.message.unwrap_or_default(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_message_has_the_documented_shape() {
        let ids = vec!["manager4220".to_owned()];
        let body = markdown_message("答复", "### 答复\n@manager4220 见下", &ids);
        let expected = json!({
            "msgtype": "markdown",
            "markdown": {"title": "答复", "text": "### 答复\n@manager4220 见下"},
            "at": {"atUserIds": ["manager4220"], "isAtAll": false}
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn markdown_message_without_mentions_has_an_empty_at_list() {
        let body = markdown_message("t", "x", &[]);
        assert_eq!(body["at"]["atUserIds"], json!([]));
    }

    #[test]
    fn text_and_empty_messages_have_the_documented_shape() {
        let text = json!({"msgtype": "text", "text": {"content": "好的"}});
        assert_eq!(text_message("好的"), text);
        assert_eq!(empty_message(), json!({"msgtype": "empty"}));
    }

    #[test]
    fn group_send_body_carries_msg_param_as_a_json_string() {
        let body = openapi_group_send_body("dingabc", "cid1==", "标题", "正文 \"引号\"");
        assert_eq!(body["robotCode"], "dingabc");
        assert_eq!(body["openConversationId"], "cid1==");
        assert_eq!(body["msgKey"], "sampleMarkdown");
        let param = body["msgParam"].as_str().expect("msgParam is a string");
        let param: Value = serde_json::from_str(param).unwrap();
        assert_eq!(param, json!({"title": "标题", "text": "正文 \"引号\""}));
    }

    #[test]
    fn zero_errcode_and_bare_openapi_responses_are_success() {
        assert_eq!(
            parse_api_envelope(br#"{"errcode":0,"errmsg":"ok"}"#),
            Ok(())
        );
        assert_eq!(parse_api_envelope(br#"{"processQueryKey":"k=="}"#), Ok(()));
    }

    #[test]
    fn non_zero_errcode_is_an_api_error() {
        let err = parse_api_envelope(br#"{"errcode":130101,"errmsg":"send too fast"}"#);
        let err = err.unwrap_err();
        assert_eq!(err.code(), Some(130101));
        assert!(err.is_rate_limited());
    }

    #[test]
    fn openapi_string_codes_are_service_errors() {
        let body = br#"{"requestid":"r","code":"invalidParameter.robotCode.empty","message":"robotCode is empty"}"#;
        let expected = ApiError::Service {
            code: "invalidParameter.robotCode.empty".into(),
            message: "robotCode is empty".into(),
        };
        assert_eq!(parse_api_envelope(body), Err(expected));
    }

    #[test]
    fn a_non_json_response_is_an_invalid_body() {
        let err = parse_api_envelope(b"Internal Server Error").unwrap_err();
        assert!(matches!(err, ApiError::InvalidBody { .. }));
    }
}
