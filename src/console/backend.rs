//! The console's one door to the rest of the bot: ticket reads and officer actions, drafts, and the FAQ
//! base with its matcher. Actions run as the admin API runs them (same store operations, committed
//! durably before the page answers, the outbox worker woken), with the signed-in officer's name in the
//! ticket history.

use super::approve::{self, ApproveError};
use super::view::PageError;
use crate::ask::AskResult;
use crate::server::officer::answer_text;
use crate::server::teach::{TeachError, answer_with_entry};
use crate::server::{AppState, SharedState, now_ms};
use crate::snapshot::Snapshot;
use crate::store::{Draft, Ticket, TicketFilter};
use std::sync::Arc;

/// One officer action on a ticket.
#[derive(Debug, Clone)]
pub enum Action {
    Claim,
    /// Answer with the officer's own text.
    Answer(String),
    /// Answer with this FAQ entry's quoted measure.
    AnswerWith(String),
    Close(String),
    Reopen,
    /// Propose the answer as a new FAQ entry.
    Draft,
}

/// Applies `action` to ticket `id` as `officer` and commits it.
pub async fn act(app: &AppState, id: u64, officer: &str, action: Action) -> Result<(), PageError> {
    let store = app.store.get()?;
    let now = now_ms();
    match action {
        Action::Claim => store.claim(id, officer, now).map(drop)?,
        Action::Answer(text) => store
            .answer(id, officer, &text, now, answer_text)
            .map(drop)?,
        Action::AnswerWith(faq_id) => {
            answer_with_entry(app, &store, (id, officer, &faq_id), now, answer_text)
                .map(drop)
                .map_err(|e| match e {
                    TeachError::UnknownEntry(_) => PageError::BadRequest(e.to_string()),
                    TeachError::Store(e) => e.into(),
                })?
        }
        Action::Close(reason) => store.close(id, officer, &reason, now).map(drop)?,
        Action::Reopen => store.reopen(id, officer, now).map(drop)?,
        Action::Draft => store.draft_from(id, officer, now).map(drop)?,
    }
    app.store.commit().await?;
    app.outbox_ready.notify_one();
    tracing::info!(ticket = id, officer, "console: ticket action");
    Ok(())
}

pub fn tickets(app: &AppState, filter: TicketFilter) -> Result<Vec<Ticket>, PageError> {
    Ok(app.store.get()?.tickets(filter)?)
}

pub fn ticket(app: &AppState, id: u64) -> Result<Ticket, PageError> {
    Ok(app.store.get()?.ticket(id)?)
}

pub fn drafts(app: &AppState) -> Result<Vec<Draft>, PageError> {
    Ok(app.store.get()?.drafts()?)
}

/// The FAQ base and matcher the bot answers with now (take it once per request).
pub fn faq(app: &AppState) -> Arc<Snapshot> {
    app.faq.current()
}

/// What the bot would reply to `question` (no ticket, no side effect).
pub fn ask(app: &AppState, question: &str) -> AskResult {
    crate::ask::ask(&faq(app), app.config.knowledge, question)
}

/// What the approving admin completed on the drafts page for a new entry (empty fields keep the
/// draft's); a draft of new phrasings for an existing entry needs none of it.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub question: String,
    pub alternates: Vec<String>,
    pub answer: String,
    /// The public citation: the policy or topic the answer is about.
    pub clause: String,
}

impl Review {
    fn apply(self, d: &mut Draft) {
        if !self.question.trim().is_empty() {
            d.question = self.question;
        }
        if !self.alternates.is_empty() {
            d.alternates = self.alternates;
        }
        if !self.answer.trim().is_empty() {
            d.answer = self.answer;
        }
    }
}

/// One approval at a time: two admins must not interleave edits of one file and its reload.
static APPROVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Approves the draft of ticket `ticket`: writes it into `faq/entries/`, reloads the base the bot answers
/// with (which runs `faq check`; refused, the file is put back), removes the draft and records the
/// approval in the ticket's history.
pub async fn approve_draft(
    app: &SharedState,
    ticket: u64,
    admin: &str,
    review: Review,
) -> Result<(), PageError> {
    let _one = APPROVING.lock().await;
    let mut draft = drafts(app)?
        .into_iter()
        .find(|d| d.ticket == ticket)
        .ok_or_else(|| PageError::NotFound(format!("工单 #{ticket} 没有草稿")))?;
    let clause = review.clause.clone();
    review.apply(&mut draft);
    let dir = &app.config.server.faq_dir;
    let today = crate::faq::Date::today_in_china().to_string();
    let written = approve::write(dir, &draft, &clause, admin, &today).map_err(|e| match e {
        ApproveError::Io(m) => PageError::Internal(m),
        ApproveError::Refused(m) => PageError::Conflict(format!("未能写入知识库：{m}")),
    })?;
    if let Err(refusal) = crate::server::reload::reload(app, "console approval").await {
        written
            .undo()
            .map_err(|e| PageError::Internal(format!("undoing {}: {e}", written.file.display())))?;
        let problems = refusal.messages().join("；");
        return Err(PageError::Conflict(format!(
            "批准后知识库未通过检查，已撤回修改：{problems}"
        )));
    }
    let detail = format!("{} → {}", written.entry, written.file.display());
    app.store
        .get()?
        .settle_draft(ticket, admin, "draft approved", &detail, now_ms())?;
    app.store.commit().await?;
    tracing::info!(ticket, admin, entry = %written.entry, "console: draft approved into the FAQ base");
    Ok(())
}

/// Rejects the draft of ticket `ticket` (removed, recorded in the ticket's history).
pub async fn reject_draft(app: &AppState, ticket: u64, admin: &str) -> Result<(), PageError> {
    app.store
        .get()?
        .settle_draft(ticket, admin, "draft rejected", "", now_ms())?;
    app.store.commit().await?;
    tracing::info!(ticket, admin, "console: draft rejected");
    Ok(())
}
