//! Outbound WeCom bodies: passive-reply plaintext XML (encrypt it with
//! [`WxCrypt::encrypt_reply`](super::WxCrypt::encrypt_reply)),
//! group-robot webhook JSON, and the `errcode` response envelope. Replies
//! are text: `mentioned_list` works for text only (markdown would need
//! `<@userid>` inside the content).
//!
//! Limits the caller must respect (not enforced here): text `content` ≤
//! [`TEXT_LIMIT`] bytes (UTF-8), 20 messages per minute per robot (errcode
//! 45009 when exceeded).

use serde_json::{Value, json};

use super::xml::cdata;
use crate::platform::ApiError;
use crate::platform::error::check_errcode;

/// WeCom's text message limit in bytes (UTF-8), for passive replies and webhook texts alike.
pub(crate) const TEXT_LIMIT: usize = 2048;

/// Robot passive reply with a text message, before encryption.
pub(crate) fn passive_text_reply(content: &str) -> String {
    format!(
        "<xml><MsgType>text</MsgType><Text><Content>{}</Content></Text></xml>",
        cdata(content)
    )
}

/// Self-built app passive text reply, before encryption: to `to_user`
/// (the message's `FromUserName`) from `corp_id`, at `create_time`
/// (epoch seconds).
pub(crate) fn app_passive_text_reply(
    to_user: &str,
    corp_id: &str,
    create_time: i64,
    content: &str,
) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType>{}</MsgType>\
         <Content>{}</Content></xml>",
        cdata(to_user),
        cdata(corp_id),
        cdata("text"),
        cdata(content),
    )
}

/// Webhook text message; `mentioned_user_ids` are userids (or `@all`).
pub(crate) fn webhook_text_body(content: &str, mentioned_user_ids: &[String]) -> Value {
    json!({
        "msgtype": "text",
        "text": { "content": content, "mentioned_list": mentioned_user_ids },
    })
}

/// Checks a WeCom API response: `errcode` must be present and 0. Use
/// [`ApiError::is_rate_limited`] to spot 45009.
pub(crate) fn parse_api_envelope(body: &[u8]) -> Result<(), ApiError> {
    check_errcode(body, true).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::vectors;
    use crate::platform::wecom::xml::flatten;

    #[test]
    fn passive_text_reply_has_the_documented_shape() {
        let expected =
            "<xml><MsgType>text</MsgType><Text><Content><![CDATA[您好]]></Content></Text></xml>";
        assert_eq!(passive_text_reply("您好"), expected);
    }

    #[test]
    fn cdata_terminators_in_content_cannot_break_out() {
        let hostile = "a]]></Content><MsgType>evil</MsgType><Content><![CDATA[b";
        let reply = passive_text_reply(hostile);
        let fields = flatten(reply.as_bytes()).unwrap();
        assert_eq!(fields.get("Text/Content"), Some(hostile));
        assert_eq!(fields.all("MsgType").count(), 1);
    }

    #[test]
    fn app_passive_reply_matches_the_g3_plaintext_byte_for_byte() {
        let list = vectors::list("/wecom/generated");
        let g3 = list
            .iter()
            .find(|v| vectors::name(v).starts_with("G3"))
            .unwrap();
        let reply = app_passive_text_reply(
            "zhangsan",
            "ww1436e0e65a779aee",
            1_476_422_779,
            "您好，问题已转人工，请稍候。",
        );
        assert_eq!(reply, vectors::str_field(g3, "plaintext"));
    }

    #[test]
    fn webhook_text_body_lists_mentions() {
        let ids = vec!["zhangsan".to_owned(), "@all".to_owned()];
        let expected = json!({
            "msgtype": "text",
            "text": {"content": "答复", "mentioned_list": ["zhangsan", "@all"]}
        });
        assert_eq!(webhook_text_body("答复", &ids), expected);
        assert_eq!(
            webhook_text_body("x", &[])["text"]["mentioned_list"],
            json!([])
        );
    }

    #[test]
    fn ok_envelope_is_success_and_45009_is_rate_limited() {
        assert_eq!(
            parse_api_envelope(br#"{"errcode":0,"errmsg":"ok"}"#),
            Ok(())
        );
        let err = parse_api_envelope(br#"{"errcode":45009,"errmsg":"api freq out of limit"}"#)
            .unwrap_err();
        assert!(err.is_rate_limited());
        assert_eq!(err.code(), Some(45009));
    }

    #[test]
    fn other_errcodes_keep_code_and_message() {
        let body = br#"{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}"#;
        let expected = ApiError::Api {
            code: 40058,
            message: "markdown.content exceed max length 4096".into(),
        };
        assert_eq!(parse_api_envelope(body), Err(expected.clone()));
        assert!(!expected.is_rate_limited());
    }

    #[test]
    fn bodies_without_errcode_are_invalid() {
        for body in [&b"{}"[..], b"", b"<html/>"] {
            let err = parse_api_envelope(body).unwrap_err();
            assert!(matches!(err, ApiError::InvalidBody { .. }));
        }
    }
}
