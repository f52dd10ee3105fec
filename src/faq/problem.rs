//! What the checks of the base report ([`Problem`]) and the one text rule they share ([`squeeze`]):
//! kept apart from `check` so that the checks of each kind (`lexicon`, `applies`, `validity`, `load`)
//! and the matcher can use them without depending on the check that calls them.

/// One failed check.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub origin: String,
    /// What `id` names: entry, object, place, report or synonym.
    pub what: &'static str,
    pub id: String,
    pub message: String,
}

impl Problem {
    /// A problem of entry `e`.
    pub fn entry(e: &super::Entry, message: String) -> Problem {
        Problem {
            origin: e.origin.to_string(),
            what: "entry",
            id: e.id.clone(),
            message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} `{}`: {}",
            self.origin, self.what, self.id, self.message
        )
    }
}

/// Text with every white-space character removed, for verbatim comparison.
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}
