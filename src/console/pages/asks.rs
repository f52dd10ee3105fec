//! What people ask: questions per day by outcome as an SVG chart, the share answered, escalations and
//! the median time to an answer, and the unanswered questions of the last `console.topic_days` days
//! grouped into topics by shared terms.

use crate::console::Ctx;
use crate::console::guard::Officer;
use crate::console::view::PageError;
use crate::console::{chart, stats, tickets, topics};
use crate::server::now_ms;
use crate::store::TicketFilter;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

/// Days drawn on the chart.
const CHART_DAYS: u64 = 14;

pub async fn page(State(ctx): State<Ctx>, Officer(me): Officer) -> Response {
    let views = &ctx.console.views;
    let result = figures(&ctx)
        .await
        .and_then(|data| views.page("asks.html", Some(&me), data));
    result.map_or_else(|e| e.into_page(views), IntoResponse::into_response)
}

async fn figures(ctx: &Ctx) -> Result<Value, PageError> {
    let now = now_ms();
    let tickets = tickets::list(&ctx.app, TicketFilter::All).await?;
    let summary = stats::summary(&ctx.app.metrics.daily.counts(), &tickets, now, CHART_DAYS);
    let days = ctx.app.config.console.topic_days;
    let since = now - days as i64 * 86_400_000;
    let recent: Vec<(u64, String)> = tickets
        .iter()
        .filter(|t| t.created_ms >= since)
        .map(|t| (t.id, t.question.clone()))
        .collect();
    let outcomes: Vec<&str> = stats::OUTCOMES.iter().map(|(_, n)| *n).collect();
    Ok(context! {
        svg => Value::from_safe_string(chart::svg(&summary.days)),
        s => summary,
        outcomes => outcomes,
        topics => topics::topics(&recent),
        topic_days => days,
        nav => "asks",
    })
}
