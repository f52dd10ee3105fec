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
//! - [`console`]: the officers' console in the browser, at `/` on the bot's listener.
//! - [`cli`]: the command line; [`dbtool`] its `db` commands.
//! - [`store`]: the sled database: tickets, outbox, de-duplication, the manifest, backups.

pub mod ask;
pub mod cli;
pub mod client;
pub mod config;
pub mod console;
pub mod dbtool;
pub mod faq;
pub mod knowledge;
pub mod matcher;
pub mod platform;
pub mod reply;
pub mod sanitize;
pub mod server;
pub mod store;
