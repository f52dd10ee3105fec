//! The intelligent robot's channel: a later message into a chat (an officer's answer, a reply that
//! could not go back on its req_id) is markdown sent with `aibot_send_msg` over the long connection,
//! @-ing the askers as `<@userid>`; WeCom's answer to that request decides success. No HTTP: the
//! poster is not used (the connection was dialled through the allow-list).

use std::sync::Arc;

use super::client::{Client, SendError as AibotError};
use crate::platform::{
    Addressee, ApiError, Channel, Outgoing, Poster, ReplyRoute, SendError, Sending, by_reach,
    naming,
};

/// Delivers to [`ReplyRoute::WeComAibot`] routes over the client's connection.
pub(crate) struct Chat(pub Arc<Client>);

impl Chat {
    async fn send(&self, route: &ReplyRoute, msg: Outgoing<'_>) -> Result<(), SendError> {
        let ReplyRoute::WeComAibot { chat_id } = route else {
            return Err(SendError::NoChannel);
        };
        let text = markdown(msg.text, msg.to_people);
        self.0
            .send_markdown(chat_id, &text)
            .await
            .map_err(|e| match e {
                AibotError::Api { code, message } => {
                    SendError::Refused(ApiError::Api { code, message })
                }
                other => SendError::Connection(other.to_string()),
            })
    }
}

/// `text` after the `<@userid>` mentions of those with an id and the names of the others.
fn markdown(text: &str, people: &[Addressee]) -> String {
    let (ids, names) = by_reach(people);
    let ats: String = ids.iter().map(|m| format!("<@{m}> ")).collect();
    match ats.is_empty() {
        true => format!("{}{text}", naming(&names)),
        false => format!("{ats}\n{}{text}", naming(&names)),
    }
}

impl Channel for Chat {
    fn serves(&self, route: &ReplyRoute) -> bool {
        matches!(route, ReplyRoute::WeComAibot { .. })
    }

    /// One chat, one limit (as a group robot's webhook).
    fn rate_key(&self, route: &ReplyRoute) -> String {
        match route {
            ReplyRoute::WeComAibot { chat_id } => format!("wecom_aibot:{chat_id}"),
            _ => String::new(),
        }
    }

    fn deliver<'a>(
        &'a self,
        _post: &'a Poster,
        route: &'a ReplyRoute,
        msg: Outgoing<'a>,
    ) -> Sending<'a> {
        Box::pin(self.send(route, msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{Destination, Link};

    #[test]
    fn mentions_lead_the_markdown() {
        assert_eq!(markdown("答复", &[]), "答复");
        let person = |id: &str, name: &str| Addressee {
            id: id.into(),
            name: name.into(),
        };
        let people = [person("u1", "张"), person("u2", "李")];
        assert_eq!(markdown("答复", &people), "<@u1> <@u2> \n答复");
        let people = [person("u1", "张"), person("", "钱主任")];
        assert_eq!(markdown("答复", &people), "<@u1> \n钱主任：\n答复");
    }

    #[tokio::test]
    async fn a_chat_is_its_own_rate_limit_and_an_unconnected_client_is_worth_retrying() {
        let chat = Chat(Client::new(Arc::new(Link::new("t"))));
        let route = ReplyRoute::WeComAibot {
            chat_id: "C1".into(),
        };
        assert!(chat.serves(&route));
        assert_eq!(chat.rate_key(&route), "wecom_aibot:C1");
        let msg = Outgoing {
            to: Destination::Group(&route),
            text: "答复",
            to_people: &[],
            now_ms: 0,
        };
        let err = chat.send(&route, msg).await.unwrap_err();
        assert!(matches!(err, SendError::Connection(_)) && err.is_transient());
    }
}
