//! What a reload changed, by entry id: added, changed and removed. An entry has changed when anything
//! the bot says or decides with it has: any of its fields (where it sits in its file aside, so an entry
//! added above others does not mark them all), its resolved dates, or the citation of its source.

use super::Snapshot;
use crate::faq::{Entry, FaqBase};
use serde::{Deserialize, Serialize};

/// Entry ids, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Changes {
    /// From `old` to `new`.
    pub fn between(old: &Snapshot, new: &Snapshot) -> Changes {
        let mut c = Changes::default();
        for e in &new.base.entries {
            match old.entry(&e.id) {
                None => c.added.push(e.id.clone()),
                Some(before) if !same(&old.base, before, &new.base, e) => {
                    c.changed.push(e.id.clone())
                }
                Some(_) => {}
            }
        }
        let gone = old
            .base
            .entries
            .iter()
            .filter(|e| new.entry(&e.id).is_none());
        c.removed = gone.map(|e| e.id.clone()).collect();
        for ids in [&mut c.added, &mut c.changed, &mut c.removed] {
            ids.sort();
        }
        c
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// True when entry `a` of `old` and entry `b` of `new` say and decide the same.
fn same(old: &FaqBase, a: &Entry, new: &FaqBase, b: &Entry) -> bool {
    let moved = Entry {
        origin: b.origin.clone(),
        ..a.clone()
    };
    let citation = |base: &FaqBase, e: &Entry| {
        base.source_of(e).map(|s| {
            (
                s.title.clone(),
                s.issuer.clone(),
                s.date.clone(),
                s.kind.clone(),
            )
        })
    };
    moved == *b && citation(old, a) == citation(new, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::fixtures;
    use crate::matcher::Thresholds;

    fn snapshot(entries: Vec<Entry>) -> Snapshot {
        Snapshot::build(fixtures::base(entries, ""), Thresholds::default())
    }

    fn entry(id: &str, answer: &str) -> Entry {
        fixtures::entry(id, "问题", &[], &[], answer)
    }

    #[test]
    fn entries_are_added_changed_or_removed_by_id() {
        let old = snapshot(vec![entry("a", "x"), entry("b", "y"), entry("c", "z")]);
        let new = snapshot(vec![entry("d", "w"), entry("b", "y2"), entry("a", "x")]);
        assert_eq!(
            Changes::between(&old, &new),
            Changes {
                added: vec!["d".into()],
                changed: vec!["b".into()],
                removed: vec!["c".into()],
            }
        );
    }

    #[test]
    fn an_entry_moved_in_its_file_is_not_changed_but_a_new_keyword_is() {
        let old = snapshot(vec![entry("a", "x")]);
        let mut moved = entry("a", "x");
        moved.origin.line = 40;
        assert!(Changes::between(&old, &snapshot(vec![moved])).is_empty());
        let keyworded = fixtures::entry("a", "问题", &[], &["re:口罩"], "x");
        assert_eq!(
            Changes::between(&old, &snapshot(vec![keyworded])).changed,
            vec!["a"]
        );
    }

    #[test]
    fn a_new_citation_of_the_source_changes_its_entries() {
        let old = snapshot(vec![entry("a", "x")]);
        let mut base = fixtures::base(vec![entry("a", "x")], "");
        base.sources.get_mut("s").unwrap().title = "新标题".into();
        let new = Snapshot::build(base, Thresholds::default());
        assert_eq!(Changes::between(&old, &new).changed, vec!["a"]);
    }
}
