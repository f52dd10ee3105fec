//! What the store keeps: tickets with their history and reply routes, outbox messages, clarify state and
//! officer drafts; and the questions it is asked (which tickets, a new escalation). Stored as JSON values.

pub use crate::matcher::Guess;
use crate::platform::{Addressee, Platform, ReplyRoute};
use serde::{Deserialize, Serialize};

/// A person who asked the question of a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asker {
    pub id: String,
    pub nick: String,
    pub question: String,
    pub asked_at_ms: i64,
    pub msg_id: String,
}

impl Asker {
    /// The id, or the nick when the platform gave no id (external members).
    pub fn id_or_nick(&self) -> &str {
        if self.id.is_empty() {
            &self.nick
        } else {
            &self.id
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Claimed,
    Answered,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Claimed => "claimed",
            Status::Answered => "answered",
            Status::Closed => "closed",
        }
    }

    /// The status as officers read it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "待处理",
            Status::Claimed => "已认领",
            Status::Answered => "已答复",
            Status::Closed => "已关闭",
        }
    }

    /// Open or claimed: still waiting for an officer's answer.
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Open | Status::Claimed)
    }
}

/// Delivery of the officer's answer into the originating group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    NotYet,
    Queued,
    Delivered { at_ms: i64 },
    Failed { at_ms: i64, error: String },
}

/// Why a message to a ticket's askers could not be delivered, as far as what the officers should do
/// next depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// The group's address is on no allowed host (`server.allowed_outbound_hosts`).
    NotAllowed,
    /// The bot has no way into the group (no webhook, no robot code).
    NoRoute,
    /// The platform refused the message (the robot left the group, a wrong code or secret).
    Refused,
    /// Retried until it gave up (network, platform outage).
    GaveUp,
}

/// One line of a ticket's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// An escalated question and everything that happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: u64,
    pub status: Status,
    pub question: String,
    pub normalized: String,
    pub platform: Platform,
    pub group_id: String,
    pub group_title: String,
    pub askers: Vec<Asker>,
    pub route: ReplyRoute,
    pub guesses: Vec<Guess>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub claimed_by: Option<String>,
    pub answered_by: Option<String>,
    pub answer: Option<String>,
    pub closed_by: Option<String>,
    pub close_reason: Option<String>,
    pub delivery: Delivery,
    /// When officers were last reminded of this ticket (SLA), epoch ms.
    pub last_reminder_ms: Option<i64>,
    pub history: Vec<Event>,
}

/// Where an outbound message goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Target {
    /// Into a user group, by the route the callback gave.
    Group(ReplyRoute),
    /// The bot's own reply to a message that came over a long connection, where no HTTP response
    /// carries it: rate-limited per chat, titled after its text.
    Reply(ReplyRoute),
    /// An officer group's webhook (DingTalk custom robot or WeCom group robot).
    OfficerWebhook { url: String },
}

impl Target {
    /// What kind of destination, for logs and metrics (no URL: it may carry a token).
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Group(_) => "group",
            Target::Reply(_) => "reply",
            Target::OfficerWebhook { .. } => "officer_webhook",
        }
    }
}

/// A message waiting to be sent. Removed only when sent or given up on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: u64,
    pub target: Target,
    pub text: String,
    /// User ids to @, of messages queued before [`OutboxItem::to_people`] (new ones leave it empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mention: Vec<String>,
    /// Whom the message is for: @-ed where the channel can, named in the text where it cannot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to_people: Vec<Addressee>,
    /// The ticket whose delivery state this message reports on, if any.
    pub ticket: Option<u64>,
    /// A notice to a ticket's askers that is not its answer (closed, reopened, merged): its failure
    /// is reported to the officers, but it does not change the ticket's delivery state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_of: Option<u64>,
    /// A part of a long message that more parts follow: its delivery alone does not deliver the ticket.
    #[serde(default)]
    pub more_parts: bool,
    pub attempts: u32,
    pub not_before_ms: i64,
    pub created_ms: i64,
}

impl OutboxItem {
    /// A message created at `now_ms`, due at once; the store gives it its id when it is queued.
    pub fn new(
        target: Target,
        text: String,
        to_people: Vec<Addressee>,
        ticket: Option<u64>,
        now_ms: i64,
    ) -> OutboxItem {
        OutboxItem {
            id: 0,
            target,
            text,
            mention: vec![],
            to_people,
            ticket,
            notice_of: None,
            more_parts: false,
            attempts: 0,
            not_before_ms: now_ms,
            created_ms: now_ms,
        }
    }
}

impl OutboxItem {
    /// Whom the message is for; for a message queued before names were kept, its ids.
    pub fn people(&self) -> Vec<Addressee> {
        if !self.to_people.is_empty() {
            return self.to_people.clone();
        }
        let by_id = |id: &String| Addressee {
            id: id.clone(),
            name: id.clone(),
        };
        self.mention.iter().map(by_id).collect()
    }

    /// The ticket this message is about, as its answer or as a notice.
    pub fn about(&self) -> Option<u64> {
        self.ticket.or(self.notice_of)
    }
}

/// Numbered suggestions waiting for "1"/"2"/"3".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingClarify {
    pub faq_ids: Vec<String>,
    pub question: String,
    pub expires_ms: i64,
}

/// An officer answer proposed as a new FAQ entry, kept for review; never served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub ticket: u64,
    /// Set when an officer answered with an existing entry: the ticket's questions are draft phrasings
    /// for that entry, not a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faq_id: Option<String>,
    pub question: String,
    pub alternates: Vec<String>,
    pub answer: String,
    pub officer: String,
    pub created_ms: i64,
}

/// Which tickets to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketFilter {
    Status(Status),
    /// Open or claimed.
    Pending,
    All,
}

impl TicketFilter {
    /// `open`, `claimed`, `answered`, `closed`, `pending` or `all`.
    pub fn parse(s: &str) -> Option<TicketFilter> {
        Some(match s {
            "open" => TicketFilter::Status(Status::Open),
            "claimed" => TicketFilter::Status(Status::Claimed),
            "answered" => TicketFilter::Status(Status::Answered),
            "closed" => TicketFilter::Status(Status::Closed),
            "pending" => TicketFilter::Pending,
            "all" => TicketFilter::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TicketFilter::Status(s) => s.as_str(),
            TicketFilter::Pending => "pending",
            TicketFilter::All => "all",
        }
    }

    pub fn keeps(self, t: &Ticket) -> bool {
        match self {
            TicketFilter::All => true,
            TicketFilter::Pending => t.status.is_pending(),
            TicketFilter::Status(s) => t.status == s,
        }
    }
}

/// A question for the officers, with where it came from: opens a ticket or joins the open ticket for
/// the same question in the same group.
#[derive(Debug, Clone)]
pub struct Escalation {
    /// De-duplication key of the platform message, recorded in the same transaction.
    pub seen_key: String,
    pub seen_expires_ms: i64,
    pub platform: Platform,
    pub group_id: String,
    pub group_title: String,
    pub asker: Asker,
    pub normalized: String,
    pub route: ReplyRoute,
    pub guesses: Vec<Guess>,
}

/// How many new tickets one sender, and one group, may open in any hour (joining an open ticket is
/// always allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodLimits {
    pub per_sender_per_hour: usize,
    pub per_group_per_hour: usize,
}

impl FloodLimits {
    #[cfg(test)]
    pub const NONE: FloodLimits = FloodLimits {
        per_sender_per_hour: usize::MAX,
        per_group_per_hour: usize::MAX,
    };
}
