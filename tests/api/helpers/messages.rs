//! Bodies of inbound platform messages, as DingTalk and WeCom would send them.

use super::{ROBOT_CODE, SESSION_PATH, TestApp, USER_GROUP, WECOM_HOOK_PATH, now_ms, unique_id};
use serde_json::{Value, json};

/// A DingTalk robot callback body, with the fields policybot reads. Defaults: a text message from
/// `u-zhang` (张三) in [`USER_GROUP`], a fresh unique msgId, a session webhook on the fake that lives
/// 90 minutes.
#[derive(Debug, Clone)]
pub struct DingTalkMsg {
    pub text: String,
    pub msg_id: String,
    pub sender: String,
    pub nick: String,
    pub group: String,
    /// `conversationTitle`; `None`: "群 <group id>".
    pub title: Option<String>,
    pub msgtype: String,
    pub session_webhook: Option<String>,
    pub expires_ms: i64,
}

impl DingTalkMsg {
    pub fn new(app: &TestApp, text: &str) -> DingTalkMsg {
        DingTalkMsg {
            text: text.to_owned(),
            msg_id: unique_id("msg"),
            sender: "u-zhang".into(),
            nick: "张三".into(),
            group: USER_GROUP.into(),
            title: None,
            msgtype: "text".into(),
            session_webhook: Some(app.fake.url(&format!("{SESSION_PATH}?session=s1"))),
            expires_ms: now_ms() + 90 * 60_000,
        }
    }

    pub fn from(mut self, sender: &str, nick: &str) -> Self {
        self.sender = sender.into();
        self.nick = nick.into();
        self
    }

    pub fn in_group(mut self, group: &str) -> Self {
        self.group = group.into();
        self
    }

    pub fn titled(mut self, title: &str) -> Self {
        self.title = Some(title.into());
        self
    }

    pub fn msg_id(mut self, id: &str) -> Self {
        self.msg_id = id.into();
        self
    }

    pub fn webhook(mut self, url: &str, expires_ms: i64) -> Self {
        self.session_webhook = Some(url.into());
        self.expires_ms = expires_ms;
        self
    }

    pub fn body(&self) -> Value {
        let mut b = json!({
            "msgId": self.msg_id,
            "msgtype": self.msgtype,
            "conversationId": self.group,
            "conversationType": "2",
            "conversationTitle": self.title.clone().unwrap_or_else(|| format!("群 {}", self.group)),
            "senderId": format!("$:LWCP_v1:${}", self.sender),
            "senderStaffId": self.sender,
            "senderNick": self.nick,
            "sessionWebhook": self.session_webhook,
            "sessionWebhookExpiredTime": self.expires_ms,
            "robotCode": ROBOT_CODE,
            "createAt": now_ms(),
            "isInAtList": true,
        });
        if self.msgtype == "text" {
            b["text"] = json!({ "content": format!(" {}", self.text) });
        } else {
            b["content"] = json!({ "downloadCode": "fake-download-code" });
        }
        b
    }
}

/// The WeCom group-robot callback plaintext of a text message (platforms.md §2.2b).
pub fn wecom_robot_text(
    app: &TestApp,
    msg_id: &str,
    user: &str,
    chat: &str,
    content: &str,
) -> String {
    format!(
        "<xml><WebhookUrl><![CDATA[{hook}]]></WebhookUrl><ChatId><![CDATA[{chat}]]></ChatId>\
         <ChatType>group</ChatType><From><UserId>{user}</UserId><Name><![CDATA[{user}的名字]]></Name></From>\
         <MsgType>text</MsgType><Text><Content><![CDATA[@政策助手 {content}]]></Content></Text>\
         <MsgId>{msg_id}</MsgId></xml>",
        hook = app.fake.url(&format!("{WECOM_HOOK_PATH}?key=test-key")),
    )
}
