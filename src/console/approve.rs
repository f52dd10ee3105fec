//! An admin approves a draft: it is written into `faq/entries/` as reviewable TOML (edited in place with
//! `toml_edit`, so the rest of the file keeps its layout and comments). A new answer becomes an
//! officer-authored entry of `entries/officer.toml` citing the officers' source, reviewed by the
//! approving admin, with the question, phrasings, answer and public citation (`clause`) as the admin
//! completed them on the page; new phrasings of an existing entry are appended to its `alternates`. Whether the
//! edited base is fit to serve is the reload's `faq check`; when it is not, [`Written::undo`] puts the
//! file back as it was.

use crate::store::Draft;
use std::path::{Path, PathBuf};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

/// The file approved officer answers go to.
pub const OFFICER_FILE: &str = "officer.toml";
/// The source every officer-authored entry cites.
const OFFICER_SOURCE: &str = "officer-answers";

/// What was written, and how to take it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The entry created or given new phrasings.
    pub entry: String,
    pub file: PathBuf,
    /// The file's text before, `None` when it was created.
    before: Option<String>,
}

impl Written {
    /// Puts the file back as it was.
    pub fn undo(&self) -> std::io::Result<()> {
        match &self.before {
            Some(text) => std::fs::write(&self.file, text),
            None => std::fs::remove_file(&self.file),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(String),
}

/// Writes draft `d` into the base in `faq_dir` as reviewed by `reviewer` on `today` (`YYYY-MM-DD`); a new
/// entry cites `clause`.
pub fn write(
    faq_dir: &Path,
    d: &Draft,
    clause: &str,
    reviewer: &str,
    today: &str,
) -> Result<Written, ApproveError> {
    let entries = faq_dir.join("entries");
    let (file, entry) = match &d.faq_id {
        None => (entries.join(OFFICER_FILE), format!("officer-{}", d.ticket)),
        Some(id) => (file_of(&entries, id)?, id.clone()),
    };
    let before = std::fs::read_to_string(&file).ok();
    let mut doc: DocumentMut = before
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|e| io(&file, e))?;
    match &d.faq_id {
        None => add_entry(&mut doc, d, &entry, clause, (reviewer, today))?,
        Some(id) => add_phrasings(&mut doc, d, id)?,
    }
    // A new file opens with what it is (toml_edit would not keep a comment above the first table).
    let header = if before.is_none() { HEADER } else { "" };
    std::fs::write(&file, format!("{header}{doc}")).map_err(|e| io(&file, e))?;
    Ok(Written {
        entry,
        file,
        before,
    })
}

const HEADER: &str = "# Officer-authored entries approved in the console: each is an officer's answer to a ticket,\n\
# reviewed by the admin named in reviewed_by. They cite the officers' source, never a policy document.\n";

fn io(file: &Path, e: impl std::fmt::Display) -> ApproveError {
    ApproveError::Io(format!("{}: {e}", file.display()))
}

fn add_entry(
    doc: &mut DocumentMut,
    d: &Draft,
    id: &str,
    clause: &str,
    (reviewer, today): (&str, &str),
) -> Result<(), ApproveError> {
    if d.answer.trim().is_empty() || clause.trim().is_empty() {
        return Err(ApproveError::Refused(
            "the entry needs an answer and a clause".into(),
        ));
    }
    let list = entry_list(doc)?;
    if list
        .iter()
        .any(|t| t.get("id").and_then(Item::as_str) == Some(id))
    {
        return Err(ApproveError::Refused(format!(
            "entry `{id}` exists already"
        )));
    }
    let mut t = Table::new();
    t["id"] = value(id);
    t["question"] = value(d.question.trim());
    t["alternates"] = value(strings(
        d.alternates
            .iter()
            .filter(|a| a.trim() != d.question.trim()),
    ));
    t["answer"] = value(d.answer.trim());
    t["source"] = value(OFFICER_SOURCE);
    t["clause"] = value(clause.trim());
    t["date"] = value(today);
    t["officer_authored"] = value(true);
    t["reviewed_by"] = value(reviewer);
    t["reviewed_on"] = value(today);
    list.push(t);
    Ok(())
}

fn add_phrasings(doc: &mut DocumentMut, d: &Draft, id: &str) -> Result<(), ApproveError> {
    let list = entry_list(doc)?;
    let entry = list
        .iter_mut()
        .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
        .ok_or_else(|| ApproveError::Refused(format!("no entry `{id}`")))?;
    let question = entry
        .get("question")
        .and_then(Item::as_str)
        .unwrap_or("")
        .to_owned();
    let alternates = entry
        .entry("alternates")
        .or_insert(value(Array::new()))
        .as_array_mut()
        .ok_or_else(|| ApproveError::Refused(format!("`alternates` of `{id}` is not a list")))?;
    for p in std::iter::once(&d.question)
        .chain(&d.alternates)
        .map(|p| p.trim())
    {
        let known = p == question || alternates.iter().any(|a| a.as_str() == Some(p));
        if !known && !p.is_empty() {
            alternates.push(p);
        }
    }
    Ok(())
}

fn entry_list(doc: &mut DocumentMut) -> Result<&mut ArrayOfTables, ApproveError> {
    doc.entry("entry")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or_else(|| ApproveError::Refused("`entry` is not a list of tables".into()))
}

fn strings<'a>(items: impl Iterator<Item = &'a String>) -> Array {
    let mut seen: Vec<&str> = Vec::new();
    let mut a = Array::new();
    for s in items.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !seen.contains(&s) {
            seen.push(s);
            a.push(s);
        }
    }
    a
}

