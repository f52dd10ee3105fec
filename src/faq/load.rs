//! Reads `faq/` from disk into a [`FaqBase`] (sources, entries, synonyms, dictionary, scope.toml, places.toml,
//! reports.toml). Errors name the file, the line and, where there is one, the entry id.

use super::problem::Problem;
use super::scope::{PlacesFile, ReportsFile, ScopeFile};
use super::{Date, Entry, FaqBase, Origin, Period, Source, Synonym, Terms, validity};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Why the base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: Origin, message: String },
    /// Every problem with dates, replacements and unfinished drafts ([`super::ready`]), one per line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Entries(Vec<Problem>),
}

fn invalid(file: &Path, line: usize, message: impl Into<String>) -> LoadError {
    LoadError::Invalid {
        origin: Origin {
            file: file.display().to_string(),
            line,
        },
        message: message.into(),
    }
}

fn read(path: &Path) -> Result<String, LoadError> {
    fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Files in `dir` ending in `.ext`, sorted so loading is deterministic. A missing dir is empty.
fn files_with_ext(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, LoadError> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    Ok(out)
}

/// Loads sources, entries, synonyms and dictionary words from a `faq/` directory.
pub fn load_dir(dir: &Path) -> Result<FaqBase, LoadError> {
    if !dir.is_dir() {
        return Err(invalid(dir, 0, "FAQ directory not found"));
    }
    let mut base = FaqBase::default();
    for path in files_with_ext(&dir.join("sources"), "txt")? {
        let src = parse_source(&path, &read(&path)?)?;
        base.sources.insert(src.slug.clone(), src);
    }
    for path in files_with_ext(&dir.join("entries"), "toml")? {
        base.entries.extend(parse_entries(&path, &read(&path)?)?);
    }
    for path in files_with_ext(&dir.join("synonyms"), "toml")? {
        base.synonyms.extend(parse_synonyms(&path, &read(&path)?)?);
    }
    for path in files_with_ext(&dir.join("dict"), "txt")? {
        base.dict.extend(parse_dict(&read(&path)?));
    }
    for path in files_with_ext(&dir.join("thesaurus"), "txt")? {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        let name = format!("faq/thesaurus/{file}");
        base.thesaurus
            .extend(super::thesaurus::parse(&name, &read(&path)?));
    }
    let periods = dir.join("periods.toml");
    if periods.is_file() {
        base.periods = parse_periods(&periods, &read(&periods)?)?;
    }
    base.objects = parse_optional::<ScopeFile>(&dir.join("scope.toml"))?.object;
    base.places = parse_optional::<PlacesFile>(&dir.join("places.toml"))?.place;
    base.reports = parse_optional::<ReportsFile>(&dir.join("reports.toml"))?.report;
    validate_references(&base)?;
    let mut problems = super::ready::check(&base.entries);
    problems.extend(validity::resolve(&mut base));
    if !problems.is_empty() {
        // Each entry's problems together, in file order: one run lists everything to fix.
        problems.sort_by_key(|p| base.entries.iter().position(|e| e.id == p.id));
        return Err(LoadError::Entries(problems));
    }
    Ok(base)
}

/// A source file: `key: value` header lines, `---`, then the verbatim body.
pub fn parse_source(path: &Path, text: &str) -> Result<Source, LoadError> {
    let slug = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((header, body)) = text.split_once("\n---\n") else {
        return Err(invalid(path, 1, "missing the `---` line after the header"));
    };
    let mut fields = HashMap::new();
    for (i, line) in header.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            return Err(invalid(path, i + 1, "header lines are `key: value`"));
        };
        fields.insert(k.trim().to_owned(), (i + 1, v.trim().to_owned()));
    }
    let terms = header_terms(path, &mut fields)?;
    let place = fields
        .remove("place")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    let mut take = |key: &str| {
        fields
            .remove(key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(path, 1, format!("header is missing `{key}`")))
    };
    Ok(Source {
        title: take("title")?,
        issuer: take("issuer")?,
        date: take("date")?,
        kind: take("kind")?,
        terms,
        place,
        slug,
        body: body.to_owned(),
    })
}

