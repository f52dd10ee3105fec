//! The WeCom intelligent robot into dispatch: a message becomes its home's `Inbound` (text after the
//! leading `@<bot name>`, replies routed to the chat) and goes through dispatch like a callback;
//! whatever dispatch must make durable (tickets, notifications) it commits before it returns. The
//! reply then goes back on the message's req_id, as a finished stream message, which is the long
//! connection's counterpart of an HTTP response. When WeCom does not accept it (the connection
//! dropped, no answer, an error code), the reply is queued in the outbox instead and sent to the chat
//! with `aibot_send_msg`, retried there like any other message.

use crate::platform::ReplyRoute;
use crate::platform::wecom::aibot::{self, AibotMessage, reply_parts};
use crate::server::dispatch::{self, Handled};
use crate::server::{SharedState, now_ms};
use crate::store::{Chain, OutboxItem, Target};

/// What the asker is told when the storage cannot take the question (it is not kept).
const BUSY: &str = "系统繁忙，您的问题暂未记录，请稍后再问一次。";

pub struct Aibot {
    state: SharedState,
}

impl Aibot {
    pub fn new(state: SharedState) -> Aibot {
        Aibot { state }
    }
}

impl aibot::Handler for Aibot {
    async fn message(&self, req_id: String, message: AibotMessage) {
        let state = &self.state;
        let inbound = message.inbound();
        let text = match dispatch::handle(state, inbound.clone()).await {
            Ok(Handled::Duplicate) => return,
            Ok(Handled::Reply { text }) => text,
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "WeCom message not handled: storage unavailable");
                BUSY.to_owned()
            }
        };
        let Some(client) = &state.transports.aibot else {
            return;
        };
        let mut pieces = reply_parts(&text).into_iter();
        let first = pieces.next().unwrap_or_default();
        let rest = match client.respond(&req_id, &first).await {
            Ok(()) => pieces.collect::<Vec<_>>().join("\n"),
            Err(e) => {
                tracing::warn!(error = %e, "reply on the req_id failed: queued for the chat instead");
                text
            }
        };
        queue(state, &inbound.route, &rest).await;
    }
}

/// Queues `text` (if any) for the chat through the outbox, in the route's parts.
async fn queue(state: &SharedState, route: &ReplyRoute, text: &str) {
    if text.is_empty() {
        return;
    }
    let now = now_ms();
    let parts = route.split(text);
    let n = parts.len();
    let items = parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| OutboxItem {
            more_parts: i + 1 < n,
            ..OutboxItem::new(Target::Reply(route.clone()), part, vec![], None, now)
        })
        .collect();
    if let Err(e) = state.store.enqueue(items).await {
        tracing::error!(error = %Chain(&e), "queueing a reply failed");
    }
    state.outbox_ready.notify_one();
}
