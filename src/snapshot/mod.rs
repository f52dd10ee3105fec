//! The knowledge snapshot: one FAQ base and the matcher built from it, made together, immutable, and
//! named by a version. A reader (a callback, an admin request) takes the current snapshot once and uses
//! only it, so the entry ids of a decision always resolve in the snapshot that made it. A reload
//! ([`Live::reload`]) loads, builds and checks the next snapshot beside the one being served and swaps it
//! in at once; the old one lives on until its last reader is done.
//!
//! Modules: [`check`] the full `faq check` (the base's own checks, and those that need its matcher),
//! [`change`] what a reload changed, [`live`] the snapshot being served and its serialised reloads.

pub mod change;
pub mod check;
mod live;

pub use change::Changes;
pub use live::{Live, Reloaded};

use crate::faq::{self, Entry, EntryId, FaqBase, LoadError, problem::Problem};
use crate::matcher::{Decision, Home, Matcher, Thresholds};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A FAQ base and its matcher, built together.
pub struct Snapshot {
    /// 1 for the snapshot served first, one more for each reload that was served.
    pub version: u64,
    /// When loading it finished.
    pub loaded_at: SystemTime,
    /// How long reading `faq/`, building the matcher (and checking, for a reload) took.
    pub load_duration: Duration,
    pub base: FaqBase,
    pub matcher: Matcher,
    /// Entry id → position in `base.entries` (and in the matcher's tables, built from them).
    positions: HashMap<EntryId, usize>,
}