/// The optional date lines of a source header: `effective`, `expires` (YYYY-MM-DD), `period`, `superseded_by`.
fn header_terms(
    path: &Path,
    fields: &mut HashMap<String, (usize, String)>,
) -> Result<Terms, LoadError> {
    let mut date = |key: &str| match fields.remove(key) {
        None => Ok(None),
        Some((line, v)) => Date::try_from(v)
            .map(Some)
            .map_err(|m| invalid(path, line, format!("`{key}`: {m}"))),
    };
    let (effective, expires) = (date("effective")?, date("expires")?);
    Ok(Terms {
        effective,
        expires,
        period: fields.remove("period").map(|(_, v)| v),
        superseded_by: fields.remove("superseded_by").map(|(_, v)| v),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodsFile {
    #[serde(default)]
    period: Vec<Period>,
}

/// `periods.toml`: `[[period]] id, label, ends`.
fn parse_periods(path: &Path, text: &str) -> Result<Vec<Period>, LoadError> {
    let file: PeriodsFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of_offset(text, s.start)).unwrap_or(0);
        invalid(path, line, e.message().to_owned())
    })?;
    Ok(file.period)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntriesFile {
    #[serde(default)]
    entry: Vec<Entry>,
}

/// Line (1-based) of each `[[entry]]` header, in order, to give entries an origin.
fn entry_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[entry]]"))
        .map(|(i, _)| i + 1)
        .collect()
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

pub(crate) fn parse_entries(path: &Path, text: &str) -> Result<Vec<Entry>, LoadError> {
    let file: EntriesFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of_offset(text, s.start)).unwrap_or(0);
        invalid(path, line, e.message().to_owned())
    })?;
    let lines = entry_lines(text);
    let mut entries = file.entry;
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.origin = Origin {
            file: path.display().to_string(),
            line: lines.get(i).copied().unwrap_or(0),
        };
        check_entry_shape(entry)?;
    }
    Ok(entries)
}

/// Schema rules serde cannot express: non-empty fields, id syntax.
fn check_entry_shape(e: &Entry) -> Result<(), LoadError> {
    let bad = |msg: String| LoadError::Invalid {
        origin: e.origin.clone(),
        message: format!("entry `{}`: {msg}", e.id),
    };
    let id_ok = !e.id.is_empty()
        && e.id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(bad("id must be lowercase ascii, digits and `-`".into()));
    }
    for (name, value) in [
        ("question", &e.question),
        ("answer", &e.answer),
        ("source", &e.source),
        ("clause", &e.clause),
        ("date", &e.date),
    ] {
        if value.trim().is_empty() {
            return Err(bad(format!("`{name}` is empty")));
        }
    }
    if e.alternates.iter().any(|a| a.trim().is_empty()) {
        return Err(bad("an alternate is empty".into()));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsFile {
    #[serde(default)]
    synonym: Vec<Synonym>,
}

fn parse_synonyms(path: &Path, text: &str) -> Result<Vec<Synonym>, LoadError> {
    let file: SynonymsFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of_offset(text, s.start)).unwrap_or(0);
        invalid(path, line, e.message().to_owned())
    })?;
    Ok(file.synonym)
}

/// A TOML file that may be absent (then empty).
fn parse_optional<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T, LoadError> {
    if !path.exists() {
        return Ok(T::default());
    }
    let text = read(path)?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| line_of_offset(&text, s.start))
            .unwrap_or(0);
        invalid(path, line, e.message().to_owned())
    })
}

/// jieba dictionary lines: `word [freq] [tag]`; `#` starts a comment.
fn parse_dict(text: &str) -> Vec<(String, Option<usize>)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let word = parts.next()?.to_owned();
            let freq = parts.next().and_then(|f| f.parse().ok());
            Some((word, freq))
        })
        .collect()
}

