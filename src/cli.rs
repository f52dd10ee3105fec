//! The command line: `serve`, `ask`, `faq check|build|drafts`, `queue …`. Each subcommand is a thin
//! shell over the library; errors bubble up as `anyhow` with context and become exit code 1 in `main`.

use crate::ask::ask;
use crate::config::Config;
use crate::faq::{self, FaqBase};
use crate::matcher::{Analyzer, Matcher};
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
        question: Option<String>,
    },
    /// Work on the FAQ base.
    Faq {
        #[command(subcommand)]
        command: FaqCommand,
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
    /// Draft entries (TOML, on stdout) from a new policy document, for an officer to curate.
    Build {
        /// The document: a faq/sources-style file (header, `---`, text) or plain text.
        source: PathBuf,
    },
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ask {
            json,
            config,
            faq,
            question,
        } => run_ask(json, config.as_deref(), faq, question),
        Command::Faq { command } => match command {
            FaqCommand::Check { faq, config } => run_check(&faq, config.as_deref()),
            FaqCommand::Build { source } => run_build(&source),
        },
    }
}

/// Loads the FAQ base, with the path in the error.
pub fn load_faq(dir: &Path) -> Result<FaqBase> {
    faq::load_dir(dir).with_context(|| format!("loading the FAQ base from {}", dir.display()))
}

fn run_ask(
    json: bool,
    config: Option<&Path>,
    faq_dir: Option<PathBuf>,
    question: Option<String>,
) -> Result<()> {
    let cfg = Config::load(config)?;
    let base = load_faq(&faq_dir.unwrap_or(cfg.server.faq_dir))?;
    let matcher = Matcher::build(&base, cfg.matcher);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut answer_one = |q: &str| -> Result<()> {
        let r = ask(&base, &matcher, q);
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

fn run_check(dir: &Path, config: Option<&Path>) -> Result<()> {
    let cfg = Config::load(config)?;
    let base = load_faq(dir)?;
    let problems = faq::check::check(&base, cfg.matcher);
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
    println!(
        "faq check: ok ({} sources, {} entries, {} phrasings)",
        base.sources.len(),
        base.entries.len(),
        phrasings
    );
    Ok(())
}

fn run_build(source: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(source).with_context(|| format!("reading {}", source.display()))?;
    let (slug, date, body) = match faq::parse_source_file(source, &text) {
        Ok(s) => (s.slug, s.date, s.body),
        Err(_) => {
            let slug = source
                .file_stem()
                .map_or("new".into(), |s| s.to_string_lossy().into_owned());
            (slug, "YYYY-MM-DD".to_owned(), text)
        }
    };
    let analyzer = Analyzer::build(&FaqBase::default());
    print!("{}", faq::draft::draft_toml(&analyzer, &slug, &date, &body));
    Ok(())
}
