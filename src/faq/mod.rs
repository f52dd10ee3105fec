//! The FAQ base: policy sources, curated entries, synonyms, the domain dictionary and the scope lexicon
//! (objects, places, city reports), as loaded from `faq/`.
//!
//! Invariants: a loaded [`FaqBase`] has unique entry ids, every entry names an existing source and has its
//! [`Timeline`] (when it is in force, [`validity`]), and its [`Keyword`]s are parsed (regexes compiled).
//! Content checks of the base alone (verbatim quotes, shared phrasings) live in [`check`]; whom an entry
//! applies to, its editor's note and its review trail are checked in [`applies`]. That each phrasing is
//! answered by its entry needs the matcher: `crate::snapshot` checks it. This module depends on neither
//! the matcher nor the snapshot; both build on it.
//! A loaded base holds no draft ([`ready`]: no `TODO`, enough phrasings, officer answers reviewed and
//! publicly cited), so nothing that loads it can serve one.

pub mod applies;
pub mod check;
pub mod date;
pub mod draft;
mod keyword;
mod lexicon;
mod load;
mod pattern;
pub mod problem;
pub mod ready;
pub mod report;
pub mod scope;
pub mod thesaurus;
pub mod validity;

pub use date::Date;
pub use keyword::{Keyword, Pattern};
pub use load::{LoadError, load_dir, parse_source as parse_source_file};
pub use validity::{Period, Status, Terms, Timeline};

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// One policy document or news item, verbatim, with what a citation needs.
#[derive(Debug, Clone)]
pub struct Source {
    /// File stem in `faq/sources/`, referenced by entries.
    pub slug: String,
    pub title: String,
    pub issuer: String,
    pub date: String,
    /// One of [`applies::SOURCE_KINDS`]: 政策文件 | 政策报道 | 问答 | 工作动态 | 人物通讯 | 工作人员答复.
    pub kind: String,
    /// Optional header lines `effective:`, `expires:`, `period:`, `superseded_by:` for all its entries.
    pub terms: Terms,
    /// Optional header line `place:`: the place of `places.toml` whose source it is (a city's or county's
    /// item). Without it, the places its title and issuer name.
    pub place: Option<String>,
    /// The text after the `---` line, exactly as in the file.
    pub body: String,
}

impl Source {
    /// The text that says whose source it is: its `place:` line, or else its title and issuer.
    pub fn place_text(&self) -> String {
        match &self.place {
            Some(p) => p.clone(),
            None => format!("{}\n{}", self.title, self.issuer),
        }
    }
}

/// One curated question and its verbatim answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub alternates: Vec<String>,
    /// Phrases and (`re:…`) patterns that point at this entry, parsed at load.
    #[serde(default)]
    pub keywords: Vec<Keyword>,
    pub answer: String,
    pub source: String,
    pub clause: String,
    pub date: String,
    #[serde(default)]
    pub validity: Option<String>,
    /// First day in force; default: the source's `effective`, else `date`.
    #[serde(default)]
    pub effective: Option<Date>,
    /// First day no longer in force (or give `period`).
    #[serde(default)]
    pub expires: Option<Date>,
    /// A shared period of `faq/periods.toml` (e.g. `epidemic`) whose end is this measure's end.
    #[serde(default)]
    pub period: Option<String>,
    /// The entry id or document title that replaced this measure.
    #[serde(default)]
    pub superseded_by: Option<String>,
    #[serde(default)]
    pub related: Vec<String>,
    /// Set by the officer-draft export: the answer is an officer's words, not a policy quote.
    #[serde(default)]
    pub officer_authored: bool,
    /// Whom the measure applies to, where its text limits it (a place, a kind of enterprise or project,
    /// a setting). When the measure ends is `period`/`expires` above.
    #[serde(default)]
    pub applies_to: AppliesTo,
    /// The words of the quote that limit the measure (its subject and conditions: 生产企业, 疫情防控急需…);
    /// `faq check` fails when the answer no longer contains one of them.
    #[serde(default)]
    pub limited_by: Vec<String>,
    /// The department's note, shown after the quote and marked as not part of it (编者注), e.g. correcting
    /// an error of the source. Needs `reviewed_by` and `reviewed_on`.
    #[serde(default)]
    pub note: Option<String>,
    /// Who reviewed the entry (required for officer-authored entries and entries with a `note`).
    #[serde(default)]
    pub reviewed_by: Option<String>,
    /// When it was reviewed.
    #[serde(default)]
    pub reviewed_on: Option<Date>,
    /// File and line the entry starts at, for error messages.
    #[serde(skip)]
    pub origin: Origin,
    /// When the measure is in force, resolved at load (see [`validity`]).
    #[serde(skip)]
    pub timeline: Timeline,
}

