//! DingTalk (钉钉) enterprise-internal robot, HTTP callback mode.
//!
//! Inbound: DingTalk POSTs JSON with `timestamp` and `sign` headers. Check
//! them with [`verify_sign`] (or [`verify_headers`]) *before* parsing the
//! body with [`parse_callback`]. Note that the sign covers only the
//! timestamp and the app secret, not the body: it proves the sender knows
//! the secret, and TLS is what protects the body. A captured pair could be
//! replayed with another body; the server binds each pair to the first
//! message id it carried (see `store::Database::bind_signature`).
//!
//! Outbound: [`markdown_message`] / [`text_message`] / [`empty_message`] are
//! bodies for the callback response or the per-message `sessionWebhook`;
//! [`openapi_group_send_body`] is for the robot OpenAPI used after that
//! webhook expires. [`parse_api_envelope`] decodes any of their responses.

mod callback;
mod reply;
mod sign;

pub use callback::{DingTalkCallback, parse_callback};
pub use reply::{
    ACCESS_TOKEN_HEADER, GROUP_SEND_PATH, empty_message, markdown_message, openapi_group_send_body,
    parse_api_envelope, text_message,
};
pub use sign::{
    MAX_CLOCK_SKEW_MS, SIGN_HEADER, TIMESTAMP_HEADER, VerifyError, sign, verify_headers,
    verify_sign, verify_sign_within,
};
