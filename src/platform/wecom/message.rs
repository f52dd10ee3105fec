//! Decrypted WeCom callback XML, from either a group robot (群机器人回调:
//! `From/UserId`, `Text/Content`, `ChatId`, `WebhookUrl`, …) or a self-built
//! app (自建应用: `FromUserName`, `Content`, `CreateTime`, `AgentID`, …),
//! folded into one [`WeComMessage`].
//!
//! Values are only trimmed (WeCom's own samples put stray spaces around
//! CDATA). [`WeComMessage::inbound`], the one place a WeCom message becomes
//! an [`Inbound`], strips the leading `@Robot` from the text.

use super::xml::{Fields, flatten};
use crate::platform::{Inbound, ParseError, Platform, ReplyRoute};

/// One inbound WeCom message or event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WeComMessage {
    /// `MsgId`; for app events (which have none) `FromUserName:CreateTime`
    /// plus `:Event` when present. The dedupe key.
    pub msg_id: String,
    /// `MsgType`: `text`, `image`, `mixed`, `event`, `attachment`, ….
    pub msg_type: String,
    /// The text: `Text/Content` (robot), `Content` (app), or the text items
    /// of a robot `mixed` message joined by newlines. `None` otherwise.
    pub content: Option<String>,
    /// `From/UserId` (robot) or `FromUserName` (app): the sender's userid.
    pub from_user_id: String,
    /// `From/Name`: display name (robot only).
    pub from_name: Option<String>,
    /// `ChatId` (robot only).
    pub chat_id: Option<String>,
    /// `ChatType`: `group` or `single` (robot only).
    pub chat_type: Option<String>,
    /// `WebhookUrl`: durable target for later answers (robot only).
    pub webhook_url: Option<String>,
    /// `Event/EventType` (robot) or `Event` (app), e.g. `add_to_chat`.
    pub event: Option<String>,
    /// `ToUserName`: the corpid (app only).
    pub to_user_name: Option<String>,
    /// `AgentID` (app only).
    pub agent_id: Option<String>,
    /// `CreateTime`: epoch **seconds** (app only).
    pub create_time: Option<i64>,
}

/// Parses a decrypted robot or app callback. Malformed XML, a missing
/// `MsgType` or sender, and an app event without `CreateTime` are errors.
pub(crate) fn parse_robot_message(xml: &str) -> Result<WeComMessage, ParseError> {
    let fields = flatten(xml.as_bytes()).map_err(|e| ParseError::Xml(Box::new(e)))?;
    let from_user_id = first(&fields, &["From/UserId", "FromUserName"])
        .ok_or(ParseError::MissingField("From/UserId"))?;
    let create_time = create_time(&fields)?;
    let event = first(&fields, &["Event/EventType", "Event"]);
    Ok(WeComMessage {
        msg_id: msg_id(&fields, &from_user_id, create_time, event.as_deref())?,
        msg_type: first(&fields, &["MsgType"]).ok_or(ParseError::MissingField("MsgType"))?,
        content: content(&fields),
        from_user_id,
        from_name: first(&fields, &["From/Name"]),
        chat_id: first(&fields, &["ChatId"]),
        chat_type: first(&fields, &["ChatType"]),
        webhook_url: first(&fields, &["WebhookUrl"]),
        event,
        to_user_name: first(&fields, &["ToUserName"]),
        agent_id: first(&fields, &["AgentID"]),
        create_time,
    })
}

impl WeComMessage {
    /// The message in the platform-neutral shape; its route answers through the chat's `WebhookUrl`.
    /// A chat without `ChatId` is a one-to-one chat with the sender (titled 单聊); a "mixed" message
    /// (text with a picture) is asked by its text items; anything else but text has no text.
    pub(crate) fn inbound(&self) -> Inbound {
        let group = self
            .chat_id
            .clone()
            .unwrap_or_else(|| self.from_user_id.clone());
        Inbound {
            platform: Platform::WeCom,
            msg_id: self.msg_id.clone(),
            group_id: group,
            group_title: self
                .chat_id
                .clone()
                .map_or_else(|| "单聊".to_owned(), |c| format!("企业微信群 {c}")),
            sender_id: self.from_user_id.clone(),
            sender_nick: self
                .from_name
                .clone()
                .unwrap_or_else(|| self.from_user_id.clone()),
            text: match (self.msg_type.as_str(), self.content.as_deref()) {
                ("text", c) => Some(strip_mentions(c.unwrap_or_default()).to_owned()),
                ("mixed", Some(c)) => Some(strip_mentions(c).to_owned()),
                _ => None,
            },
            route: ReplyRoute::WeCom {
                webhook_url: self.webhook_url.clone(),
                chat_id: self.chat_id.clone(),
            },
        }
    }
}

