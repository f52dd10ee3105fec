//! One ticket: the question as asked, the askers, the group, the matcher's guesses with their scores
//! and why, the history; and its actions (claim, answer in the officer's words or with an FAQ entry
//! found by search, close with a reason, reopen, propose as a draft), each a CSRF-checked form that goes
//! through [`backend::act`] with the signed-in officer's name.

use super::inbox::{sla_ms, summary};
use super::knowledge::search;
use crate::console::Ctx;
use crate::console::backend::{self, Action};
use crate::console::guard::{Officer, Posted};
use crate::console::view::PageError;
use crate::console::why::why;
use crate::server::now_ms;
use crate::store::{Delivery, Ticket};
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
    let result = backend::ticket(&ctx.app, id).and_then(|t| {
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
    let kb = backend::faq(&ctx.app);
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
    let kb = backend::faq(&ctx.app);
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
    let action = match action_of(&action, form) {
        Ok(a) => a,
        Err(e) => return e.into_page(&ctx.console.views),
    };
    match backend::act(&ctx.app, id, &session.name, action).await {
        Ok(()) => Redirect::to(&format!("/ticket/{id}")).into_response(),
        Err(e) => e.into_page(&ctx.console.views),
    }
}

fn action_of(name: &str, f: ActForm) -> Result<Action, PageError> {
    let required = |v: String, what: &str| {
        let v = v.trim().to_owned();
        if v.is_empty() {
            Err(PageError::BadRequest(format!("请填写{what}")))
        } else {
            Ok(v)
        }
    };
    Ok(match name {
        "claim" => Action::Claim,
        "answer" => Action::Answer(required(f.text, "答复内容")?),
        "answer-entry" => Action::AnswerWith(required(f.faq_id, "要引用的条目")?),
        "close" => Action::Close(required(f.reason, "关闭原因")?),
        "reopen" => Action::Reopen,
        "draft" => Action::Draft,
        other => return Err(PageError::NotFound(format!("未知操作 `{other}`"))),
    })
}
