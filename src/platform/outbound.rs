//! Delivering what the server decided to say later (officer answers, the overflow of a long reply,
//! notifications): an [`Outgoing`] message to a [`Destination`], through [`Outbound`], the registry of
//! [`Channel`]s. Each platform home registers the channel for its route kind; officer webhooks (a
//! DingTalk custom robot or a WeCom group robot, which take the same text message) are served here.
//!
//! Every request goes through one [`Poster`]: the allow-list first, then both the HTTP status and the
//! platform's envelope decide success (the platforms answer 200 with an error code). A failure says
//! whether trying again can help ([`SendError::is_transient`]).

mod allow;
mod post;

pub(crate) use allow::{PER_MINUTE, allowed};
pub(crate) use post::Poster;

use std::future::Future;
use std::pin::Pin;

use serde_json::{Value, json};

use super::ApiError;
use super::ReplyRoute;
use super::error::check_any_envelope;

/// The future of one delivery.
pub(crate) type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// One message to deliver.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    pub to: Destination<'a>,
    /// Within the destination's text limit (see [`ReplyRoute::split`]).
    pub text: &'a str,
    /// Whom the message is for: @-ed where the channel can, named in the text where it cannot.
    pub to_people: &'a [super::Addressee],
    /// Now, epoch ms: whether a route's temporary webhook is still usable depends on it.
    pub now_ms: i64,
}