/// The text after the leading `@name` mentions: unlike DingTalk, WeCom keeps the "@机器人" the message
/// started with, and officer commands ("认领 12") and stored ticket questions must not carry it.
pub(super) fn strip_mentions(content: &str) -> &str {
    let mut rest = content.trim_start();
    while let Some(after_at) = rest.strip_prefix('@') {
        rest = after_at
            .find(char::is_whitespace)
            .map_or("", |i| after_at[i..].trim_start());
    }
    rest
}

/// The first non-blank value among `paths`, trimmed.
fn first(fields: &Fields, paths: &[&str]) -> Option<String> {
    paths
        .iter()
        .find_map(|p| fields.non_empty(p))
        .map(str::to_owned)
}

fn content(fields: &Fields) -> Option<String> {
    if let Some(text) = fields.get("Text/Content").or_else(|| fields.get("Content")) {
        return Some(text.trim().to_owned());
    }
    let items: Vec<&str> = fields
        .all("MixedMessage/MsgItem/Text/Content")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    (!items.is_empty()).then(|| items.join("\n"))
}

fn create_time(fields: &Fields) -> Result<Option<i64>, ParseError> {
    fields
        .non_empty("CreateTime")
        .map(|t| {
            t.parse()
                .map_err(|_| ParseError::InvalidField("CreateTime"))
        })
        .transpose()
}

