//! Wire protocols of the chat platforms policybot lives in: DingTalk (钉钉)
//! and WeCom (企业微信).
//!
//! This module owns only *pure* protocol logic: signature checks, the
//! WXBizMsgCrypt cipher, parsing inbound callbacks into typed structs and
//! building outbound bodies. It performs no IO and never reads the clock or
//! the environment: callers pass `now`, secrets and randomness in, and do the
//! HTTP themselves. Every function that sees attacker-controlled bytes
//! returns an error instead of panicking.
//!
//! # Layout
//! - [`dingtalk`]: callback `timestamp`/`sign` headers, callback JSON,
//!   reply bodies for sessionWebhook and the robot OpenAPI.
//! - [`wxcrypt`]: WXBizMsgCrypt (SHA1 signature + AES-256-CBC envelope),
//!   shared by WeCom group-robot callbacks and self-built app callbacks.
//! - [`wecom`]: decrypted WeCom message XML, passive replies, webhook bodies.
//! - [`ParseError`] / [`ApiError`]: errors shared by both platforms.
//!
//! Protocol facts and their sources: `shared/docs/platforms.md`; the test
//! vectors in `testdata/platform_vectors.json` are a verbatim copy of
//! `shared/docs/platform_vectors.json`.

pub mod dingtalk;
mod error;
pub mod wecom;
pub mod wxcrypt;
pub mod xml;

#[cfg(test)]
mod props;
#[cfg(test)]
mod vectors;

pub use error::{ApiError, ParseError};
