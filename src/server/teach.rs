//! Officers teach the bot: answering a ticket with an existing FAQ entry (`答复 12 #faq_id` in the
//! officer group, `{"faq_id"}` in the admin API, `queue answer --faq` on the command line). The group
//! gets that entry's quoted, cited answer (as of today's knowledge), @-ing the askers, and the ticket's
//! questions become draft phrasings for the entry, listed by `policybot faq drafts` and never served
//! until an editor reviews them into `faq/entries/`. This is how the base learns enterprises' words.

use super::AppState;
use crate::store::{Store, StoreError, Ticket};

/// Why an answer with an entry was refused.
#[derive(Debug, thiserror::Error)]
pub enum TeachError {
    #[error("no FAQ entry `{0}`")]
    UnknownEntry(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Answers ticket `id` with entry `faq_id` and drafts its questions as phrasings of that entry.
/// `render(ticket)` gives the group message, as for any officer answer.
pub fn answer_with_entry(
    state: &AppState,
    store: &Store,
    (id, officer, faq_id): (u64, &str, &str),
    now: i64,
    render: impl Fn(&Ticket) -> String,
) -> Result<Ticket, TeachError> {
    let faq_id = faq_id.trim().trim_start_matches('#');
    let kb = state.faq.current();
    let entry = kb
        .entry(faq_id)
        .ok_or_else(|| TeachError::UnknownEntry(faq_id.to_owned()))?;
    let on = state.config.knowledge.as_of.day();
    let quote = crate::reply::answer(&kb.base, entry, on);
    let ticket = store.answer(id, officer, &quote, now, render)?;
    store.draft_phrasings(id, faq_id, officer, now)?;
    Ok(ticket)
}
