//! The command line: `serve`, `ask`, `faq check|status|build|drafts|reload`, `queue …`,
//! `db check|backup|restore|compact`.
//! Each subcommand is a thin shell over the library; errors bubble up as `anyhow` with context and
//! become exit code 1 in `main`.

use crate::ask::ask_in;
use crate::client::{ServerArgs, block_on, client};
use crate::clock::now_ms;
use crate::config::Config;
use crate::faq::{self, FaqBase};
use crate::knowledge::AsOf;
use crate::matcher::Analyzer;
use crate::snapshot::Snapshot;
use crate::store::TicketFilter;
use crate::ticket::{Action, Outcome};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "policybot",
    version,
    about = "Answers enterprises' policy questions in DingTalk and WeCom groups"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the bot: DingTalk and WeCom callbacks, the admin API, /healthz and /metrics.
    Serve {
        /// Config file; without it the built-in defaults (= config.example.toml) are used.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Work the escalation queue through the running server's admin API. Prints for people (tables,
    /// one line per action); `--json` prints the API's JSON for scripts. Options go anywhere.
    Queue {
        #[command(flatten)]
        server: ServerArgs,
        /// Who is acting (claim, answer, close…); default: POLICYBOT_OFFICER.
        #[arg(long, global = true, env = "POLICYBOT_OFFICER")]
        officer: Option<String>,
        /// Print the API's JSON instead of tables and sentences.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// Answer questions from the FAQ without side effects (no ticket, no data dir). With no QUESTION,
    /// reads one question per line from stdin.
    Ask {
        /// One JSON object per line: question, outcome, faq_id, score, reply, candidates.
        #[arg(long)]
        json: bool,
        /// Config file (for faq_dir and matcher thresholds); default: built-in defaults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// FAQ directory, overriding the config.
        #[arg(long)]
        faq: Option<PathBuf>,
        /// Judge measures on this day (YYYY-MM-DD or "today"), overriding knowledge.as_of.
        #[arg(long, value_parser = parse_as_of)]
        as_of: Option<AsOf>,
        /// Answer as in a group configured as this place's (`[[groups]]`): a name or alias of
        /// faq/places.toml.
        #[arg(long)]
        place: Option<String>,
        question: Option<String>,
    },
    /// Work on the FAQ base.
    Faq {
        #[command(subcommand)]
        command: FaqCommand,
    },
    /// Console accounts.
    Officer {
        #[command(subcommand)]
        command: OfficerCommand,
    },
    /// Check, back up and restore the data dir.
    Db {
        #[command(subcommand)]
        command: crate::dbtool::DbCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum FaqCommand {
    /// Validate the base: schema, unique ids, sources, verbatim answers, phrasings answered by their entry.
    Check {
        #[arg(long, default_value = "faq")]
        faq: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Entries by status on the as-of day (in force, expiring, upcoming, lapsed, superseded), with counts.
    Status {
        #[arg(long, default_value = "faq")]
        faq: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Judge measures on this day (YYYY-MM-DD or "today"), overriding knowledge.as_of.
        #[arg(long, value_parser = parse_as_of)]
        as_of: Option<AsOf>,
    },
    /// Draft entries (TOML, on stdout) from a new policy document, for an officer to curate.
    Build {
        /// The document: a faq/sources-style file (header, `---`, text) or plain text.
        source: PathBuf,
        /// Ids of existing entries this document replaces: the draft opens with the `superseded_by`
        /// line to add to each (needs the document's `title:` header).
        #[arg(long, value_delimiter = ',')]
        supersedes: Vec<String>,
        /// The FAQ base the ids are looked up in.
        #[arg(long, default_value = "faq")]
        faq: PathBuf,
    },
    /// List officer drafts (from answered tickets) as TOML for review, from the running server.
    Drafts {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Make the running server load faq/ again: served only if `faq check` passes, else the server
    /// keeps the old base and this prints why and fails. Prints the entry ids added, changed, removed.
    Reload {
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum OfficerCommand {
    /// Read a password on stdin (one line) and print its argon2id hash, for `password_hash` of a
    /// `[[console.accounts]]` table.
    HashPassword,
}

#[derive(Subcommand, Debug)]
pub enum QueueCommand {
    /// Tickets with their age, oldest first.
    List {
        /// open | claimed | answered | closed | pending | all
        #[arg(long, default_value = "pending", value_parser = parse_filter)]
        status: TicketFilter,
    },
    /// One ticket with its history, as JSON.
    Show { id: u64 },
    /// Claim a ticket.
    Claim { id: u64 },
    /// Take over a ticket another officer claimed.
    TakeOver { id: u64 },
    /// Answer a ticket; the answer is posted into the originating group. With --faq, the answer is that
    /// FAQ entry's quoted, cited measure and the ticket's questions become draft phrasings for it.
    Answer {
        id: u64,
        /// Answer with this FAQ entry (its id, e.g. fg-eia-exemption).
        #[arg(long, conflicts_with = "text")]
        faq: Option<String>,
        #[arg(required_unless_present = "faq")]
        text: Option<String>,
    },
    /// Close a ticket with the reason its askers are told.
    Close { id: u64, reason: String },
    /// Merge ticket ID into ticket INTO (the same question in the same group; its askers are told).
    Merge { id: u64, into: u64 },
    /// Reopen an answered or closed ticket (its askers are told).
    Reopen { id: u64 },
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { config } => run_serve(config.as_deref()),
        Command::Queue {
            server,
            officer,
            json,
            command,
        } => block_on(run_queue(server, (officer, json), command)),
        Command::Ask {
            json,
            config,
            faq,
            as_of,
            place,
            question,
        } => run_ask(json, config.as_deref(), (faq, as_of, place), question),
        Command::Db { command } => crate::dbtool::run(command),
        Command::Officer {
            command: OfficerCommand::HashPassword,
        } => run_hash_password(),
        Command::Faq { command } => match command {
            FaqCommand::Check { faq, config } => run_check(&faq, config.as_deref()),
            FaqCommand::Status { faq, config, as_of } => {
                let on = as_of_day(config.as_deref(), as_of)?;
                out(faq::report::status(&load_faq(&faq)?, on))?;
                Ok(())
            }
            FaqCommand::Build {
                source,
                supersedes,
                faq,
            } => run_build(&source, &supersedes, &faq),
            FaqCommand::Drafts { server } => block_on(async {
                let Outcome::Drafts(drafts) = client(&server)?.apply(Action::Drafts).await? else {
                    bail!("unexpected response from the server");
                };
                out(crate::client::drafts_toml(&drafts))?;
                Ok(())
            }),
            FaqCommand::Reload { server } => block_on(async {
                let reloaded = client(&server)?.reload_faq().await?;
                out(crate::client::reload_report(&reloaded))?;
                Ok(())
            }),
        },
    }
}

fn parse_as_of(s: &str) -> Result<AsOf, String> {
    AsOf::try_from(s.to_owned())
}

fn parse_filter(s: &str) -> Result<TicketFilter, String> {
    TicketFilter::parse(s)
        .ok_or_else(|| "expected open, claimed, answered, closed, pending or all".to_owned())
}

/// The day measures are judged on: `--as-of`, else the config's `knowledge.as_of`.
fn as_of_day(config: Option<&Path>, as_of: Option<AsOf>) -> Result<faq::Date> {
    Ok(as_of.unwrap_or(Config::load(config)?.knowledge.as_of).day())
}

/// Loads the FAQ base, with the path in the error.
pub fn load_faq(dir: &Path) -> Result<FaqBase> {
    faq::load_dir(dir).with_context(|| format!("loading the FAQ base from {}", dir.display()))
}

fn run_ask(
    json: bool,
    config: Option<&Path>,
    (faq_dir, as_of, place): (Option<PathBuf>, Option<AsOf>, Option<String>),
    question: Option<String>,
) -> Result<()> {
    let mut cfg = Config::load(config)?;
    cfg.knowledge.as_of = as_of.unwrap_or(cfg.knowledge.as_of);
    let kb = Snapshot::build(
        load_faq(&faq_dir.unwrap_or(cfg.server.faq_dir))?,
        cfg.matcher,
    );
    let home = match place.as_deref() {
        None => None,
        Some(p) => Some(kb.home(p).with_context(|| {
            format!("--place: unknown place `{p}`: not a name or alias of faq/places.toml")
        })?),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut answer_one = |q: &str| -> Result<()> {
        let r = ask_in(&kb, cfg.knowledge, q, home);
        if json {
            serde_json::to_writer(&mut out, &r)?;
            writeln!(out)?;
        } else {
            writeln!(out, "[{}] {}\n", r.outcome, r.reply)?;
        }
        Ok(())
    };
    match question {
        Some(q) => answer_one(&q)?,
        None => {
            for line in std::io::stdin().lock().lines() {
                answer_one(line.context("reading stdin")?.trim())?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes a command's output to stdout. Unlike `print!`, a stdout that went away (`policybot faq status
/// | head`) is an error the caller returns, not a panic; `main` ends quietly on it ([`is_closed_pipe`]).
fn out(text: impl std::fmt::Display) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}

/// True when the error is stdout's reader having gone away (a broken pipe): the reader has what it
/// wanted, so the command ends without an error message, as `grep` and `ripgrep` do.
pub fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let kind = c
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| c.downcast_ref::<serde_json::Error>()?.io_error_kind());
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn run_check(dir: &Path, config: Option<&Path>) -> Result<()> {
    let cfg = Config::load(config)?;
    let kb = Snapshot::build(load_faq(dir)?, cfg.matcher);
    kb.knows_places(&cfg.places())?;
    let problems = kb.problems();
    let base = &kb.base;
    for p in &problems {
        eprintln!("{p}");
    }
    let phrasings: usize = base.entries.iter().map(|e| 1 + e.alternates.len()).sum();
    if !problems.is_empty() {
        bail!(
            "faq check: {} problem(s) in {}",
            problems.len(),
            dir.display()
        );
    }
    out(format_args!(
        "faq check: ok ({} sources, {} entries, {} phrasings)\n",
        base.sources.len(),
        base.entries.len(),
        phrasings
    ))?;
    out(faq::report::ageing(base, cfg.knowledge.as_of.day()))?;
    out(faq::applies::unreviewed(base))?;
    Ok(())
}

fn run_build(source: &Path, supersedes: &[String], faq_dir: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(source).with_context(|| format!("reading {}", source.display()))?;
    let (slug, date, body, title) = match faq::parse_source_file(source, &text) {
        Ok(s) => (s.slug, Some(s.date), s.body, Some(s.title)),
        Err(_) => {
            let slug = source
                .file_stem()
                .map_or("new".into(), |s| s.to_string_lossy().into_owned());
            (slug, None, text, None)
        }
    };
    if !supersedes.is_empty() {
        let Some(title) = title else {
            bail!(
                "--supersedes needs the document's title: give it a faq/sources header (title:, date: …)"
            );
        };
        let note = faq::draft::superseded_note(&load_faq(faq_dir)?, supersedes, &title);
        out(note.map_err(anyhow::Error::msg)?)?;
    }
    let analyzer = Analyzer::build(&FaqBase::default());
    let doc = faq::draft::Document {
        path: &source.display().to_string(),
        slug: &slug,
        date: date.as_deref(),
        body: &body,
    };
    out(faq::draft::draft_toml(|t| analyzer.all_terms(t), &doc))?;
    Ok(())
}

/// Prints the argon2id hash of the password on stdin's first line (its line ending removed).
fn run_hash_password() -> Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    out(format_args!(
        "{}\n",
        crate::console::accounts::hash_password(password)?
    ))?;
    Ok(())
}

fn run_serve(config: Option<&Path>) -> Result<()> {
    let cfg = Config::load(config)?;
    crate::telemetry::init(cfg.server.log_format);
    tokio::runtime::Runtime::new()
        .context("starting the runtime")?
        .block_on(async {
            let app = crate::server::App::build(cfg).await?;
            let console = crate::console::router(app.state(), app.local_addr())?;
            app.mount(console)
                .run(crate::server::shutdown_signal())
                .await
        })
}

/// The ticket action a `queue` command asks for, by `officer` where one acts.
fn queue_action(command: QueueCommand, officer: Option<String>) -> Result<Action> {
    let who = || {
        officer
            .clone()
            .filter(|o| !o.trim().is_empty())
            .context("谁在操作？请加 --officer 姓名，或设置环境变量 POLICYBOT_OFFICER")
    };
    Ok(match command {
        QueueCommand::List { status } => Action::List(status),
        QueueCommand::Show { id } => Action::Show(id),
        QueueCommand::Claim { id } => Action::Claim {
            id,
            officer: who()?,
        },
        QueueCommand::TakeOver { id } => Action::TakeOver {
            id,
            officer: who()?,
        },
        QueueCommand::Answer {
            id,
            faq: Some(faq_id),
            ..
        } => Action::Teach {
            id,
            officer: who()?,
            faq_id,
        },
        QueueCommand::Answer { id, text, .. } => Action::Answer {
            id,
            officer: who()?,
            text: text.unwrap_or_default(),
        },
        QueueCommand::Close { id, reason } => Action::Close {
            id,
            officer: who()?,
            reason: Some(reason),
        },
        QueueCommand::Merge { id, into } => Action::Merge {
            id,
            into,
            officer: who()?,
        },
        QueueCommand::Reopen { id } => Action::Reopen {
            id,
            officer: who()?,
        },
    })
}

async fn run_queue(
    args: ServerArgs,
    (officer, json): (Option<String>, bool),
    command: QueueCommand,
) -> Result<()> {
    let outcome = client(&args)?
        .apply(queue_action(command, officer)?)
        .await?;
    match json {
        true => out(format_args!("{}\n", outcome_json(&outcome)?))?,
        false => out(outcome_text(&outcome))?,
    }
    Ok(())
}

/// The outcome as the API gave it.
fn outcome_json(outcome: &Outcome) -> Result<String> {
    Ok(match outcome {
        Outcome::Listed(tickets) => serde_json::to_string_pretty(tickets)?,
        Outcome::Drafted(d) => serde_json::to_string_pretty(d)?,
        Outcome::Drafts(ds) => serde_json::to_string_pretty(ds)?,
        Outcome::Shown(t)
        | Outcome::Claimed(t)
        | Outcome::TakenOver { ticket: t, .. }
        | Outcome::Answered(t)
        | Outcome::Taught { ticket: t, .. }
        | Outcome::Closed(t)
        | Outcome::Merged { ticket: t, .. }
        | Outcome::Reopened(t)
        | Outcome::Settled(t) => serde_json::to_string_pretty(t)?,
    })
}

/// The outcome for people: a table, or the sentence officers read in chat.
fn outcome_text(outcome: &Outcome) -> String {
    use crate::reply::officer as words;
    let line = match outcome {
        Outcome::Listed(tickets) => return crate::client::ticket_table(tickets, now_ms()),
        Outcome::Shown(t) => return crate::client::ticket_card(t, now_ms()),
        Outcome::Drafts(ds) => return crate::client::drafts_toml(ds),
        Outcome::Claimed(t) => words::claimed(t),
        Outcome::TakenOver { ticket, from } => words::taken_over(ticket, from),
        Outcome::Answered(t) => words::answered(t),
        Outcome::Taught { ticket, faq_id } => words::taught(ticket, faq_id),
        Outcome::Closed(t) => words::closed(t),
        Outcome::Reopened(t) => words::reopened(t),
        Outcome::Merged { ticket, into } => words::merged(ticket, *into),
        Outcome::Drafted(d) => words::drafted(d),
        // `policybot queue` cannot settle a draft (the console does).
        Outcome::Settled(t) => return crate::client::ticket_card(t, now_ms()),
    };
    format!("{line}\n")
}
