//! DingTalk (钉钉) enterprise-internal robot: everything the bot knows about DingTalk.
//!
//! Inbound: [`http`], the HTTP-callback transport, checks the `timestamp` and `sign` headers ([`sign`])
//! *before* parsing the body ([`callback`]) into an [`Inbound`](crate::platform::Inbound). Note that the
//! sign covers only the timestamp and the app secret, not the body: it proves the sender knows the
//! secret, and TLS is what protects the body. A captured pair could be replayed with another body; the
//! transport names each pair so that the server binds it to the first message id it carried. Stream
//! mode ([`stream`]: the bot dials DingTalk, no public address) delivers the same callback object in
//! its frames, so it shares `callback`, the decoration and the channel below.
//!
//! Outbound: the reply to a callback is the response body, @-ing the asker (`decorate`); later
//! messages go through [`Robot`], the channel for DingTalk routes (`send`): the session webhook while
//! it lives, else the robot OpenAPI with a cached access token (`token`). `reply` holds the bodies.

mod callback;
mod decorate;
pub(crate) mod http;
mod reply;
mod send;
mod sign;
pub(crate) mod stream;
mod token;

#[cfg(test)]
pub(crate) use callback::parse_callback;
pub(crate) use send::Robot;
pub(crate) use sign::sign;
pub(crate) use token::OpenApi;
