//! The WeCom channel: a later message into a chat is a text message POSTed to the chat's `WebhookUrl`
//! (durable, unlike DingTalk's session webhook), @-ing the askers through `mentioned_list`. WeCom's
//! envelope must carry `errcode` 0; 45009 is its rate limit.

use super::reply::{parse_api_envelope, webhook_text_body};
use crate::platform::{
    Channel, Outgoing, Poster, ReplyRoute, SendError, Sending, by_reach, naming,
};

/// Delivers to [`ReplyRoute::WeCom`] routes.
pub(crate) struct GroupRobot;

impl GroupRobot {
    async fn send(
        &self,
        post: &Poster,
        route: &ReplyRoute,
        msg: Outgoing<'_>,
    ) -> Result<(), SendError> {
        let url = match route {
            ReplyRoute::WeCom { webhook_url, .. } => webhook_url.as_deref(),
            _ => None,
        };
        let url = url.ok_or(SendError::NoWebhook)?;
        let (ids, names) = by_reach(msg.to_people);
        let text = format!("{}{}", naming(&names), msg.text);
        let body = webhook_text_body(&text, &ids);
        post.send(url, &body, None, parse_api_envelope).await
    }
}

impl Channel for GroupRobot {
    fn serves(&self, route: &ReplyRoute) -> bool {
        matches!(route, ReplyRoute::WeCom { .. })
    }

    /// A chat's webhook is its robot.
    fn rate_key(&self, route: &ReplyRoute) -> String {
        match route {
            ReplyRoute::WeCom { webhook_url, .. } => webhook_url.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn deliver<'a>(
        &'a self,
        post: &'a Poster,
        route: &'a ReplyRoute,
        msg: Outgoing<'a>,
    ) -> Sending<'a> {
        Box::pin(self.send(post, route, msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_is_rate_limited_by_its_webhook() {
        let hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k";
        let route = ReplyRoute::WeCom {
            webhook_url: Some(hook.into()),
            chat_id: Some("wrk1".into()),
        };
        assert!(GroupRobot.serves(&route));
        assert_eq!(GroupRobot.rate_key(&route), hook);
    }

    #[tokio::test]
    async fn a_chat_without_a_webhook_cannot_be_reached_and_nothing_is_posted() {
        let post = Poster::new(reqwest::Client::new(), vec![]);
        let route = ReplyRoute::WeCom {
            webhook_url: None,
            chat_id: Some("wrk1".into()),
        };
        let msg = Outgoing {
            to: crate::platform::Destination::Group(&route),
            text: "答复",
            to_people: &[],
            now_ms: 0,
        };
        let err = GroupRobot.send(&post, &route, msg).await.unwrap_err();
        assert!(matches!(err, SendError::NoWebhook));
        assert!(!err.is_transient());
    }
}
