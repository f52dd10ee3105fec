//! `policybot queue …`, `policybot faq drafts` and `policybot faq reload`: a small client of the running
//! server's admin API. The CLI never opens the database itself: sled allows one process, and that is
//! the server. It sends a ticket [`Action`] as the request the API maps back to it, and reads the
//! [`Outcome`].

use crate::config::Config;
use crate::reply::officer::age;
use crate::snapshot::Reloaded;
use crate::store::{Draft, Ticket};
use crate::ticket::{Action, Outcome};
use anyhow::{Context, Result, bail};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::path::PathBuf;

/// How to reach the running server.
#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// Server base URL; default: http:// + server.listen of the config.
    #[arg(long, global = true)]
    pub server: Option<String>,
    /// Admin token; default: POLICYBOT_ADMIN_TOKEN, then server.admin_token of the config.
    #[arg(long, global = true)]
    pub token: Option<String>,
    /// Config file to read the defaults from.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
}

pub fn block_on<T, F: std::future::Future<Output = Result<T>>>(f: F) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(f)
}

pub fn client(args: &ServerArgs) -> Result<Client> {
    let cfg = Config::load(args.config.as_deref())?;
    let server = args
        .server
        .clone()
        .unwrap_or_else(|| format!("http://{}", cfg.server.listen));
    let token = args
        .token
        .clone()
        .unwrap_or_else(|| cfg.server.admin_token.expose().to_owned());
    Client::new(&server, &token)
}

