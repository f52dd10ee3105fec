//! What officers can do with tickets, whatever the front end (chat commands, the admin API, `policybot
//! queue` through the API), what comes of it, and why it can be refused. Front ends parse into an
//! [`Action`] and render the [`Outcome`]; defaults live here, once.

use crate::store::{Draft, Status, StoreError, Ticket, TicketFilter};

/// One thing an officer asks of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    List(TicketFilter),
    Show(u64),
    Claim {
        id: u64,
        officer: String,
    },
    /// Claim a ticket another officer holds, explicitly (`接手`).
    TakeOver {
        id: u64,
        officer: String,
    },
    Answer {
        id: u64,
        officer: String,
        text: String,
    },
    /// Answer with an FAQ entry: the group gets its quoted, cited measure (as of today) and the
    /// ticket's questions become draft phrasings for the entry.
    Teach {
        id: u64,
        officer: String,
        faq_id: String,
    },
    /// Close, with the reason the askers are told (required).
    Close {
        id: u64,
        officer: String,
        reason: Option<String>,
    },
    Reopen {
        id: u64,
        officer: String,
    },
    /// Merge ticket `id` into ticket `into`, the same question in the same group: its askers join
    /// `into` and are told so; `id` is closed.
    Merge {
        id: u64,
        into: u64,
        officer: String,
    },
    /// Turn an answered ticket into a draft FAQ entry for review (`入库`).
    Draft {
        id: u64,
        officer: String,
    },
    Drafts,
    /// An admin's decision on the draft of ticket `id`, once the console has written an approved draft
    /// into the FAQ base (`approved_into`: the entry and file) or for a rejection (`None`): the draft
    /// is removed and the decision recorded in the ticket's history.
    Settle {
        id: u64,
        officer: String,
        approved_into: Option<String>,
    },
}

impl Action {
    /// The action's name, for logs and the admin API's paths.
    pub fn name(&self) -> &'static str {
        match self {
            Action::List(_) => "list",
            Action::Show(_) => "show",
            Action::Claim { .. } => "claim",
            Action::TakeOver { .. } => "take_over",
            Action::Answer { .. } | Action::Teach { .. } => "answer",
            Action::Close { .. } => "close",
            Action::Reopen { .. } => "reopen",
            Action::Merge { .. } => "merge",
            Action::Draft { .. } => "draft",
            Action::Drafts => "drafts",
            Action::Settle { .. } => "settle",
        }
    }

    /// The ticket it is about, if one.
    pub fn ticket(&self) -> Option<u64> {
        match self {
            Action::Show(id)
            | Action::Claim { id, .. }
            | Action::TakeOver { id, .. }
            | Action::Answer { id, .. }
            | Action::Teach { id, .. }
            | Action::Close { id, .. }
            | Action::Reopen { id, .. }
            | Action::Merge { id, .. }
            | Action::Draft { id, .. }
            | Action::Settle { id, .. } => Some(*id),
            Action::List(_) | Action::Drafts => None,
        }
    }
}

/// What came of an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Listed(Vec<Ticket>),
    Shown(Ticket),
    Claimed(Ticket),
    /// Claimed from `from`, who held it.
    TakenOver {
        ticket: Ticket,
        from: String,
    },
    Answered(Ticket),
    /// Answered with entry `faq_id`.
    Taught {
        ticket: Ticket,
        faq_id: String,
    },
    Closed(Ticket),
    /// Merged into ticket `into` (the merged ticket, now closed).
    Merged {
        ticket: Ticket,
        into: u64,
    },
    Reopened(Ticket),
    Drafted(Draft),
    Drafts(Vec<Draft>),
    /// A draft approved or rejected (the ticket with the decision in its history).
    Settled(Ticket),
}

/// Why an action was refused or failed. The messages are officers' words (the admin API and
/// `policybot queue` show them as they are).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("没有工单 #{0}")]
    NotFound(u64),
    /// The ticket's state does not allow the action (`action` in officers' words: "认领", "答复"…).
    #[error("工单 #{id} {}，不能{action}", status.label())]
    Refused {
        id: u64,
        status: Status,
        action: &'static str,
    },
    /// Another officer holds the claim on the ticket.
    #[error("工单 #{id} 已由 {by} 认领，不能{action}；如需接手，请用“接手 {id}”")]
    Held {
        id: u64,
        by: String,
        action: &'static str,
    },
    #[error("没有编号为 {0} 的FAQ条目")]
    UnknownEntry(String),
    /// Input the action cannot take (a message safe to show).
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}