/// Unique ids, known sources, known related ids.
fn validate_references(base: &FaqBase) -> Result<(), LoadError> {
    let mut seen = HashSet::new();
    for e in &base.entries {
        let bad = |message: String| LoadError::Invalid {
            origin: e.origin.clone(),
            message: format!("entry `{}`: {message}", e.id),
        };
        if !seen.insert(e.id.as_str()) {
            return Err(bad("duplicate id".into()));
        }
        if !base.sources.contains_key(&e.source) {
            return Err(bad(format!("source `{}` not found in sources/", e.source)));
        }
    }
    for e in &base.entries {
        if let Some(r) = e.related.iter().find(|r| !seen.contains(r.as_str())) {
            return Err(LoadError::Invalid {
                origin: e.origin.clone(),
                message: format!("entry `{}`: related id `{r}` does not exist", e.id),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_needs_its_header_fields() {
        let err = parse_source(Path::new("x.txt"), "title: t\n---\nbody").unwrap_err();
        assert!(err.to_string().contains("issuer"), "{err}");
    }

    #[test]
    fn a_source_body_is_kept_verbatim() {
        let text = "title: T\nissuer: I\ndate: 2020-02-21\nkind: 政策文件\n---\n第一行\n\n第二行\n";
        let s = parse_source(Path::new("faq/sources/a.txt"), text).unwrap();
        assert_eq!(s.slug, "a");
        assert_eq!(s.body, "第一行\n\n第二行\n");
    }

    #[test]
    fn entry_errors_name_file_line_and_id() {
        let text = "[[entry]]\nid = \"ok\"\nquestion = \"q\"\nanswer = \"a\"\nsource = \"s\"\nclause = \"c\"\ndate = \"d\"\n\n[[entry]]\nid = \"Bad Id\"\nquestion = \"q\"\nanswer = \"a\"\nsource = \"s\"\nclause = \"c\"\ndate = \"d\"\n";
        let err = parse_entries(Path::new("e.toml"), text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.toml:9: entry `Bad Id`: id must be lowercase ascii, digits and `-`"
        );
    }

    #[test]
    fn keywords_are_parsed_at_load_and_a_bad_regex_names_its_line() {
        let entry = "[[entry]]\nid = \"a\"\nquestion = \"q\"\nanswer = \"a\"\nsource = \"s\"\nclause = \"c\"\ndate = \"d\"\n";
        let ok = format!("{entry}keywords = [\"口罩\", \"re:转产.{{0,4}}口罩\"]\n");
        let e = &parse_entries(Path::new("e.toml"), &ok).unwrap()[0];
        assert_eq!(e.keywords[0].plain(), Some("口罩"));
        assert!(
            matches!(&e.keywords[1], super::super::Keyword::Regex(r) if r.is_match("转产做口罩"))
        );
        let bad = format!("{entry}keywords = [\"re:(口罩\"]\n");
        let err = parse_entries(Path::new("e.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("e.toml:8: keyword regex `(口罩`: "),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_rejected_with_a_line() {
        let text = "[[entry]]\nid = \"a\"\nquestoin = \"q\"\n";
        let err = parse_entries(Path::new("e.toml"), text).unwrap_err();
        assert!(err.to_string().starts_with("e.toml:"), "{err}");
    }

    #[test]
    fn a_bad_date_in_an_entry_or_a_source_header_names_its_line() {
        let text = "[[entry]]\nid = \"a\"\nquestion = \"q\"\nanswer = \"a\"\nsource = \"s\"\nclause = \"c\"\ndate = \"2020-02-21\"\nexpires = \"2023-02-29\"\n";
        let err = parse_entries(Path::new("e.toml"), text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.toml:8: `2023-02-29` is not a date (YYYY-MM-DD)"
        );
        let text =
            "title: T\nissuer: I\ndate: 2020-02-21\nkind: 政策文件\nexpires: 2023-1-8\n---\nbody";
        let err = parse_source(Path::new("s.txt"), text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "s.txt:5: `expires`: `2023-1-8` is not a date (YYYY-MM-DD)"
        );
    }

    #[test]
    fn source_headers_carry_terms_for_their_entries() {
        let text = "title: T\nissuer: I\ndate: 2020-02-21\nkind: 政策文件\nperiod: epidemic\nsuperseded_by: 《新办法》\n---\nbody";
        let s = parse_source(Path::new("s.txt"), text).unwrap();
        assert_eq!(s.terms.period.as_deref(), Some("epidemic"));
        assert_eq!(s.terms.superseded_by.as_deref(), Some("《新办法》"));
        assert_eq!(s.place, None);
        let local = "title: T\nissuer: I\ndate: 2020-03\nkind: 人物通讯\nplace: 鹿邑\n---\nbody";
        let s = parse_source(Path::new("s.txt"), local).unwrap();
        assert_eq!(s.place.as_deref(), Some("鹿邑"));
        assert_eq!(s.place_text(), "鹿邑");
    }

    #[test]
    fn periods_need_a_valid_end_date() {
        let ok = parse_periods(
            Path::new("periods.toml"),
            "[[period]]\nid = \"epidemic\"\nlabel = \"疫情期间\"\nends = \"2023-01-08\"\n",
        )
        .unwrap();
        assert_eq!(ok[0].ends.to_string(), "2023-01-08");
        let err = parse_periods(
            Path::new("periods.toml"),
            "[[period]]\nid = \"x\"\nlabel = \"x\"\nends = \"soon\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("periods.toml:4: "), "{err}");
    }

    #[test]
    fn dictionary_lines_take_optional_frequency() {
        let d = parse_dict("告知承诺制 2000 n\n容缺办理\n# comment\n");
        assert_eq!(
            d,
            vec![("告知承诺制".into(), Some(2000)), ("容缺办理".into(), None)]
        );
    }
}
