//! The knowledge base: entries (searchable), one entry with the source it quotes and the quote
//! highlighted in it, and the officers' drafts, which admins approve (written into `faq/entries/`,
//! checked, reloaded) or reject.

use crate::console::guard::{Admin, Officer, Posted};
use crate::console::review::{self, Review};
use crate::console::view::PageError;
use crate::console::{Ctx, tickets};
use crate::faq::Entry;
use crate::snapshot::Snapshot;
use crate::text::normalize;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn entries(
    State(ctx): State<Ctx>,
    Officer(me): Officer,
    Query(q): Query<SearchQuery>,
) -> Response {
    let kb = ctx.app.faq.current();
    let list: Vec<&Entry> = if q.q.trim().is_empty() {
        kb.base.entries.iter().collect()
    } else {
        search(&kb, &q.q, 50)
    };
    let rows: Vec<Value> = list
        .iter()
        .map(|e| {
            let source = kb.base.source_of(e).map(|s| s.title.clone());
            context! { id => e.id, question => e.question, source => source, clause => e.clause }
        })
        .collect();
    let data = context! { rows => rows, q => q.q, nav => "knowledge" };
    let views = &ctx.console.views;
    views
        .page("knowledge.html", Some(&me), data)
        .map_or_else(|e| e.into_page(views), IntoResponse::into_response)
}

/// Entries for `q`: the matcher's candidates first, then entries whose id, question, phrasings or answer
/// contain it; at most `n`.
pub fn search<'a>(kb: &'a Snapshot, q: &str, n: usize) -> Vec<&'a Entry> {
    let wanted = normalize(q);
    let decided = kb.decide(q);
    let mut out: Vec<&Entry> = decided
        .candidates
        .iter()
        .filter_map(|c| kb.entry(c.id.as_str()))
        .collect();
    let contains = |e: &Entry| {
        e.id.contains(q.trim())
            || std::iter::once(&e.question)
                .chain(&e.alternates)
                .chain(std::iter::once(&e.answer))
                .any(|t| normalize(t).contains(&wanted))
    };
    for e in kb.base.entries.iter().filter(|e| contains(e)) {
        if !out.iter().any(|o| o.id == e.id) {
            out.push(e);
        }
    }
    out.truncate(n);
    out
}

pub async fn entry(
    State(ctx): State<Ctx>,
    Officer(me): Officer,
    Path(id): Path<String>,
) -> Response {
    let views = &ctx.console.views;
    let kb = ctx.app.faq.current();
    let data = (|| {
        let e = kb.entry(&id)?;
        let source = kb.base.source_of(e);
        let parts = source.and_then(|s| {
            highlight(&s.body, &e.answer).map(|(a, b)| (&s.body[..a], &s.body[a..b], &s.body[b..]))
        });
        Some(context! {
            e => context! {
                id => e.id, question => e.question, alternates => e.alternates, keywords => e.keywords.iter().map(crate::console::why::written).collect::<Vec<_>>(),
                answer => e.answer, clause => e.clause, date => e.date, note => e.note,
                officer_authored => e.officer_authored, reviewed_by => e.reviewed_by,
            },
            source => source.map(|s| context! { title => s.title, issuer => s.issuer, date => s.date, kind => s.kind, body => s.body }),
            before => parts.map(|p| p.0), quote => parts.map(|p| p.1), after => parts.map(|p| p.2),
            nav => "knowledge",
        })
    })();
    let Some(data) = data else {
        return PageError::NotFound(format!("没有条目 `{id}`")).into_page(views);
    };
    views
        .page("entry.html", Some(&me), data)
        .map_or_else(|e| e.into_page(views), IntoResponse::into_response)
}

/// Byte range of `quote` in `body`, white space ignored (as `faq check` compares them).
pub fn highlight(body: &str, quote: &str) -> Option<(usize, usize)> {
    let want: Vec<char> = quote.chars().filter(|c| !c.is_whitespace()).collect();
    let first = *want.first()?;
    let chars: Vec<(usize, char)> = body
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .collect();
    (0..chars.len())
        .filter(|&i| chars[i].1 == first)
        .find_map(|i| {
            let window = chars.get(i..i + want.len())?;
            let same = window.iter().map(|(_, c)| *c).eq(want.iter().copied());
            let (end_at, end_char) = window.last()?;
            same.then(|| (chars[i].0, end_at + end_char.len_utf8()))
        })
}

pub async fn drafts(State(ctx): State<Ctx>, Admin(me): Admin) -> Response {
    let views = &ctx.console.views;
    let result = tickets::drafts(&ctx.app).await.and_then(|drafts| {
        let data = context! { drafts => drafts, nav => "drafts" };
        views.page("drafts.html", Some(&me), data)
    });
    result.map_or_else(|e| e.into_page(views), IntoResponse::into_response)
}

/// The approval form: for a new entry, the question, phrasings (one a line), answer and citation as
/// the admin completed them.
#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    question: String,
    #[serde(default)]
    alternates: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    clause: String,
}

impl From<ReviewForm> for Review {
    fn from(f: ReviewForm) -> Self {
        Review {
            question: f.question.trim().to_owned(),
            alternates: f
                .alternates
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            answer: f.answer.trim().to_owned(),
            clause: f.clause.trim().to_owned(),
        }
    }
}

pub async fn decide(
    State(ctx): State<Ctx>,
    Path((ticket, verdict)): Path<(u64, String)>,
    posted: Posted<ReviewForm>,
) -> Response {
    let views = &ctx.console.views;
    let (me, review) = (posted.session, Review::from(posted.form));
    if !me.is_admin() {
        tracing::warn!(officer = %me.name, "console: draft decision refused, not an admin");
        return PageError::Forbidden("此操作仅限管理员").into_page(views);
    }
    let done = match verdict.as_str() {
        "approve" => review::approve(&ctx.app, ticket, &me.name, review).await,
        "reject" => review::reject(&ctx.app, ticket, &me.name).await,
        other => Err(PageError::NotFound(format!("未知操作 `{other}`"))),
    };
    match done {
        Ok(()) => Redirect::to("/drafts").into_response(),
        Err(e) => e.into_page(views),
    }
}

#[cfg(test)]
mod tests {
    use super::highlight;

    #[test]
    fn the_quote_is_found_with_white_space_ignored() {
        let body = "第一条 总则。\n企业 复工 须备案。其他。";
        let (a, b) = highlight(body, "企业复工须备案。").unwrap();
        assert_eq!(&body[a..b], "企业 复工 须备案。");
        assert_eq!(highlight(body, "不存在"), None);
    }
}