/// Where the server is and how to authenticate.
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(server: &str, token: &str) -> Result<Client> {
        if token.is_empty() {
            bail!("no admin token: pass --token or set POLICYBOT_ADMIN_TOKEN (server.admin_token)");
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .context("building the HTTP client")?;
        Ok(Client {
            base: server.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http,
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T> {
        let url = format!("{}/api/v1{path}", self.base);
        let mut req = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        let status = resp.status();
        let text = resp.text().await.context("reading the response")?;
        if !status.is_success() {
            let msg = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or(text);
            bail!("server answered {status}: {msg}");
        }
        serde_json::from_str(&text).context("unexpected response from the server")
    }

    /// Applies `action` on the server.
    pub async fn apply(&self, action: Action) -> Result<Outcome> {
        use reqwest::Method;
        let post = |id: u64, body: Value| {
            (
                Method::POST,
                format!("/tickets/{id}/{}", action.name()),
                Some(body),
            )
        };
        let (method, path, body) = match &action {
            Action::List(filter) => (
                Method::GET,
                format!("/tickets?status={}", filter.as_str()),
                None,
            ),
            Action::Show(id) => (Method::GET, format!("/tickets/{id}"), None),
            Action::Drafts => (Method::GET, "/drafts".to_owned(), None),
            Action::Claim { id, officer }
            | Action::TakeOver { id, officer }
            | Action::Reopen { id, officer }
            | Action::Draft { id, officer } => post(*id, json!({ "officer": officer })),
            Action::Answer { id, officer, text } => {
                post(*id, json!({ "officer": officer, "text": text }))
            }
            Action::Teach {
                id,
                officer,
                faq_id,
            } => post(*id, json!({ "officer": officer, "faq_id": faq_id })),
            Action::Close {
                id,
                officer,
                reason,
            } => post(*id, json!({ "officer": officer, "reason": reason })),
            Action::Settle { .. } => bail!("drafts are approved or rejected in the console"),
            Action::Merge { id, into, officer } => {
                post(*id, json!({ "officer": officer, "into": into }))
            }
        };
        let value: Value = self.call(method, &path, body).await?;
        outcome(action, value).context("unexpected response from the server")
    }

    /// The running server's backup of its store (JSON lines).
    pub async fn backup(&self) -> Result<Vec<u8>> {
        let url = format!("{}/api/v1/backup", self.base);
        let resp = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .timeout(std::time::Duration::from_secs(300))
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        let status = resp.status();
        let bytes = resp.bytes().await.context("reading the backup")?;
        if !status.is_success() {
            bail!(
                "server answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(bytes.to_vec())
    }

    /// Asks the server to load `faq/` again. A refusal (422) is an error carrying every reason the
    /// server gave (the `faq check` messages), one per line.
    pub async fn reload_faq(&self) -> Result<Reloaded> {
        let url = format!("{}/api/v1/faq/reload", self.base);
        let resp = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .timeout(std::time::Duration::from_secs(120))
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        let status = resp.status();
        let text = resp.text().await.context("reading the response")?;
        if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            let v: Value =
                serde_json::from_str(&text).context("unexpected refusal from the server")?;
            let problems = v["problems"].as_array().into_iter().flatten();
            let lines: Vec<&str> = problems.filter_map(Value::as_str).collect();
            bail!(
                "{}\n{}",
                v["error"].as_str().unwrap_or("refused"),
                lines.join("\n")
            );
        }
        if !status.is_success() {
            bail!("server answered {status}: {text}");
        }
        serde_json::from_str(&text).context("unexpected response from the server")
    }
}

/// What `policybot faq reload` prints: the version served and the entry ids that changed.
pub fn reload_report(r: &Reloaded) -> String {
    let ids = |v: &[String]| match v {
        [] => "-".to_owned(),
        ids => ids.join(" "),
    };
    format!(
        "faq reload: serving version {} ({} entries, loaded and checked in {:.2} s)\n\
         added: {}\nchanged: {}\nremoved: {}\n",
        r.version,
        r.entries,
        r.load_seconds,
        ids(&r.changes.added),
        ids(&r.changes.changed),
        ids(&r.changes.removed)
    )
}

/// The outcome of `action` from the API's answer to it.
fn outcome(action: Action, v: Value) -> serde_json::Result<Outcome> {
    use serde_json::from_value;
    Ok(match action {
        Action::List(_) => Outcome::Listed(from_value(v)?),
        Action::Show(_) => Outcome::Shown(from_value(v)?),
        Action::Drafts => Outcome::Drafts(from_value(v)?),
        Action::Claim { .. } => Outcome::Claimed(from_value(v)?),
        Action::TakeOver { .. } => {
            let ticket: Ticket = from_value(v)?;
            let from = ticket
                .history
                .iter()
                .rev()
                .find(|e| e.action == "taken over")
                .map(|e| e.detail.clone())
                .unwrap_or_default();
            Outcome::TakenOver { ticket, from }
        }
        Action::Answer { .. } => Outcome::Answered(from_value(v)?),
        Action::Teach { faq_id, .. } => Outcome::Taught {
            ticket: from_value(v)?,
            faq_id,
        },
        Action::Close { .. } => Outcome::Closed(from_value(v)?),
        Action::Merge { into, .. } => Outcome::Merged {
            ticket: from_value(v)?,
            into,
        },
        Action::Reopen { .. } => Outcome::Reopened(from_value(v)?),
        Action::Draft { .. } => Outcome::Drafted(from_value(v)?),
        Action::Settle { .. } => Outcome::Settled(from_value(v)?),
    })
}

/// Drafts as `[[entry]]` TOML for `faq/entries/`, marked officer-authored, for review.
pub fn drafts_toml(drafts: &[Draft]) -> String {
    let mut out = String::from(
        "# Officer drafts: review, then move into faq/entries/. Not served until they are there.\n",
    );
    for d in drafts {
        match &d.faq_id {
            Some(faq_id) => out.push_str(&phrasings_toml(d, faq_id)),
            None => out.push_str(&entry_toml(d)),
        }
    }
    out
}

/// An officer's draft in the field order of `faq/entries/*.toml`.
#[derive(serde::Serialize)]
struct OfficerEntry<'a> {
    id: String,
    question: &'a str,
    alternates: Vec<String>,
    keywords: [&'a str; 0],
    answer: &'a str,
    source: &'a str,
    clause: &'a str,
    date: &'a str,
    officer_authored: bool,
}

/// An officer's answer as a draft entry. The ticket and the officer stay in a comment: the clause is the
/// citation enterprises read, so the reviewer writes a public one (`faq check` refuses the `TODO`, a
/// ticket number or an officer's name there, fewer than 4 alternates and a missing review).
fn entry_toml(d: &Draft) -> String {
    let answered = crate::faq::Date::in_china_at_ms(d.created_ms).to_string();
    let entry = OfficerEntry {
        id: format!("officer-{}", d.ticket),
        question: &d.question,
        alternates: phrasings(d),
        keywords: [],
        answer: &d.answer,
        source: "officer-answers",
        clause: "TODO: 答复的主题或依据（企业可见，不写内部编号和姓名）",
        date: &answered,
        officer_authored: true,
    };
    format!(
        "\n# 工单 #{} answered by {} on {answered}: write the question as enterprises ask it (the askers' \
         words stay in alternates), at least 4 alternates, the clause, reviewed_by and reviewed_on.\n\
         [[entry]]\n{}",
        d.ticket,
        d.officer,
        toml::to_string(&entry).unwrap_or_default()
    )
}

/// The ticket's question and its askers' questions, each once.
fn phrasings(d: &Draft) -> Vec<String> {
    let mut phrasings: Vec<String> = vec![d.question.clone()];
    for a in &d.alternates {
        if !phrasings.contains(a) {
            phrasings.push(a.clone());
        }
    }
    phrasings
}

/// Questions an officer answered with an existing entry: phrasings to review into that entry's
/// `alternates`.
fn phrasings_toml(d: &Draft, faq_id: &str) -> String {
    let table = toml::toml! {
        entry = (faq_id.to_owned())
        alternates = (phrasings(d))
        ticket = (d.ticket as i64)
        officer = (d.officer.clone())
    };
    format!(
        "\n# 工单 #{} was answered with entry {faq_id}: after review, add these to its alternates.\n[[phrasings]]\n{}",
        d.ticket,
        toml::to_string(&table).unwrap_or_default()
    )
}

/// How much of a question a table row shows.
const ROW_QUESTION_CHARS: usize = 40;

/// One row per ticket: number, status (and who holds it), age, group, question shortened.
pub fn ticket_table(tickets: &[Ticket], now_ms: i64) -> String {
    if tickets.is_empty() {
        return "（没有工单）\n".to_owned();
    }
    let mut out = String::from("工单    状态              等待        群  问题\n");
    for t in tickets {
        let status = match &t.claimed_by {
            Some(by) if t.status == crate::store::Status::Claimed => {
                format!("{}（{by}）", t.status.label())
            }
            _ => t.status.label().to_owned(),
        };
        out.push_str(&format!(
            "#{:<6} {}  {:<10}  {}  {}\n",
            t.id,
            pad(&status, 16),
            age(now_ms - t.created_ms),
            t.group_title.replace('\n', " "),
            shorten(&t.question, ROW_QUESTION_CHARS)
        ));
    }
    out
}

/// One ticket for people: its facts, askers and history.
pub fn ticket_card(t: &Ticket, now_ms: i64) -> String {
    let mut out = format!(
        "工单 #{}  {}  已等待{}\n群：{}\n问题：{}\n",
        t.id,
        t.status.label(),
        age(now_ms - t.created_ms),
        t.group_title,
        t.question
    );
    let askers: Vec<&str> = t.askers.iter().map(|a| a.nick.as_str()).collect();
    out.push_str(&format!("提问人：{}\n", askers.join("、")));
    for (who, what) in [
        ("认领", &t.claimed_by),
        ("答复", &t.answer),
        ("关闭原因", &t.close_reason),
    ] {
        if let Some(v) = what {
            out.push_str(&format!("{who}：{v}\n"));
        }
    }
    for e in &t.history {
        out.push_str(&format!("  {} {} {}\n", e.actor, e.action, e.detail));
    }
    out
}

/// `s` padded with spaces to `width` columns (a CJK character takes two).
fn pad(s: &str, width: usize) -> String {
    let cols: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(cols)))
}

/// One line of at most `max` characters, "…" marking a cut.
fn shorten(s: &str, max: usize) -> String {
    let line = s.replace('\n', " ");
    match line.chars().count() > max {
        true => format!("{}…", line.chars().take(max - 1).collect::<String>()),
        false => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(faq_id: Option<&str>) -> Draft {
        Draft {
            ticket: 12,
            faq_id: faq_id.map(Into::into),
            question: "食堂饭卡能退吗".into(),
            alternates: vec!["食堂饭卡能退吗".into(), "饭卡里的钱怎么退".into()],
            answer: "饭卡余额可到食堂窗口退还。".into(),
            officer: "刘干事(u-liu)".into(),
            // 2026-12-02 09:00 in Beijing.
            created_ms: 1_796_173_200_000,
        }
    }

    #[test]
    fn an_officer_draft_keeps_the_question_among_its_alternates_and_the_ticket_out_of_its_citation()
    {
        let text = drafts_toml(&[draft(None)]);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let e = &parsed["entry"][0];
        assert_eq!(
            e["alternates"],
            toml::Value::from(vec!["食堂饭卡能退吗", "饭卡里的钱怎么退"])
        );
        assert_eq!(e["date"].as_str(), Some("2026-12-02"));
        let clause = e["clause"].as_str().unwrap();
        assert!(clause.starts_with("TODO") && !clause.contains("12") && !clause.contains("刘"));
        assert!(
            text.contains("# 工单 #12 answered by 刘干事(u-liu) on 2026-12-02"),
            "{text}"
        );
    }

    #[test]
    fn phrasings_for_an_entry_list_each_question_once() {
        let text = drafts_toml(&[draft(Some("fg-canteen"))]);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let p = &parsed["phrasings"][0];
        assert_eq!(p["entry"].as_str(), Some("fg-canteen"));
        assert_eq!(p["alternates"].as_array().unwrap().len(), 2);
    }
}
