//! policybot answers enterprises' policy questions in DingTalk and WeCom group chats from a curated FAQ
//! base quoted verbatim from official policy documents, and hands what it cannot answer to officers
//! through a durable queue.
//!
//! # Layout
//! - [`faq`]: the FAQ base on disk (`faq/`): loading, `faq check`, `faq build` drafts.
//! - [`matcher`]: normalisation, segmentation and scoring; a pure `decide(question)`.
//! - [`reply`]: what the bot says (answers with citations, suggestions, notices), split to platform limits.
//! - [`sanitize`]: the one sanitiser for user and officer text relayed into group chats.
//! - [`ask`]: the side-effect-free answer object of `policybot ask --json` and `/api/v1/ask`.
//! - [`knowledge`]: the as-of day and what to do with a measure not in force (`[knowledge]`).
//! - [`config`]: `config.example.toml` as built-in defaults, overrides, secrets, validation.
//! - [`cli`]: the command line; [`dbtool`] its `db` commands.
//! - [`store`]: the durable state behind a backend seam (sled): tickets, outbox, de-duplication, backups.
//! - [`ticket`]: the ticket service, the one place a ticket changes (officers' actions, escalations,
//!   reminders, delivery outcomes).
//! - [`server`]: `policybot serve`: HTTP, dispatch of platform messages, officer commands, delivery.
//! - [`client`]: the admin API's client, for `policybot queue`; [`clock`] and [`telemetry`]: time and logs.

pub mod ask;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod dbtool;
pub mod faq;
pub mod knowledge;
pub mod matcher;
pub mod platform;
pub mod reply;
pub mod sanitize;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod ticket;
