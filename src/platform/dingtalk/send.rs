//! The DingTalk channel: a later message into a group goes to the message's session webhook while it
//! lives (a minute of margin, so it does not expire in flight), @-ing the askers; after that, or when
//! the webhook answers that its session is gone (300001), through the robot OpenAPI's group send with a
//! cached access token, which cannot @ anyone: the askers are named in the text. Both answer with
//! either of DingTalk's envelopes.

use super::decorate::{later, named, title};
use super::reply::{ACCESS_TOKEN_HEADER, GROUP_SEND_PATH, openapi_group_send_body};
use super::token::{OpenApi, TokenCache};
use crate::platform::ApiError;
use crate::platform::error::check_any_envelope;
use crate::platform::{Channel, Outgoing, Poster, ReplyRoute, SendError, Sending};

/// What a session webhook answers once its session is gone.
const SESSION_GONE: i64 = 300001;

/// A session webhook this close to its expiry is not used.
const WEBHOOK_MARGIN_MS: i64 = 60_000;

/// Delivers to [`ReplyRoute::DingTalk`] routes.
pub(crate) struct Robot {
    api: OpenApi,
    tokens: TokenCache,
}

impl Robot {
    pub(crate) fn new(mut api: OpenApi) -> Robot {
        api.base = api.base.trim_end_matches('/').to_owned();
        Robot {
            api,
            tokens: TokenCache::default(),
        }
    }

    async fn send(
        &self,
        post: &Poster,
        route: &ReplyRoute,
        msg: Outgoing<'_>,
    ) -> Result<(), SendError> {
        let ReplyRoute::DingTalk {
            robot_code,
            conversation_id,
            session_webhook,
            session_webhook_expires_ms,
        } = route
        else {
            return Err(SendError::NoChannel);
        };
        let fresh = session_webhook_expires_ms
            .is_some_and(|exp| exp > msg.now_ms.saturating_add(WEBHOOK_MARGIN_MS));
        if let (Some(url), true) = (session_webhook, fresh) {
            let body = later(msg.text, msg.to_people);
            match post.send(url, &body, None, check_any_envelope).await {
                // The webhook no longer exists (300001 "token is not exist": the session is gone
                // before its stated expiry): the group send below may still reach the group.
                Err(SendError::Refused(
                    e @ ApiError::Api {
                        code: SESSION_GONE, ..
                    },
                )) => {
                    tracing::warn!(error = %e, "session webhook refused a message; trying the group send");
                }
                done => return done,
            }
        }
        let robot = robot_code
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(&self.api.robot_code);
        if robot.is_empty() {
            return Err(SendError::NoRobotCode);
        }
        let token = self.tokens.get(post, &self.api).await?;
        let text = named(msg.text, msg.to_people);
        let body = openapi_group_send_body(robot, conversation_id, &title(msg.text), &text);
        let url = format!("{}{GROUP_SEND_PATH}", self.api.base);
        let header = Some((ACCESS_TOKEN_HEADER, token.as_str()));
        post.send(&url, &body, header, check_any_envelope).await
    }
}

impl Channel for Robot {
    fn serves(&self, route: &ReplyRoute) -> bool {
        matches!(route, ReplyRoute::DingTalk { .. })
    }

    /// One robot, one limit: the route's robot code, else the configured one.
    fn rate_key(&self, route: &ReplyRoute) -> String {
        let robot = match route {
            ReplyRoute::DingTalk { robot_code, .. } => robot_code.as_deref(),
            _ => None,
        };
        format!("dingtalk:{}", robot.unwrap_or(&self.api.robot_code))
    }

    /// The bot's replies to Stream-mode messages count per group, as a session webhook's sends do.
    fn reply_rate_key(&self, route: &ReplyRoute) -> String {
        match route {
            ReplyRoute::DingTalk {
                conversation_id, ..
            } => format!("{}:{conversation_id}", self.rate_key(route)),
            _ => self.rate_key(route),
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

    fn robot() -> Robot {
        Robot::new(OpenApi {
            base: "https://api.dingtalk.com/".into(),
            app_key: "k".into(),
            app_secret: "s".into(),
            robot_code: "dingdefault".into(),
        })
    }

    fn route(robot_code: Option<&str>) -> ReplyRoute {
        ReplyRoute::DingTalk {
            robot_code: robot_code.map(str::to_owned),
            conversation_id: "cid1==".into(),
            session_webhook: None,
            session_webhook_expires_ms: None,
        }
    }

    #[test]
    fn sends_are_counted_per_robot_with_the_configured_one_as_default() {
        let r = robot();
        assert_eq!(r.rate_key(&route(Some("dingabc"))), "dingtalk:dingabc");
        assert_eq!(r.rate_key(&route(None)), "dingtalk:dingdefault");
        let per_group = r.reply_rate_key(&route(None));
        assert_eq!(per_group, "dingtalk:dingdefault:cid1==");
        assert_eq!(r.api.base, "https://api.dingtalk.com");
    }

    #[test]
    fn only_dingtalk_routes_are_served() {
        let wecom = ReplyRoute::WeCom {
            webhook_url: None,
            chat_id: None,
        };
        assert!(robot().serves(&route(None)));
        assert!(!robot().serves(&wecom));
    }
}