/// Whom a measure applies to. Empty (the default) for a measure that applies to every enterprise asking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// The place of `places.toml` whose measure this is; required on every entry of a city's or county's
    /// source. Such an entry should answer only a question that names the place (or a place inside it).
    #[serde(default)]
    pub place: Option<String>,
    /// The kind of enterprise or project the measure is written for (危险化学品生产企业, 疫情防控急需的建设项目…).
    #[serde(default)]
    pub enterprise: Option<String>,
    /// Who the advice is for, when it is not enterprises in general.
    #[serde(default)]
    pub setting: Option<Setting>,
}

/// The setting advice is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Setting {
    /// A household (居家): must not answer a question about a factory or a firm.
    Household,
    /// A workplace's staff protection (offices, canteens, lifts).
    Workplace,
    /// Enterprises (the default when no setting is given).
    Enterprise,
}

impl Entry {
    /// The place this entry's measure belongs to, when it is a city's or county's.
    pub fn place(&self) -> Option<&str> {
        self.applies_to.place.as_deref()
    }

    /// True for advice written for households, which must not answer a factory's question.
    pub fn is_household(&self) -> bool {
        self.applies_to.setting == Some(Setting::Household)
    }

    /// True when someone has reviewed the entry (both `reviewed_by` and `reviewed_on`).
    pub fn is_reviewed(&self) -> bool {
        self.reviewed_on.is_some()
            && self
                .reviewed_by
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty())
    }
}

/// Where something was read from, so errors can name file and line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// An entry's id as decisions carry it: cheap to clone, and still meaningful after a reload has moved
/// or removed entries (a position into the entries would not be).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(Arc<str>);

impl EntryId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for EntryId {
    fn from(id: &str) -> EntryId {
        EntryId(id.into())
    }
}

impl std::borrow::Borrow<str> for EntryId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A canonical term and the variants rewritten to it before matching.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synonym {
    pub canonical: String,
    pub variants: Vec<String>,
}

/// Everything under `faq/`, parsed.
#[derive(Debug, Clone, Default)]
pub struct FaqBase {
    pub sources: HashMap<String, Source>,
    pub entries: Vec<Entry>,
    pub synonyms: Vec<Synonym>,
    /// Extra segmenter words: (word, optional frequency).
    pub dict: Vec<(String, Option<usize>)>,
    /// Shared periods of temporary measures, from `periods.toml`.
    pub periods: Vec<Period>,
    /// Objects a question can name that the answering entry must cover (`scope.toml`).
    pub objects: Vec<scope::ScopeObject>,
    /// Places a question can name (`places.toml`).
    pub places: Vec<scope::Place>,
    /// City reports of provincial measures (`reports.toml`).
    pub reports: Vec<scope::Report>,
    /// General-vocabulary synonym groups (`thesaurus/*.txt`).
    pub thesaurus: Vec<thesaurus::Group>,
}

impl FaqBase {
    /// The entry with this id, if any.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The source an entry cites. Loading guarantees it exists.
    pub fn source_of(&self, entry: &Entry) -> Option<&Source> {
        self.sources.get(&entry.source)
    }
}

/// Small in-code bases for unit tests of the checks and the matcher.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// An entry citing source `s`, from `e.toml` line 1.
    pub fn entry(
        id: &str,
        question: &str,
        alternates: &[&str],
        keywords: &[&str],
        answer: &str,
    ) -> Entry {
        Entry {
            id: id.into(),
            question: question.into(),
            alternates: alternates.iter().map(|s| s.to_string()).collect(),
            keywords: keywords
                .iter()
                .map(|k| Keyword::parse(k).expect("a valid keyword"))
                .collect(),
            answer: answer.into(),
            source: "s".into(),
            clause: "一".into(),
            date: "2020-02-21".into(),
            validity: None,
            effective: None,
            expires: None,
            period: None,
            superseded_by: None,
            related: vec![],
            officer_authored: false,
            applies_to: AppliesTo::default(),
            limited_by: vec![],
            note: None,
            reviewed_by: None,
            reviewed_on: None,
            origin: Origin {
                file: "e.toml".into(),
                line: 1,
            },
            timeline: Timeline::default(),
        }
    }

    /// A base of `entries` with one source `s` whose text is `body`.
    pub fn base(entries: Vec<Entry>, body: &str) -> FaqBase {
        let mut b = FaqBase {
            entries,
            ..FaqBase::default()
        };
        let source = Source {
            slug: "s".into(),
            title: "T".into(),
            issuer: "I".into(),
            date: "2020-02-21".into(),
            kind: "政策文件".into(),
            terms: Terms::default(),
            place: None,
            body: body.into(),
        };
        b.sources.insert("s".into(), source);
        b
    }
}