fn msg_id(
    fields: &Fields,
    from: &str,
    create_time: Option<i64>,
    event: Option<&str>,
) -> Result<String, ParseError> {
    if let Some(id) = fields.non_empty("MsgId") {
        return Ok(id.to_owned());
    }
    let time = create_time.ok_or(ParseError::MissingField("MsgId"))?;
    Ok(match event {
        Some(event) => format!("{from}:{time}:{event}"),
        None => format!("{from}:{time}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::vectors;

    /// The group-robot text sample from platforms.md §2.2b (PostId and the
    /// pretty-printing as in the doc-derived wecom_bot_svr samples).
    const ROBOT_TEXT: &str = r#"<xml><WebhookUrl> <![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc]]></WebhookUrl>
 <ChatId><![CDATA[wrkSFfCgAALFgnrSsWU38puiv4yvExuw]]></ChatId>  <PostId><![CDATA[bpkSFfCgAAWeiHos2p6lJbG3_F2xxxxx]]></PostId>
 <ChatType>group</ChatType>
 <GetChatInfoUrl><![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=m49c5aRCdEP8_QQdZmTNR52yJ5TLGcIMzaLJk3x5KqY]]></GetChatInfoUrl>
 <From><UserId>zhangsan</UserId><Name><![CDATA[张三]]></Name><Alias><![CDATA[jackzhang]]></Alias></From>
 <MsgType>text</MsgType><Text><Content><![CDATA[@RobotA hello robot]]></Content></Text>
 <MsgId>abcdabcdabcd</MsgId></xml>"#;

    /// Official sample O4's decrypted self-built app message.
    const APP_TEXT: &str = "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>";

    #[test]
    fn the_documented_robot_text_message_parses() {
        let msg = parse_robot_message(ROBOT_TEXT).unwrap();
        assert_eq!(msg.msg_id, "abcdabcdabcd");
        assert_eq!(msg.msg_type, "text");
        assert_eq!(msg.content.as_deref(), Some("@RobotA hello robot"));
        assert_eq!(msg.from_user_id, "zhangsan");
        assert_eq!(msg.from_name.as_deref(), Some("张三"));
        assert_eq!(
            msg.chat_id.as_deref(),
            Some("wrkSFfCgAALFgnrSsWU38puiv4yvExuw")
        );
        assert_eq!(msg.chat_type.as_deref(), Some("group"));
        let url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc";
        assert_eq!(msg.webhook_url.as_deref(), Some(url));
        assert_eq!((msg.event, msg.create_time), (None, None));
    }

    #[test]
    fn the_official_app_message_parses() {
        let msg = parse_robot_message(APP_TEXT).unwrap();
        assert_eq!(msg.msg_id, "1456453720");
        assert_eq!(msg.content.as_deref(), Some("你好"));
        assert_eq!(msg.from_user_id, "ChenJiaShun");
        assert_eq!(msg.to_user_name.as_deref(), Some("ww1436e0e65a779aee"));
        assert_eq!(msg.agent_id.as_deref(), Some("1000002"));
        assert_eq!(msg.create_time, Some(1_476_422_779));
        assert_eq!(
            (msg.chat_id, msg.webhook_url, msg.from_name),
            (None, None, None)
        );
    }

    #[test]
    fn every_decrypted_xml_vector_parses() {
        for v in vectors::list("/wecom/generated") {
            let text = vectors::str_field(&v, "plaintext");
            if text.starts_with("<xml><ToUserName>") || text.contains("<WebhookUrl>") {
                let msg = parse_robot_message(text).unwrap();
                assert!(msg.content.is_some(), "{}", vectors::name(&v));
            }
        }
    }

    #[test]
    fn app_events_without_msg_id_fall_back_to_sender_time_and_event() {
        let xml = "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><AgentID>1</AgentID></xml>";
        let msg = parse_robot_message(xml).unwrap();
        assert_eq!(msg.msg_id, "lisi:1700000000:enter_agent");
        assert_eq!(msg.event.as_deref(), Some("enter_agent"));
        assert_eq!(msg.content, None);
    }

    #[test]
    fn robot_events_and_images_have_no_text() {
        let event = ROBOT_TEXT.replace(
            "<MsgType>text</MsgType><Text><Content><![CDATA[@RobotA hello robot]]></Content></Text>",
            "<MsgType>event</MsgType><Event><EventType><![CDATA[add_to_chat]]></EventType></Event>",
        );
        let msg = parse_robot_message(&event).unwrap();
        assert_eq!((msg.msg_type.as_str(), msg.content), ("event", None));
        assert_eq!(msg.event.as_deref(), Some("add_to_chat"));
        let image = ROBOT_TEXT.replace(
            "<MsgType>text</MsgType><Text><Content><![CDATA[@RobotA hello robot]]></Content></Text>",
            "<MsgType>image</MsgType><Image><ImageUrl><![CDATA[https://p.qpic.cn/x]]></ImageUrl></Image>",
        );
        assert_eq!(parse_robot_message(&image).unwrap().content, None);
    }

    #[test]
    fn mixed_messages_join_their_text_items() {
        let mixed = ROBOT_TEXT.replace(
            "<MsgType>text</MsgType><Text><Content><![CDATA[@RobotA hello robot]]></Content></Text>",
            "<MsgType>mixed</MsgType><MixedMessage>\
             <MsgItem><MsgType>text</MsgType><Text><Content><![CDATA[@机器人 看图]]></Content></Text></MsgItem>\
             <MsgItem><MsgType>image</MsgType><Image><ImageUrl>u</ImageUrl></Image></MsgItem>\
             <MsgItem><MsgType>text</MsgType><Text><Content> 社保怎么交 </Content></Text></MsgItem>\
             </MixedMessage>",
        );
        let msg = parse_robot_message(&mixed).unwrap();
        assert_eq!(msg.content.as_deref(), Some("@机器人 看图\n社保怎么交"));
    }

    #[test]
    fn content_is_trimmed_but_otherwise_untouched() {
        let xml = ROBOT_TEXT.replace("@RobotA hello robot", "\n  @RobotA  a &amp; b <x>  \n");
        let msg = parse_robot_message(&xml).unwrap();
        assert_eq!(msg.content.as_deref(), Some("@RobotA  a &amp; b <x>"));
    }

    #[test]
    fn missing_sender_type_or_id_are_named() {
        let no_from = ROBOT_TEXT.replace("<UserId>zhangsan</UserId>", "");
        let err = parse_robot_message(&no_from).unwrap_err();
        assert!(matches!(err, ParseError::MissingField("From/UserId")));
        let no_type = APP_TEXT.replace("<MsgType>text</MsgType>", "");
        let err = parse_robot_message(&no_type).unwrap_err();
        assert!(matches!(err, ParseError::MissingField("MsgType")));
        let no_id = ROBOT_TEXT.replace("<MsgId>abcdabcdabcd</MsgId>", "");
        let err = parse_robot_message(&no_id).unwrap_err();
        assert!(matches!(err, ParseError::MissingField("MsgId")));
    }

    #[test]
    fn a_non_numeric_create_time_is_an_invalid_field() {
        let xml = APP_TEXT.replace("1476422779", "yesterday");
        let err = parse_robot_message(&xml).unwrap_err();
        assert!(matches!(err, ParseError::InvalidField("CreateTime")));
    }

    #[test]
    fn malformed_xml_is_an_xml_error() {
        let cut = &APP_TEXT[..APP_TEXT.len() - 10];
        for bad in [
            "",
            "not xml",
            "<xml><MsgType>text</xml>",
            cut,
            "<xml><A>&bogus;</A></xml>",
        ] {
            let err = parse_robot_message(bad).unwrap_err();
            let expected = matches!(err, ParseError::Xml(_) | ParseError::MissingField(_));
            assert!(expected, "{bad}: {err:?}");
        }
        assert!(matches!(parse_robot_message(cut), Err(ParseError::Xml(_))));
    }

    #[test]
    fn leading_mentions_are_stripped_and_the_rest_is_kept() {
        assert_eq!(strip_mentions("@政策助手 认领 12"), "认领 12");
        assert_eq!(strip_mentions(" @a  @b\n房租 @c 呢"), "房租 @c 呢");
        assert_eq!(strip_mentions("@政策助手"), "");
        assert_eq!(strip_mentions("房租能减免吗"), "房租能减免吗");
    }

    #[test]
    fn a_robot_message_becomes_an_inbound_from_its_chat_answered_through_its_webhook() {
        let msg = parse_robot_message(ROBOT_TEXT).unwrap().inbound();
        assert_eq!(msg.platform, Platform::WeCom);
        assert_eq!(msg.msg_id, "abcdabcdabcd");
        assert_eq!(msg.group_id, "wrkSFfCgAALFgnrSsWU38puiv4yvExuw");
        assert_eq!(
            msg.group_title,
            "企业微信群 wrkSFfCgAALFgnrSsWU38puiv4yvExuw"
        );
        assert_eq!(
            (msg.sender_id.as_str(), msg.sender_nick.as_str()),
            ("zhangsan", "张三")
        );
        assert_eq!(msg.text.as_deref(), Some("hello robot"));
        let route = ReplyRoute::WeCom {
            webhook_url: Some("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc".into()),
            chat_id: Some("wrkSFfCgAALFgnrSsWU38puiv4yvExuw".into()),
        };
        assert_eq!(msg.route, route);
    }

    #[test]
    fn an_app_message_is_a_one_to_one_chat_with_its_sender() {
        let msg = parse_robot_message(APP_TEXT).unwrap().inbound();
        assert_eq!(
            (msg.group_id.as_str(), msg.group_title.as_str()),
            ("ChenJiaShun", "单聊")
        );
        assert_eq!(msg.sender_nick, "ChenJiaShun");
        assert_eq!(msg.text.as_deref(), Some("你好"));
    }

    #[test]
    fn every_generated_vector_message_becomes_an_inbound_with_text() {
        for v in vectors::list("/wecom/generated") {
            let text = vectors::str_field(&v, "plaintext");
            if text.contains("<WebhookUrl>") || text.starts_with("<xml><ToUserName>") {
                let msg = parse_robot_message(text).unwrap().inbound();
                let asked = msg.text.unwrap_or_default();
                assert!(
                    !asked.is_empty() && !asked.starts_with('@'),
                    "{}",
                    vectors::name(&v)
                );
            }
        }
    }

    #[test]
    fn images_have_no_text_and_mixed_messages_are_asked_by_their_text() {
        let image = ROBOT_TEXT.replace(
            "<MsgType>text</MsgType><Text><Content><![CDATA[@RobotA hello robot]]></Content></Text>",
            "<MsgType>image</MsgType><Image><ImageUrl><![CDATA[https://p.qpic.cn/x]]></ImageUrl></Image>",
        );
        assert_eq!(parse_robot_message(&image).unwrap().inbound().text, None);
        let mixed = ROBOT_TEXT.replace(
            "<MsgType>text</MsgType><Text><Content><![CDATA[@RobotA hello robot]]></Content></Text>",
            "<MsgType>mixed</MsgType><MixedMessage>\
             <MsgItem><MsgType>text</MsgType><Text><Content><![CDATA[@机器人 社保怎么交]]></Content></Text></MsgItem>\
             </MixedMessage>",
        );
        let asked = parse_robot_message(&mixed).unwrap().inbound().text;
        assert_eq!(asked.as_deref(), Some("社保怎么交"));
    }
}
