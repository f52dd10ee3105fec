//! Outbound DingTalk bodies. Their responses are checked with the union envelope
//! (`platform::error::check_any_envelope`): DingTalk answers with `errcode` or with a string `code`.
//!
//! The `msgtype` bodies serve both as the synchronous callback response and
//! as POSTs to `sessionWebhook`. @-mentions only notify when the `@<userId>`
//! also appears in the text, which `decorate` writes. The OpenAPI group
//! send (for answers posted after the webhook expired) cannot @ anyone.

use serde_json::{Value, json};

/// Path of the robot group-send OpenAPI on `https://api.dingtalk.com`.
pub(crate) const GROUP_SEND_PATH: &str = "/v1.0/robot/groupMessages/send";
/// Header carrying the OpenAPI access token.
pub(crate) const ACCESS_TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";

/// A markdown message notifying `at_user_ids`; put `@<id>` in `text`.
pub(crate) fn markdown_message(title: &str, text: &str, at_user_ids: &[String]) -> Value {
    json!({
        "msgtype": "markdown",
        "markdown": { "title": title, "text": text },
        "at": { "atUserIds": at_user_ids, "isAtAll": false },
    })
}

/// The callback response meaning "no reply in the chat".
pub(crate) fn empty_message() -> Value {
    json!({ "msgtype": "empty" })
}

/// Body for `POST {GROUP_SEND_PATH}` with a `sampleMarkdown` message.
/// `msgParam` is a JSON *string* (limit 15 000 bytes, not checked here).
pub(crate) fn openapi_group_send_body(
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
    fn the_empty_message_has_the_documented_shape() {
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
}
