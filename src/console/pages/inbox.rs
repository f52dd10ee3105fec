//! The inbox: tickets by status and age, the overdue ones (pending past `officers.sla`) marked
//! and listed first. The table's rows are also served alone (`/inbox/rows`), which the page's script
//! fetches every few seconds so new tickets appear without a reload.

use crate::console::guard::Officer;
use crate::console::view::PageError;
use crate::console::{Ctx, tickets};
use crate::reply::officer::age;
use crate::server::now_ms;
use crate::store::{Status, Ticket, TicketFilter};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    status: Option<String>,
}

/// The statuses the inbox can show, with their names.
const FILTERS: [(&str, &str); 6] = [
    ("pending", "待处理"),
    ("open", "未认领"),
    ("claimed", "已认领"),
    ("answered", "已答复"),
    ("closed", "已关闭"),
    ("all", "全部"),
];

pub async fn page(
    State(ctx): State<Ctx>,
    Officer(me): Officer,
    Query(q): Query<InboxQuery>,
) -> Response {
    let status = q.status.unwrap_or_else(|| "pending".into());
    let result = rows_of(&ctx, &status).await.and_then(|rows| {
        let filters: Vec<Value> = FILTERS
            .iter()
            .map(|(k, n)| context! { key => k, name => n })
            .collect();
        let data = context! { rows => rows, status => status, filters => filters, nav => "inbox" };
        ctx.console.views.page("inbox.html", Some(&me), data)
    });
    result.map_or_else(
        |e| e.into_page(&ctx.console.views),
        IntoResponse::into_response,
    )
}

/// The table rows alone, for the page's refresh.
pub async fn rows(
    State(ctx): State<Ctx>,
    Officer(_): Officer,
    Query(q): Query<InboxQuery>,
) -> Response {
    let status = q.status.unwrap_or_else(|| "pending".into());
    let result = rows_of(&ctx, &status).await.and_then(|rows| {
        ctx.console
            .views
            .render("inbox_rows.html", context! { rows => rows })
    });
    result.map_or_else(
        |e| e.into_page(&ctx.console.views),
        |h| Html(h).into_response(),
    )
}

async fn rows_of(ctx: &Ctx, status: &str) -> Result<Vec<Value>, PageError> {
    let filter = match status {
        "pending" => TicketFilter::Pending,
        "open" => TicketFilter::Status(Status::Open),
        "claimed" => TicketFilter::Status(Status::Claimed),
        "answered" => TicketFilter::Status(Status::Answered),
        "closed" => TicketFilter::Status(Status::Closed),
        "all" => TicketFilter::All,
        other => return Err(PageError::BadRequest(format!("未知状态 `{other}`"))),
    };
    let mut tickets = tickets::list(&ctx.app, filter).await?;
    let (now, sla) = (now_ms(), sla_ms(ctx));
    tickets.sort_by_key(|t| (!overdue(t, now, sla), t.created_ms));
    Ok(tickets.iter().map(|t| summary(t, now, sla)).collect())
}

pub fn sla_ms(ctx: &Ctx) -> i64 {
    ctx.app.config.officers.sla.as_millis() as i64
}

fn overdue(t: &Ticket, now: i64, sla: i64) -> bool {
    t.status.is_pending() && now - t.created_ms > sla
}

/// What the inbox and the ticket page show of a ticket besides its own fields.
pub fn summary(t: &Ticket, now: i64, sla: i64) -> Value {
    context! {
        id => t.id,
        status => t.status.as_str(),
        status_name => status_name(t.status),
        age => age(now - t.created_ms),
        overdue => overdue(t, now, sla),
        group => if t.group_title.is_empty() { &t.group_id } else { &t.group_title },
        question => t.question,
        askers => t.askers.len(),
        claimed_by => t.claimed_by,
        created_ms => t.created_ms,
    }
}

pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Open => "未认领",
        Status::Claimed => "已认领",
        Status::Answered => "已答复",
        Status::Closed => "已关闭",
    }
}