/// The entries file that holds entry `id`.
fn file_of(entries: &Path, id: &str) -> Result<PathBuf, ApproveError> {
    let dir = std::fs::read_dir(entries).map_err(|e| io(entries, e))?;
    let mut files: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|x| x == "toml"))
    {
        let Ok(doc) = std::fs::read_to_string(&f).map(|t| t.parse::<DocumentMut>()) else {
            continue;
        };
        let holds = doc.ok().and_then(|d| {
            let list = d.get("entry")?.as_array_of_tables()?;
            Some(
                list.iter()
                    .any(|t| t.get("id").and_then(Item::as_str) == Some(id)),
            )
        });
        if holds == Some(true) {
            return Ok(f);
        }
    }
    Err(ApproveError::Refused(format!(
        "no entry `{id}` in {}",
        entries.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(faq_id: Option<&str>) -> Draft {
        Draft {
            ticket: 7,
            faq_id: faq_id.map(str::to_owned),
            question: "园区食堂周末开门吗".into(),
            alternates: vec!["园区食堂周末开门吗".into(), "周六食堂开不开".into()],
            answer: "周末照常开放。".into(),
            officer: "王科长".into(),
            created_ms: 0,
        }
    }

    fn base_with(entries: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("entries")).unwrap();
        std::fs::write(dir.path().join("entries/a.toml"), entries).unwrap();
        dir
    }

    #[test]
    fn a_new_entry_is_appended_reviewed_and_undo_removes_the_file_it_made() {
        let dir = base_with("");
        let w = write(
            dir.path(),
            &draft(None),
            "园区食堂开放时间",
            "李处长",
            "2026-12-02",
        )
        .unwrap();
        let text = std::fs::read_to_string(&w.file).unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        let e = &doc["entry"][0];
        assert_eq!(e["id"].as_str(), Some("officer-7"));
        assert_eq!(
            e["alternates"].as_array().unwrap().len(),
            1,
            "the question is not repeated"
        );
        assert_eq!(e["clause"].as_str(), Some("园区食堂开放时间"));
        assert_eq!(e["reviewed_by"].as_str(), Some("李处长"));
        assert_eq!(e["officer_authored"].as_bool(), Some(true));
        assert!(text.starts_with("# Officer-authored entries"));
        w.undo().unwrap();
        assert!(!w.file.exists());
    }

    #[test]
    fn new_phrasings_are_added_in_place_keeping_the_file_and_undo_restores_it() {
        let original = "# kept comment\n[[entry]]\nid = \"x\"\nquestion = \"Q\"\nalternates = [\"周六食堂开不开\"]\n";
        let dir = base_with(original);
        let w = write(dir.path(), &draft(Some("x")), "", "李处长", "2026-12-02").unwrap();
        let text = std::fs::read_to_string(&w.file).unwrap();
        assert!(
            text.starts_with("# kept comment\n[[entry]]\nid = \"x\""),
            "{text}"
        );
        let doc: toml::Table = toml::from_str(&text).unwrap();
        let alts: Vec<&str> = doc["entry"][0]["alternates"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(alts, vec!["周六食堂开不开", "园区食堂周末开门吗"]);
        w.undo().unwrap();
        assert_eq!(std::fs::read_to_string(&w.file).unwrap(), original);
    }

    #[test]
    fn a_new_entry_without_a_clause_or_for_an_unknown_entry_is_refused() {
        let dir = base_with("");
        assert!(matches!(
            write(dir.path(), &draft(None), " ", "李处长", "2026-12-02"),
            Err(ApproveError::Refused(_))
        ));
        assert!(matches!(
            write(dir.path(), &draft(Some("nope")), "", "李处长", "2026-12-02"),
            Err(ApproveError::Refused(_))
        ));
    }
}
