//! Officers at work from their own groups: `待办`, `认领 12`, `接手 12` (take over another officer's
//! claim), `答复 12 <text>`, `答复 12 #<faq_id>` (answer with an FAQ entry), `关闭 12 <reason>`,
//! `重开 12`, `入库 12`; ticket numbers in full-width digits too (`认领１２`). A command is parsed into a
//! ticket [`Action`], applied by the ticket service, and its outcome put in words
//! ([`crate::reply::officer`]).

use super::AppState;
use crate::reply::officer as words;
use crate::store::{Chain, StoreError, TicketFilter};
use crate::ticket::{Action, Context, Outcome, ServiceError};
use regex::Regex;
use std::sync::LazyLock;

/// A parsed officer command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List,
    Claim(u64),
    TakeOver(u64),
    /// Answer with the text given (empty: refused with the usage).
    Answer(u64, String),
    /// Answer with an FAQ entry: `答复 12 #faq_id`.
    AnswerWithEntry(u64, String),
    /// Close, with the reason given (if any).
    Close(u64, Option<String>),
    Reopen(u64),
    /// Merge the first ticket into the second (`合并 13 到 12`); without the second, refused with the usage.
    Merge(u64, Option<u64>),
    Learn(u64),
    Help,
}

static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(认领|接手|答复|回复|关闭|合并|重开|入库)\s*[#＃]?\s*([0-9０-９]+)\s*[:：,，]?\s*([\s\S]*)$",
    )
    .expect("static regex")
});

/// Parses an officer's message (the @ to the bot already stripped).
pub fn parse(text: &str) -> Command {
    let t = text.trim();
    if matches!(t, "待办" | "待办工单" | "工单" | "列表") {
        return Command::List;
    }
    let Some(c) = COMMAND.captures(t) else {
        return Command::Help;
    };
    let digits: String = c[2].chars().map(half_width_digit).collect();
    let Ok(id) = digits.parse::<u64>() else {
        return Command::Help;
    };
    let rest = c[3].trim().to_owned();
    match &c[1] {
        "认领" => Command::Claim(id),
        "接手" => Command::TakeOver(id),
        "答复" | "回复" if is_entry_ref(&rest) => {
            Command::AnswerWithEntry(id, rest[1..].to_owned())
        }
        "答复" | "回复" => Command::Answer(id, rest),
        "关闭" => Command::Close(id, (!rest.is_empty()).then_some(rest)),
        "重开" => Command::Reopen(id),
        "合并" => Command::Merge(id, merge_target(&rest)),
        _ => Command::Learn(id),
    }
}

/// The ticket of `到 12`, `入 #12` or `12`.
fn merge_target(rest: &str) -> Option<u64> {
    let digits: String = rest
        .trim_start_matches(['到', '入', '进', '至', '→', ' ', '#', '＃'])
        .chars()
        .map(half_width_digit)
        .collect();
    digits.trim().parse().ok()
}

