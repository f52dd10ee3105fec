//! The TOML text of a config file: the key and line an error is at, and the deep merge of a file over
//! the embedded example.

use regex::Regex;
use std::sync::LazyLock;

/// Where a TOML syntax error is: the key it is in, if any, and the line (`server.listen (line 2)`).
pub(super) fn syntax_error_at(text: &str, e: &toml::de::Error) -> String {
    let Some(start) = e.span().map(|s| s.start.min(text.len())) else {
        return "config".into();
    };
    let line = text.as_bytes()[..start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    match key_at(text, start) {
        Some(key) => format!("{key} (line {line})"),
        None => format!("config (line {line})"),
    }
}

/// The dotted key whose assignment covers byte `pos` of `text`: the nearest `key =` at or above that
/// line, under the nearest `[table]` header above it.
pub(super) fn key_at(text: &str, pos: usize) -> Option<String> {
    static ASSIGN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"^\s*([A-Za-z0-9_\-."']+)\s*="#).expect("static regex"));
    let upto = text.get(..pos.min(text.len()))?;
    let line_end = text[upto.len()..]
        .find('\n')
        .map_or(text.len(), |i| upto.len() + i);
    let mut key = None;
    for line in text[..line_end].lines().rev() {
        let line = line.trim();
        if line.starts_with('[') {
            let table = line.trim_matches(|c| c == '[' || c == ']').trim();
            return Some(match key {
                Some(k) => format!("{table}.{k}"),
                None => table.to_owned(),
            });
        }
        if key.is_none() {
            key = ASSIGN
                .captures(line)
                .map(|c| c[1].trim_matches(['"', '\'']).to_owned());
        }
    }
    key
}

/// Deep-merges `overlay` into `base`: tables merge, other values replace.
pub(super) fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
