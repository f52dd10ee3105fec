//! policybot answers enterprises' policy questions in DingTalk and WeCom group chats from a curated FAQ
//! base quoted verbatim from official policy documents, and hands what it cannot answer to officers
//! through a durable queue.
//!
//! # Layout
//! - [`text`]: normalisation and verbatim comparison, shared by the base and the matcher (below both).
//! - [`faq`]: the FAQ base on disk (`faq/`): loading, its own checks, `faq build` drafts.
//! - [`matcher`]: segmentation and scoring; a pure `decide(question)` naming entries by id.
//! - [`snapshot`]: a base and its matcher built together and checked (the full `faq check`), served
//!   behind an atomic pointer and swapped whole on a reload.
//! - [`reply`]: what the bot says (answers with citations, suggestions, notices), split to platform limits.
//! - [`sanitize`]: the one sanitiser for user and officer text relayed into group chats.
//! - [`ask`]: the side-effect-free answer object of `policybot ask --json` and `/api/v1/ask`.
//! - [`knowledge`]: the as-of day and what to do with a measure not in force (`[knowledge]`).
//! - [`config`]: `config.example.toml` as built-in defaults, overrides, secrets, validation.
//! - [`console`]: the officers' console in the browser, at `/` on the bot's listener.
//! - [`cli`]: the command line; [`dbtool`] its `db` commands.
//! - [`platform`]: one home per chat platform (DingTalk, WeCom): transports that turn requests into an
//!   `Inbound`, channels that deliver later messages to a `ReplyRoute`; it imports neither server nor store.
//! - [`store`]: the durable state behind a backend seam (sled): tickets, outbox, de-duplication, backups.
//! - [`ticket`]: the ticket service, the one place a ticket changes (officers' actions, escalations,
//!   reminders, delivery outcomes).
//! - [`server`]: `policybot serve`: HTTP, dispatch of platform messages, officer commands, delivery.
//! - [`client`]: the admin API's client, for `policybot queue`; [`clock`] and [`telemetry`]: time and logs.

pub mod ask;
pub mod cli;
pub(crate) mod client;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod console;
pub(crate) mod dbtool;
pub mod faq;
pub(crate) mod knowledge;
pub mod matcher;
pub(crate) mod platform;
pub(crate) mod reply;
pub(crate) mod sanitize;
pub(crate) mod server;
pub mod snapshot;
pub(crate) mod store;
pub(crate) mod telemetry;
pub mod text;
pub(crate) mod ticket;
