//! An admin's decision on an officer's draft. Approving writes the draft into `faq/entries/`
//! ([`approve::write`]), reloads the base the bot answers with (the reload runs the full `faq check`;
//! refused, the file is put back) and then settles the draft through the ticket service; rejecting only
//! settles it. Settling ([`Action::Settle`]) removes the draft and records the decision, with the
//! admin's name, in the ticket's history.

use super::approve::{self, ApproveError};
use super::tickets;
use super::view::PageError;
use crate::server::SharedState;
use crate::store::Draft;
use crate::ticket::Action;

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

/// One decision at a time: two admins must not interleave edits of one file and its reload, nor
/// approve and reject one draft together.
static DECIDING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Approves the draft of ticket `ticket` as `admin`.
pub async fn approve(
    app: &SharedState,
    ticket: u64,
    admin: &str,
    review: Review,
) -> Result<(), PageError> {
    let _one = DECIDING.lock().await;
    let mut draft = draft_of(app, ticket).await?;
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
    let into = format!("{} → {}", written.entry, written.file.display());
    settle(app, ticket, admin, Some(into)).await?;
    tracing::info!(ticket, admin, entry = %written.entry, "console: draft approved into the FAQ base");
    Ok(())
}

/// Rejects the draft of ticket `ticket` as `admin`.
pub async fn reject(app: &SharedState, ticket: u64, admin: &str) -> Result<(), PageError> {
    let _one = DECIDING.lock().await;
    draft_of(app, ticket).await?;
    settle(app, ticket, admin, None).await?;
    tracing::info!(ticket, admin, "console: draft rejected");
    Ok(())
}

async fn draft_of(app: &SharedState, ticket: u64) -> Result<Draft, PageError> {
    tickets::drafts(app)
        .await?
        .into_iter()
        .find(|d| d.ticket == ticket)
        .ok_or_else(|| PageError::NotFound(format!("工单 #{ticket} 没有草稿")))
}

async fn settle(
    app: &SharedState,
    id: u64,
    admin: &str,
    approved_into: Option<String>,
) -> Result<(), PageError> {
    let settle = Action::Settle {
        id,
        officer: admin.to_owned(),
        approved_into,
    };
    tickets::apply(app, settle).await.map(drop)
}
