//! The scope lexicon (`faq/scope.toml`: objects such as other agencies' licences, taxes, funds), the places
//! (`faq/places.toml`, with their parent places) and the city reports of provincial measures
//! (`faq/reports.toml`): data the matcher uses to refuse answers that do not apply, reviewed like entries.

use serde::Deserialize;

/// One thing a question can name (a licence, an acceptance, a tax…) under its several names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeObject {
    /// licence | acceptance | fund | fee | tax | loan | insurance | matter.
    pub kind: String,
    pub names: Vec<String>,
}

/// The kinds a [`ScopeObject`] may have.
pub const OBJECT_KINDS: &[&str] = &[
    "licence",
    "acceptance",
    "fund",
    "fee",
    "tax",
    "loan",
    "insurance",
    "matter",
];

/// A province, city or county, inside its parent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub parent: Option<String>,
}

impl Place {
    /// The name and its aliases.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.name).chain(&self.aliases)
    }
}

/// Entry `entry` reports, for `place`, the measure that entry `measure` quotes from a provincial document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub entry: String,
    pub place: String,
    pub measure: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScopeFile {
    #[serde(default)]
    pub object: Vec<ScopeObject>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlacesFile {
    #[serde(default)]
    pub place: Vec<Place>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportsFile {
    #[serde(default)]
    pub report: Vec<Report>,
}

/// True when place `name` is `place` or lies inside it (parents followed at most 8 levels).
pub fn inside(base: &super::FaqBase, name: &str, place: &str) -> bool {
    let mut p = Some(name);
    for _ in 0..8 {
        match p {
            Some(x) if x == place => return true,
            Some(x) => {
                p = base
                    .places
                    .iter()
                    .find(|q| q.name == x)
                    .and_then(|q| q.parent.as_deref())
            }
            None => return false,
        }
    }
    false
}
