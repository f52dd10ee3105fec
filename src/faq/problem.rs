//! What the checks of the base report ([`Problem`]): kept apart from `check` so that the checks of each
//! kind (`lexicon`, `applies`, `validity`, `load`) can use it without depending on the check that calls
//! them.

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
