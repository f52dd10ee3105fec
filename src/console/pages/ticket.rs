//! One ticket: the question as asked, the askers, the group, the matcher's guesses with their scores
//! and why, the history; and its actions (claim, answer in the officer's words or with an FAQ entry
//! found by search, close with a reason, reopen, propose as a draft), each a CSRF-checked form parsed
//! into a ticket [`Action`] by the signed-in officer and applied by the ticket service.

use super::inbox::{sla_ms, summary};
use super::knowledge::search;
use crate::console::guard::{Officer, Posted};
use crate::console::view::PageError;
use crate::console::why::why;
use crate::console::{Ctx, tickets};
use crate::server::now_ms;
use crate::store::{Delivery, Ticket};
use crate::ticket::Action;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TicketQuery {
    #[serde(default)]
    q: String,
}

pub async fn page(
    State(ctx): State<Ctx>,
    Officer(me): Officer,
    Path(id): Path<u64>,
    Query(q): Query<TicketQuery>,
) -> Response {
    let views = &ctx.console.views;
    let result = tickets::show(&ctx.app, id).await.and_then(|t| {
        let data = context! {
            t => summary(&t, now_ms(), sla_ms(&ctx)),
            ticket => t,
            guesses => guesses(&ctx, &t),
            found => found(&ctx, &q.q),
            q => q.q,
            delivery => delivery(&t.delivery),
            nav => "inbox",
        };
        views.page("ticket.html", Some(&me), data)
    });
    result.map_or_else(|e| e.into_page(views), IntoResponse::into_response)
}

/// The stored guesses with why each came up.
fn guesses(ctx: &Ctx, t: &Ticket) -> Vec<Value> {
    let kb = ctx.app.faq.current();
    t.guesses
        .iter()
        .map(|g| {
            let why = kb.entry(&g.faq_id).map(|e| why(e, &t.question));
            context! { faq_id => g.faq_id, question => g.question, score => g.score, why => why }
        })
        .collect()
}

/// Entries matching the officer's search, to answer with.
fn found(ctx: &Ctx, q: &str) -> Vec<Value> {
    if q.trim().is_empty() {
        return vec![];
    }
    let kb = ctx.app.faq.current();
    search(&kb, q, 10)
        .into_iter()
        .map(|e| context! { id => e.id, question => e.question, answer => e.answer })
        .collect()
}

fn delivery(d: &Delivery) -> String {
    match d {
        Delivery::NotYet => "尚未答复".into(),
        Delivery::Queued => "答复排队发送中".into(),
        Delivery::Delivered { at_ms } => format!(
            "已送达群聊（{}）",
            crate::console::view::beijing_time(*at_ms)
        ),
        Delivery::Failed { error, .. } => format!("发送失败：{error}"),
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    faq_id: String,
}

pub async fn act(
    State(ctx): State<Ctx>,
    Path((id, action)): Path<(u64, String)>,
    posted: Posted<ActForm>,
) -> Response {
    let Posted { session, form } = posted;
    let done = match action_of(id, &action, &session.name, form) {
        Ok(a) => tickets::apply(&ctx.app, a).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => {
            tracing::info!(ticket = id, officer = %session.name, action, "console: ticket action");
            Redirect::to(&format!("/ticket/{id}")).into_response()
        }
        Err(e) => e.into_page(&ctx.console.views),
    }
}

/// The ticket action a form asks for, by `officer`. Text an action needs must not be empty (the form
/// says which); a close without a reason records the service's default.
fn action_of(id: u64, name: &str, officer: &str, f: ActForm) -> Result<Action, PageError> {
    let required = |v: String, what: &str| {
        let v = v.trim().to_owned();
        if v.is_empty() {
            Err(PageError::BadRequest(format!("请填写{what}")))
        } else {
            Ok(v)
        }
    };
    let officer = officer.to_owned();
    Ok(match name {
        "claim" => Action::Claim { id, officer },
        "answer" => Action::Answer {
            id,
            officer,
            text: required(f.text, "答复内容")?,
        },
        "answer-entry" => Action::Teach {
            id,
            officer,
            faq_id: required(f.faq_id, "要引用的条目")?,
        },
        "close" => Action::Close {
            id,
            officer,
            reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
        },
        "reopen" => Action::Reopen { id, officer },
        "draft" => Action::Draft { id, officer },
        other => return Err(PageError::NotFound(format!("未知操作 `{other}`"))),
    })
}