/// Why a FAQ directory is not served.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "the FAQ base in {} has no entries: every question would be escalated. Check server.faq_dir \
         and that faq/entries/*.toml are readable (`policybot faq check`).",
        .0.display()
    )]
    Empty(PathBuf),
    /// What `faq check` reports, one problem per item.
    #[error("faq check: {} problem(s)", .0.len())]
    Problems(Vec<Problem>),
    /// A group of the config (`[[groups]]`) is configured as a place this base does not know.
    #[error("config: {key}: `{place}` is not a place (a name or alias) of faq/places.toml")]
    UnknownPlace { key: String, place: String },
    /// Building the snapshot panicked (a bug): nothing was swapped.
    #[error("building the FAQ snapshot failed: {0}")]
    Crashed(String),
}

impl Refusal {
    /// The reasons, one line each: every `faq check` problem, or the load error.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Refusal::Problems(p) => p.iter().map(ToString::to_string).collect(),
            other => other.to_string().lines().map(str::to_owned).collect(),
        }
    }
}

impl Snapshot {
    /// The matcher for `base`, built beside it. Not checked: see [`Snapshot::problems`].
    pub fn build(base: FaqBase, thresholds: Thresholds) -> Snapshot {
        let started = Instant::now();
        let matcher = Matcher::build(&base, thresholds);
        let positions = base
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (EntryId::from(e.id.as_str()), i))
            .collect();
        Snapshot {
            version: 1,
            loaded_at: SystemTime::now(),
            load_duration: started.elapsed(),
            base,
            matcher,
            positions,
        }
    }

    /// Reads `dir` and builds the matcher; a base without entries is refused. Not checked: start-up
    /// serves what loads, as it always has (`faq check` in CI guards the shipped base).
    pub fn load(dir: &Path, thresholds: Thresholds) -> Result<Snapshot, Refusal> {
        let started = Instant::now();
        let base = faq::load_dir(dir)?;
        if base.entries.is_empty() {
            return Err(Refusal::Empty(dir.to_owned()));
        }
        let mut snapshot = Snapshot::build(base, thresholds);
        snapshot.load_duration = started.elapsed();
        Ok(snapshot)
    }

    /// [`Snapshot::load`], then the full `faq check`: what a reload may put in service.
    pub fn load_checked(dir: &Path, thresholds: Thresholds) -> Result<Snapshot, Refusal> {
        let started = Instant::now();
        let mut snapshot = Snapshot::load(dir, thresholds)?;
        let problems = snapshot.problems();
        if !problems.is_empty() {
            return Err(Refusal::Problems(problems));
        }
        snapshot.load_duration = started.elapsed();
        snapshot.loaded_at = SystemTime::now();
        Ok(snapshot)
    }

    /// Everything `faq check` reports about this base; empty when it is fit to serve.
    pub fn problems(&self) -> Vec<Problem> {
        check::problems(self)
    }

    /// The entry with this id, if this snapshot has it.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.positions.get(id).map(|&i| &self.base.entries[i])
    }

    /// The matcher's decision on one message; its ids resolve with [`Snapshot::entry`].
    pub fn decide(&self, question: &str) -> Decision {
        self.matcher.decide(question)
    }

    /// The matcher's decision on a message from a group configured as `home`'s ([`Snapshot::home`]).
    pub fn decide_in(&self, question: &str, home: Option<Home>) -> Decision {
        self.matcher.decide_in(question, home)
    }

    /// The place with this name or alias, as a group's home in this snapshot.
    pub fn home(&self, place: &str) -> Option<Home> {
        self.matcher.home(place)
    }

    /// True when entry `id`'s measure applies in the place `home` ([`Matcher::applies_at`]).
    pub fn applies_at(&self, id: &str, home: Home) -> bool {
        self.positions
            .get(id)
            .is_some_and(|&i| self.matcher.applies_at(i, home))
    }

    /// The name (in `places.toml`) of a place resolved by [`Snapshot::home`].
    pub fn place_name(&self, home: Home) -> &str {
        &self.base.places[home.index()].name
    }

    /// Every configured group's place (`groups[i].place`, in order: `Config::places`)
    /// is a place of this base: served only then.
    pub fn knows_places(&self, places: &[String]) -> Result<(), Refusal> {
        let unknown = places
            .iter()
            .enumerate()
            .find(|(_, p)| self.home(p).is_none());
        match unknown {
            Some((i, p)) => Err(Refusal::UnknownPlace {
                key: format!("groups[{i}].place"),
                place: p.clone(),
            }),
            None => Ok(()),
        }
    }

    /// [`Snapshot::loaded_at`] in seconds since the Unix epoch.
    pub fn loaded_at_unix_secs(&self) -> f64 {
        self.loaded_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// Position of an entry in the base (and the matcher's tables).
    fn position(&self, id: &str) -> Option<usize> {
        self.positions.get(id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::fixtures;

    #[test]
    fn entries_are_found_by_the_ids_decisions_carry() {
        let base = fixtures::base(
            vec![
                fixtures::entry("eia", "转产口罩要办环评吗", &[], &[], "可豁免环评手续。"),
                fixtures::entry(
                    "rad",
                    "辐射安全许可证到期怎么办",
                    &[],
                    &[],
                    "可以自动顺延。",
                ),
            ],
            "",
        );
        let s = Snapshot::build(base, Thresholds::default());
        let d = s.decide("辐射安全许可证到期了怎么办");
        let id = d.best().map(|c| c.id.clone()).expect("a candidate");
        assert_eq!(
            s.entry(id.as_str()).map(|e| e.answer.as_str()),
            Some("可以自动顺延。")
        );
        assert!(s.entry("gone").is_none());
    }

    #[test]
    fn a_refusal_lists_each_problem_on_its_own_line() {
        let p = |m: &str| Problem {
            origin: "e.toml:1".into(),
            what: "entry",
            id: "a".into(),
            message: m.into(),
        };
        let r = Refusal::Problems(vec![p("one"), p("two")]);
        assert_eq!(
            r.messages(),
            vec!["e.toml:1: entry `a`: one", "e.toml:1: entry `a`: two"]
        );
        let empty = Refusal::Empty("x".into()).messages();
        assert_eq!(empty.len(), 1);
        assert!(empty[0].contains("no entries"));
    }
}