/// `０`–`９` as `0`–`9`; anything else as it is.
fn half_width_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// `#fg-eia-exemption`: a `#` and an entry id (ASCII letters, digits, `-`, `_`), nothing else.
fn is_entry_ref(rest: &str) -> bool {
    rest.strip_prefix('#').is_some_and(|id| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// The action a command asks for, by `officer`; `None` for help.
fn action(command: Command, officer: &str) -> Option<Action> {
    let officer = officer.to_owned();
    Some(match command {
        Command::Help => return None,
        Command::List => Action::List(TicketFilter::Pending),
        Command::Claim(id) => Action::Claim { id, officer },
        Command::TakeOver(id) => Action::TakeOver { id, officer },
        Command::Answer(id, text) => Action::Answer { id, officer, text },
        Command::AnswerWithEntry(id, faq_id) => Action::Teach {
            id,
            officer,
            faq_id,
        },
        Command::Close(id, reason) => Action::Close {
            id,
            officer,
            reason,
        },
        Command::Reopen(id) => Action::Reopen { id, officer },
        Command::Merge(id, into) => Action::Merge {
            id,
            // No target: the service refuses a merge of a ticket into itself, with the usage.
            into: into.unwrap_or(id),
            officer,
        },
        Command::Learn(id) => Action::Draft { id, officer },
    })
}

/// Runs an officer's command through the ticket service and returns the bot's reply in the officer
/// group. Errors are storage outages (the platform retries the message).
pub async fn run(
    state: &AppState,
    officer: &str,
    command: Command,
    now: i64,
) -> Result<String, StoreError> {
    let Some(action) = action(command, officer) else {
        return Ok(words::HELP.to_owned());
    };
    let (id, name) = (action.ticket(), action.name());
    let kb = state.faq.current();
    let cx = Context {
        kb: &kb,
        on: state.config.knowledge.as_of.day(),
        now,
    };
    let applied = state.tickets.apply(action, cx).await;
    state.metrics.officer_action(name, applied.is_ok());
    match applied {
        Ok(outcome) => Ok(render(&outcome, now)),
        Err(e) => refusal(e, id),
    }
}

fn render(outcome: &Outcome, now: i64) -> String {
    match outcome {
        Outcome::Listed(tickets) => words::pending(tickets, now),
        Outcome::Claimed(t) => words::claimed(t),
        Outcome::TakenOver { ticket, from } => words::taken_over(ticket, from),
        Outcome::Answered(t) => words::answered(t),
        Outcome::Taught { ticket, faq_id } => words::taught(ticket, faq_id),
        Outcome::Closed(t) => words::closed(t),
        Outcome::Reopened(t) => words::reopened(t),
        Outcome::Merged { ticket, into } => words::merged(ticket, *into),
        Outcome::Drafted(d) => words::drafted(d),
        // No command asks for these.
        Outcome::Shown(_) | Outcome::Drafts(_) | Outcome::Settled(_) => words::HELP.to_owned(),
    }
}

/// What officers are told when an action is refused; storage outages are passed on.
fn refusal(e: ServiceError, id: Option<u64>) -> Result<String, StoreError> {
    Ok(match e {
        ServiceError::Store(e) if e.is_outage() => return Err(e),
        ServiceError::Store(e) => {
            tracing::error!(error = %Chain(&e), "officer command failed");
            words::FAILED.to_owned()
        }
        refused => words::refused(&refused.to_string(), id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officer_commands_parse_with_or_without_hash_and_spaces() {
        assert_eq!(parse("待办"), Command::List);
        assert_eq!(parse("认领 12"), Command::Claim(12));
        assert_eq!(parse("认领#12"), Command::Claim(12));
        assert_eq!(
            parse("答复 12 请联系属地分局。"),
            Command::Answer(12, "请联系属地分局。".into())
        );
        assert_eq!(
            parse("答复 12 #fg-eia-exemption"),
            Command::AnswerWithEntry(12, "fg-eia-exemption".into())
        );
        assert_eq!(
            parse("答复 12 #1 号文件已说明"),
            Command::Answer(12, "#1 号文件已说明".into())
        );
        assert_eq!(
            parse("关闭 3 重复提问"),
            Command::Close(3, Some("重复提问".into()))
        );
        assert_eq!(parse("关闭 3"), Command::Close(3, None));
        assert_eq!(parse("入库 4"), Command::Learn(4));
        assert_eq!(parse("答复 12"), Command::Answer(12, String::new()));
        assert_eq!(parse("认领２"), Command::Claim(2));
        assert_eq!(parse("接手 ＃１２"), Command::TakeOver(12));
        assert_eq!(parse("合并 13 到 12"), Command::Merge(13, Some(12)));
        assert_eq!(parse("合并 13"), Command::Merge(13, None));
        assert_eq!(parse("你好"), Command::Help);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256, failure_persistence: None, ..Default::default()
        })]

        #[test]
        fn any_text_parses_to_some_command(text in ".{0,80}") {
            let _ = parse(&text);
        }

        #[test]
        fn commands_round_trip(
            verb in proptest::sample::select(&["认领", "接手", "答复", "回复", "关闭", "重开", "入库"]),
            id in proptest::prelude::any::<u64>(),
            hash in proptest::prelude::any::<bool>(),
            // Not starting with a separator (`答复 12：…` drops it) and trimmed, as the parser keeps it.
            rest in "[a-z\u{4e00}-\u{9fa5}][^\\s]{0,10}( [^\\s]{1,10}){0,3}",
        ) {
            let text = format!("{verb} {}{id} {rest}", if hash { "#" } else { "" });
            let expected = match verb {
                "认领" => Command::Claim(id),
                "接手" => Command::TakeOver(id),
                "答复" | "回复" => Command::Answer(id, rest.clone()),
                "关闭" => Command::Close(id, Some(rest.clone())),
                "重开" => Command::Reopen(id),
                _ => Command::Learn(id),
            };
            proptest::prop_assert_eq!(parse(&text), expected);
        }

        #[test]
        fn numbers_beyond_u64_are_help_not_a_panic(digits in "[1-9][0-9]{20,400}") {
            proptest::prop_assert_eq!(parse(&format!("认领 {digits}")), Command::Help);
        }
    }
}
