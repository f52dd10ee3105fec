//! DingTalk Stream mode into dispatch: the frame's data is the HTTP callback's JSON, so it becomes the
//! same `Inbound` as a callback does. The frame is acked only once nothing about it can be lost: the
//! ticket and notifications are committed by dispatch, and the reply is posted or durably queued by
//! [`reply::deliver`]. A storage failure leaves the frame unacked: DingTalk delivers it again and the
//! de-duplication record decides whether it is new. A frame whose data is not a robot message is acked
//! (it can never be handled) and counted as malformed.

use super::reply;
use crate::platform::dingtalk::stream;
use crate::server::dispatch::{self, Handled};
use crate::server::{SharedState, now_ms};
use crate::store::{Chain, OutboxItem, StoreError, Target};

pub struct Stream {
    state: SharedState,
}

impl Stream {
    pub fn new(state: SharedState) -> Stream {
        Stream { state }
    }
}

impl stream::Handler for Stream {
    async fn message(&self, data: String) -> bool {
        let state = &self.state;
        let inbound = match stream::receive(&data) {
            Ok(inbound) => inbound,
            Err(e) => {
                state.metrics.rejected("dingtalk", "malformed");
                tracing::warn!(error = %e, "DingTalk stream message ignored (acked): malformed");
                return true;
            }
        };
        let handled = match dispatch::handle(state, inbound.clone()).await {
            Ok(h) => h,
            Err(e) => return not_acked(e),
        };
        let Handled::Reply { text } = handled else {
            return true;
        };
        let people = stream::reply_to(&inbound);
        let target = Target::Reply(inbound.route);
        let item = OutboxItem::new(target, text, people, None, now_ms());
        match reply::deliver(state, item).await {
            Ok(()) => true,
            Err(e) => not_acked(e),
        }
    }
}

fn not_acked(e: StoreError) -> bool {
    tracing::warn!(error = %Chain(&e), "DingTalk stream message not acked (DingTalk delivers it again)");
    false
}