/// Where a message goes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Destination<'a> {
    /// Into a user group, by the route its message gave.
    Group(&'a ReplyRoute),
    /// The bot's own reply to a message that came over a long connection, where no HTTP response
    /// carries it: titled after its text, rate-limited per chat.
    Reply(&'a ReplyRoute),
    /// An officer group's webhook (DingTalk custom robot or WeCom group robot).
    Webhook(&'a str),
}

/// Delivery to one kind of [`ReplyRoute`]: what a platform home (or a transport with a route kind of
/// its own) registers with [`Outbound::with`].
pub(crate) trait Channel: Send + Sync {
    /// True for the routes this channel delivers to.
    fn serves(&self, route: &ReplyRoute) -> bool;
    /// The robot that sends to `route`: the per-robot rate limit counts under this key. It may hold a
    /// webhook key; the caller hashes it before storing it.
    fn rate_key(&self, route: &ReplyRoute) -> String;
    /// The same for the bot's replies over `route` ([`Destination::Reply`]): by default the robot's.
    fn reply_rate_key(&self, route: &ReplyRoute) -> String {
        self.rate_key(route)
    }
    /// Sends one message to `route` (`msg.to` says whether it is a reply), all its requests through
    /// `post`.
    fn deliver<'a>(
        &'a self,
        post: &'a Poster,
        route: &'a ReplyRoute,
        msg: Outgoing<'a>,
    ) -> Sending<'a>;
}

/// Why a message was not delivered. The display of each cause is safe to log and to record on a
/// ticket: no URL (webhook URLs carry keys), no secret.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("destination host is not on server.allowed_outbound_hosts")]
    NotAllowed,
    #[error("no channel delivers to this route")]
    NoChannel,
    #[error("no WebhookUrl for this chat")]
    NoWebhook,
    #[error("session webhook expired and no robot code for the OpenAPI")]
    NoRobotCode,
    /// The request did not complete; the error has had its URL removed.
    #[error("network")]
    Network(#[source] reqwest::Error),
    /// A non-success HTTP status, with the envelope's error when the body had one.
    #[error("{what}: HTTP {status}")]
    Status {
        what: &'static str,
        status: reqwest::StatusCode,
        #[source]
        envelope: Option<ApiError>,
    },
    /// HTTP success, but the platform's envelope reports an error.
    #[error("the platform refused the message")]
    Refused(#[source] ApiError),
    #[error("access token: unexpected body")]
    TokenBody(#[source] serde_json::Error),
    /// A long connection did not carry the message (not up, closed, no answer in time).
    #[error("long connection: {0}")]
    Connection(String),
}

impl SendError {
    /// True when trying again later can help: the network, a server error or throttling, or a body
    /// that is no envelope at all (a proxy answering in the platform's place).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            SendError::Network(_) | SendError::TokenBody(_) | SendError::Connection(_) => true,
            SendError::Status { status, .. } => {
                status.is_server_error() || *status == reqwest::StatusCode::TOO_MANY_REQUESTS
            }
            SendError::Refused(e) => e.is_transient(),
            SendError::NotAllowed
            | SendError::NoChannel
            | SendError::NoWebhook
            | SendError::NoRobotCode => false,
        }
    }
}

/// The registry of channels, with the poster they all send through. Built once at start-up.
pub struct Outbound {
    post: Poster,
    channels: Vec<Box<dyn Channel>>,
    /// 加签: officer webhooks (DingTalk custom robots) and their secrets.
    signing: Vec<(String, String)>,
}

impl Outbound {
    /// No channel yet: register each route kind's with [`Outbound::with`].
    pub(crate) fn new(http: reqwest::Client, allowed_hosts: Vec<String>) -> Outbound {
        Outbound {
            post: Poster::new(http, allowed_hosts),
            channels: Vec::new(),
            signing: Vec::new(),
        }
    }

    /// Signs posts to each webhook of `secrets` (a DingTalk custom robot's 加签: `timestamp` and
    /// `sign` query parameters, the sign computed as for callbacks, platforms.md §1.4).
    pub(crate) fn signing(mut self, secrets: Vec<(String, String)>) -> Outbound {
        self.signing = secrets;
        self
    }

    /// `url` with its 加签 parameters when it has a secret; as it is otherwise.
    fn signed(&self, url: &str, now_ms: i64) -> String {
        let secret = self.signing.iter().find(|(u, _)| same_url(u, url));
        let (Some((_, secret)), Ok(mut signed)) = (secret, url::Url::parse(url)) else {
            return url.to_owned();
        };
        let ts = now_ms.to_string();
        let sign = super::dingtalk::sign(secret, &ts);
        signed
            .query_pairs_mut()
            .append_pair("timestamp", &ts)
            .append_pair("sign", &sign);
        signed.into()
    }

    /// Registers `channel` for the routes it serves.
    pub(crate) fn with(mut self, channel: impl Channel + 'static) -> Outbound {
        self.channels.push(Box::new(channel));
        self
    }

    fn channel(&self, route: &ReplyRoute) -> Option<&dyn Channel> {
        self.channels
            .iter()
            .find(|c| c.serves(route))
            .map(|c| c.as_ref())
    }

    /// The robot (or webhook) that sends to `to`, for the per-robot rate limit.
    pub(crate) fn rate_key(&self, to: Destination<'_>) -> String {
        match to {
            Destination::Webhook(url) => url.to_owned(),
            Destination::Group(route) => self
                .channel(route)
                .map_or_else(String::new, |c| c.rate_key(route)),
            Destination::Reply(route) => self
                .channel(route)
                .map_or_else(String::new, |c| c.reply_rate_key(route)),
        }
    }

    /// Sends one message.
    pub(crate) async fn deliver(&self, msg: Outgoing<'_>) -> Result<(), SendError> {
        match msg.to {
            Destination::Webhook(url) => {
                let body = webhook_text(msg.text);
                let url = self.signed(url, msg.now_ms);
                self.post.send(&url, &body, None, check_any_envelope).await
            }
            Destination::Group(route) | Destination::Reply(route) => {
                let channel = self.channel(route).ok_or(SendError::NoChannel)?;
                channel.deliver(&self.post, route, msg).await
            }
        }
    }
}

/// True when `a` and `b` are the same URL once parsed (as the config writes them).
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The text message that both a DingTalk custom robot and a WeCom group robot webhook take.
fn webhook_text(content: &str) -> Value {
    json!({ "msgtype": "text", "text": { "content": content } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officer_webhooks_get_the_text_message_both_robots_take() {
        let text = json!({"msgtype": "text", "text": {"content": "好的"}});
        assert_eq!(webhook_text("好的"), text);
    }

    #[test]
    fn only_throttling_server_errors_and_undecodable_bodies_are_worth_retrying() {
        let status = |code: u16| SendError::Status {
            what: "send",
            status: reqwest::StatusCode::from_u16(code).unwrap(),
            envelope: None,
        };
        assert!(status(500).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(400).is_transient());
        let refused = |code: i64| {
            SendError::Refused(ApiError::Api {
                code,
                message: "m".into(),
            })
        };
        assert!(refused(45009).is_transient());
        assert!(!refused(310000).is_transient());
        let proxy_page = ApiError::InvalidBody {
            raw: "<html>".into(),
        };
        assert!(SendError::Refused(proxy_page).is_transient());
        assert!(!SendError::NotAllowed.is_transient());
        assert!(!SendError::NoWebhook.is_transient());
    }

    #[test]
    fn a_webhook_with_a_secret_is_signed_as_a_custom_robot_wants_and_others_are_not() {
        let hook = "https://oapi.dingtalk.com/robot/send?access_token=t";
        let outbound = Outbound::new(reqwest::Client::new(), vec![])
            .signing(vec![(hook.to_owned(), "SECsecret".to_owned())]);
        let signed = outbound.signed(hook, 1_577_262_236_757);
        let sign = super::super::dingtalk::sign("SECsecret", "1577262236757");
        let encoded =
            percent_encoding::utf8_percent_encode(&sign, percent_encoding::NON_ALPHANUMERIC);
        assert_eq!(
            signed,
            format!("{hook}&timestamp=1577262236757&sign={encoded}")
        );
        let other = "https://oapi.dingtalk.com/robot/send?access_token=u";
        assert_eq!(outbound.signed(other, 1), other);
    }

    #[test]
    fn an_unregistered_route_kind_has_no_channel_and_no_rate_key() {
        let outbound = Outbound::new(reqwest::Client::new(), vec![]);
        let route = ReplyRoute::WeCom {
            webhook_url: Some("https://qyapi.weixin.qq.com/x?key=k".into()),
            chat_id: None,
        };
        assert!(outbound.channel(&route).is_none());
        assert_eq!(outbound.rate_key(Destination::Group(&route)), "");
        let hook = "https://oapi.dingtalk.com/robot/send?access_token=t";
        assert_eq!(outbound.rate_key(Destination::Webhook(hook)), hook);
    }
}
