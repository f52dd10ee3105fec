//! What officers can do with tickets, whatever the front end (chat commands, the admin API, `policybot
//! queue` through the API), what comes of it, and why it can be refused. Front ends parse into an
//! [`Action`] and render the [`Outcome`]; defaults live here, once.

use crate::store::{Draft, Status, StoreError, Ticket, TicketFilter};

/// The close reason recorded when an officer gives none.
pub const NO_REASON: &str = "未注明";

/// One thing an officer asks of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    List(TicketFilter),
    Show(u64),
    Claim {
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
    /// Close; without a reason, [`NO_REASON`] is recorded.
    Close {
        id: u64,
        officer: String,
        reason: Option<String>,
    },
    Reopen {
        id: u64,
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
            Action::Answer { .. } | Action::Teach { .. } => "answer",
            Action::Close { .. } => "close",
            Action::Reopen { .. } => "reopen",
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
            | Action::Answer { id, .. }
            | Action::Teach { id, .. }
            | Action::Close { id, .. }
            | Action::Reopen { id, .. }
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
    Answered(Ticket),
    /// Answered with entry `faq_id`.
    Taught {
        ticket: Ticket,
        faq_id: String,
    },
    Closed(Ticket),
    Reopened(Ticket),
    Drafted(Draft),
    Drafts(Vec<Draft>),
    /// A draft approved or rejected (the ticket with the decision in its history).
    Settled(Ticket),
}

/// Why an action was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("ticket #{0} not found")]
    NotFound(u64),
    /// The ticket's state does not allow the action.
    #[error("ticket #{id} is {}; cannot {action}", status.as_str())]
    Refused {
        id: u64,
        status: Status,
        action: &'static str,
    },
    #[error("no FAQ entry `{0}`")]
    UnknownEntry(String),
    /// Input the action cannot take (a message safe to show).
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}
