//! Try it: type a question, see what the bot would reply in a group, the outcome, and the candidates
//! with their scores and why. Uses the same side-effect-free answer as `policybot ask` and
//! `/api/v1/ask`: no ticket, nothing stored. An optional place answers as in a group configured as that
//! place's (`[[groups]]`, `ask --place`): the configured groups' places are offered, any place of
//! `faq/places.toml` is accepted, and an unknown one is said so, with nothing answered.

use crate::console::Ctx;
use crate::console::guard::{Officer, Posted};
use crate::console::why::why;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;

/// Longest question accepted (characters).
const MAX_CHARS: usize = 500;

/// Longest place name accepted (characters).
const MAX_PLACE_CHARS: usize = 20;

pub async fn page(State(ctx): State<Ctx>, Officer(me): Officer) -> Response {
    let views = &ctx.console.views;
    let data = context! { nav => "try", places => group_places(&ctx) };
    views
        .page("try.html", Some(&me), data)
        .map_or_else(|e| e.into_page(views), IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct Question {
    #[serde(default)]
    question: String,
    #[serde(default)]
    place: String,
}

pub async fn ask(State(ctx): State<Ctx>, posted: Posted<Question>) -> Response {
    let views = &ctx.console.views;
    let question: String = posted
        .form
        .question
        .trim()
        .chars()
        .take(MAX_CHARS)
        .collect();
    let place: String = posted
        .form
        .place
        .trim()
        .chars()
        .take(MAX_PLACE_CHARS)
        .collect();
    let kb = ctx.app.faq.current();
    let home = (!place.is_empty()).then(|| kb.home(&place));
    let unknown_place = matches!(home, Some(None));
    let result = (!question.is_empty() && !unknown_place).then(|| {
        let r = crate::ask::ask_in(&kb, ctx.app.config.knowledge, &question, home.flatten());
        let candidates: Vec<Value> = r
            .candidates
            .iter()
            .map(|c| {
                let why = kb.entry(&c.faq_id).map(|e| why(e, &question));
                context! { faq_id => c.faq_id, question => c.question, score => c.score, why => why }
            })
            .collect();
        context! { r => r, outcome_name => outcome_name(r.outcome), candidates => candidates }
    });
    let data = context! {
        question => question,
        place => place,
        unknown_place => unknown_place,
        places => group_places(&ctx),
        result => result,
        nav => "try",
    };
    views
        .page("try.html", Some(&posted.session), data)
        .map_or_else(|e| e.into_page(views), IntoResponse::into_response)
}

/// The places of the configured groups, each once, in the config's order.
fn group_places(ctx: &Ctx) -> Vec<String> {
    let mut places = ctx.app.config.places();
    let mut seen = std::collections::HashSet::new();
    places.retain(|p| seen.insert(p.clone()));
    places
}

fn outcome_name(outcome: &str) -> &'static str {
    match outcome {
        "answered" => "直接答复",
        "clarify" => "请提问者选择",
        "escalated" => "转人工（会建工单）",
        "smalltalk" => "寒暄",
        _ => "其他",
    }
}
