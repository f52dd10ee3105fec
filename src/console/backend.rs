//! The console's one door to the rest of the bot: ticket reads and officer actions, drafts, and the FAQ
//! base with its matcher. Actions run as the admin API runs them (same store operations, committed
//! durably before the page answers, the outbox worker woken), with the signed-in officer's name in the
//! ticket history.

use super::approve::{ApproveError, approve};
use super::view::PageError;
use crate::ask::AskResult;
use crate::faq::FaqBase;
use crate::matcher::Matcher;
use crate::server::officer::answer_text;
use crate::server::teach::{TeachError, answer_with_entry};
use crate::server::{AppState, now_ms};
use crate::store::{Draft, Ticket, TicketFilter};

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

/// Runs `f` on the FAQ base and matcher the bot answers with now.
pub fn with_faq<R>(app: &AppState, f: impl FnOnce(&FaqBase, &Matcher) -> R) -> R {
    f(&app.base, &app.matcher)
}

/// What the bot would reply to `question` (no ticket, no side effect).
pub fn ask(app: &AppState, question: &str) -> AskResult {
    with_faq(app, |base, matcher| {
        crate::ask::ask(base, matcher, app.config.knowledge, question)
    })
}

/// Approves the draft of ticket `ticket`: writes it into `faq/entries/` (checked), reloads the base the
/// bot answers with, removes the draft and records the approval in the ticket's history.
pub async fn approve_draft(app: &AppState, ticket: u64, admin: &str) -> Result<(), PageError> {
    let draft = drafts(app)?
        .into_iter()
        .find(|d| d.ticket == ticket)
        .ok_or_else(|| PageError::NotFound(format!("工单 #{ticket} 没有草稿")))?;
    let (dir, thresholds) = (app.config.server.faq_dir.clone(), app.config.matcher);
    let (who, today) = (
        admin.to_owned(),
        crate::faq::Date::today_in_china().to_string(),
    );
    let written =
        tokio::task::spawn_blocking(move || approve(&dir, &draft, &who, &today, thresholds))
            .await
            .map_err(|e| PageError::Internal(e.to_string()))?
            .map_err(|e| match e {
                ApproveError::Io(m) => PageError::Internal(m),
                other => PageError::Conflict(format!("未能写入知识库：{other}")),
            })?;
    reload(app).await?;
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

/// Makes the bot answer from the base as it now is on disk.
async fn reload(_app: &AppState) -> Result<(), PageError> {
    Err(PageError::Conflict(
        "热加载尚不可用：条目已写入 faq/entries/，重启后生效".into(),
    ))
}
