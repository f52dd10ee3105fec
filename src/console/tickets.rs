//! The console's door to the tickets: every read and every officer action is a ticket [`Action`]
//! applied by the ticket service, as for chat commands, the admin API and `policybot queue`, with the
//! signed-in officer's name (so it is recorded in the ticket's history). The console adds no rule of
//! its own; a refusal is shown in the words officers read in chat ([`crate::reply::officer`]).

use super::view::PageError;
use crate::reply::officer as words;
use crate::server::{AppState, now_ms};
use crate::store::{Draft, Ticket, TicketFilter};
use crate::ticket::{Action, Context, Outcome, ServiceError};

/// Applies `action` through the ticket service; what it changed is durable when this returns.
pub async fn apply(app: &AppState, action: Action) -> Result<Outcome, PageError> {
    let kb = app.faq.current();
    let cx = Context {
        kb: &kb,
        on: app.config.knowledge.as_of.day(),
        now: now_ms(),
    };
    app.tickets.apply(action, cx).await.map_err(refusal)
}

pub async fn list(app: &AppState, filter: TicketFilter) -> Result<Vec<Ticket>, PageError> {
    match apply(app, Action::List(filter)).await? {
        Outcome::Listed(tickets) => Ok(tickets),
        other => Err(unexpected(&other)),
    }
}

pub async fn show(app: &AppState, id: u64) -> Result<Ticket, PageError> {
    match apply(app, Action::Show(id)).await? {
        Outcome::Shown(t) => Ok(t),
        other => Err(unexpected(&other)),
    }
}

pub async fn drafts(app: &AppState) -> Result<Vec<Draft>, PageError> {
    match apply(app, Action::Drafts).await? {
        Outcome::Drafts(drafts) => Ok(drafts),
        other => Err(unexpected(&other)),
    }
}

fn unexpected(outcome: &Outcome) -> PageError {
    PageError::Internal(format!("unexpected outcome {outcome:?}"))
}

/// A refusal in the service's Chinese words, as officers read it in chat; storage failures as the API
/// maps them (503 for an outage, an opaque 500 otherwise).
fn refusal(e: ServiceError) -> PageError {
    let words = |e: &ServiceError| words::refused(&e.to_string(), None);
    match e {
        ServiceError::NotFound(_) => PageError::NotFound(words(&e)),
        ServiceError::Refused { .. } | ServiceError::Held { .. } => PageError::Conflict(words(&e)),
        ServiceError::UnknownEntry(_) | ServiceError::Invalid(_) => {
            PageError::BadRequest(words(&e))
        }
        ServiceError::Store(e) => e.into(),
    }
}
