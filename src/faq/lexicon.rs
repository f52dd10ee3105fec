//! `faq check` for the files beside the entries: the scope lexicon (`scope.toml`), the places
//! (`places.toml`), the city reports of provincial measures (`reports.toml`) and the synonym thesaurus
//! (`synonyms/*.toml`). Each problem names the file and the item.

use super::FaqBase;
use super::problem::Problem;
use super::scope::OBJECT_KINDS;
use crate::text::normalize;
use std::collections::HashMap;

fn problem(file: &str, id: &str, message: String) -> Problem {
    let what = match file {
        "scope.toml" => "object",
        "places.toml" => "place",
        "reports.toml" => "report",
        _ => "synonym",
    };
    Problem {
        origin: format!("faq/{file}"),
        what,
        id: id.to_owned(),
        message,
    }
}

/// Every lexicon problem of the base.
pub fn check(base: &FaqBase) -> Vec<Problem> {
    let mut out = object_problems(base);
    out.extend(place_problems(base));
    out.extend(report_problems(base));
    out.extend(synonym_problems(base));
    out
}

/// Objects: a known kind, names that are not empty and belong to no other object or place.
fn object_problems(base: &FaqBase) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut owner: HashMap<String, String> = HashMap::new();
    for p in &base.places {
        for n in p.names() {
            owner.insert(normalize(n), format!("place `{}`", p.name));
        }
    }
    for (i, o) in base.objects.iter().enumerate() {
        let id = o.names.first().map_or("", String::as_str);
        if !OBJECT_KINDS.contains(&o.kind.as_str()) {
            out.push(problem(
                "scope.toml",
                id,
                format!("unknown kind `{}`", o.kind),
            ));
        }
        if o.names.is_empty() || o.names.iter().any(|n| normalize(n).is_empty()) {
            out.push(problem(
                "scope.toml",
                id,
                "an object needs non-empty names".into(),
            ));
        }
        for n in &o.names {
            let this = format!("object {} `{id}`", i + 1);
            match owner.insert(normalize(n), this.clone()) {
                Some(other) if other != this => out.push(problem(
                    "scope.toml",
                    id,
                    format!("name `{n}` also belongs to {other}"),
                )),
                _ => {}
            }
        }
    }
    out
}

/// Places: unique names, a known parent, no cycle.
fn place_problems(base: &FaqBase) -> Vec<Problem> {
    let mut out = Vec::new();
    let parents: HashMap<&str, Option<&str>> = base
        .places
        .iter()
        .map(|p| (p.name.as_str(), p.parent.as_deref()))
        .collect();
    let mut seen: HashMap<String, &str> = HashMap::new();
    for p in &base.places {
        for n in p.names() {
            if let Some(other) = seen.insert(normalize(n), &p.name) {
                out.push(problem(
                    "places.toml",
                    &p.name,
                    format!("name `{n}` is also used by place `{other}`"),
                ));
            }
        }
        if let Some(parent) = p.parent.as_deref().filter(|x| !parents.contains_key(x)) {
            out.push(problem(
                "places.toml",
                &p.name,
                format!("parent `{parent}` is not a place"),
            ));
        }
        let mut up = p.parent.as_deref();
        for _ in 0..parents.len() {
            match up {
                Some(x) if x == p.name => {
                    out.push(problem(
                        "places.toml",
                        &p.name,
                        "is its own ancestor".into(),
                    ));
                    break;
                }
                Some(x) => up = parents.get(x).copied().flatten(),
                None => break,
            }
        }
    }
    out
}

/// The names of a place and of every place inside it.
fn names_within<'a>(base: &'a FaqBase, place: &str) -> Vec<&'a String> {
    base.places
        .iter()
        .filter(|p| super::scope::inside(base, &p.name, place))
        .flat_map(|p| p.names())
        .collect()
}

/// Reports: both entries and the place exist; the report's source belongs to the place; the measure's
/// source is not a city's or county's.
fn report_problems(base: &FaqBase) -> Vec<Problem> {
    let mut out = Vec::new();
    let header = |id: &str| {
        base.entry(id)
            .and_then(|e| base.source_of(e))
            .map(|s| s.place_text())
    };
    let local_names: Vec<&String> = base
        .places
        .iter()
        .filter(|p| p.parent.is_some())
        .flat_map(|p| p.names())
        .collect();
    for r in &base.reports {
        let bad = |m: String| problem("reports.toml", &r.entry, m);
        let (Some(report), Some(measure)) = (header(&r.entry), header(&r.measure)) else {
            out.push(bad(format!(
                "entry `{}` or `{}` does not exist",
                r.entry, r.measure
            )));
            continue;
        };
        if r.entry == r.measure {
            out.push(bad("an entry cannot report itself".into()));
        }
        let within = names_within(base, &r.place);
        if within.is_empty() {
            out.push(bad(format!("place `{}` is not in places.toml", r.place)));
        } else if !within.iter().any(|n| report.contains(n.as_str())) {
            out.push(bad(format!("its source is not from `{}`", r.place)));
        }
        if let Some(n) = local_names.iter().find(|n| measure.contains(n.as_str())) {
            out.push(bad(format!(
                "measure `{}` is local to `{n}`, not provincial",
                r.measure
            )));
        }
    }
    out
}

/// Synonyms: a variant differs from its canonical form and is rewritten to one canonical form only.
fn synonym_problems(base: &FaqBase) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut canonical_of: HashMap<String, &str> = HashMap::new();
    for s in &base.synonyms {
        if normalize(&s.canonical).is_empty() || s.variants.is_empty() {
            out.push(problem(
                "synonyms",
                &s.canonical,
                "a synonym needs a canonical form and variants".into(),
            ));
        }
        for v in &s.variants {
            let key = normalize(v);
            if key.is_empty() || key == normalize(&s.canonical) {
                out.push(problem(
                    "synonyms",
                    &s.canonical,
                    format!("variant `{v}` is empty or the canonical form itself"),
                ));
            }
            match canonical_of.insert(key, &s.canonical) {
                Some(other) if other != s.canonical => out.push(problem(
                    "synonyms",
                    &s.canonical,
                    format!("variant `{v}` is also rewritten to `{other}`"),
                )),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::scope::{Place, Report, ScopeObject};
    use crate::faq::{Source, Synonym, fixtures};

    fn place(name: &str, parent: Option<&str>) -> Place {
        Place {
            name: name.into(),
            aliases: vec![],
            parent: parent.map(Into::into),
        }
    }

    fn object(kind: &str, names: &[&str]) -> ScopeObject {
        ScopeObject {
            kind: kind.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// Entry `p` cites provincial source `s`; entry `c` cites source `city` from 许昌.
    fn base() -> FaqBase {
        let mut b = fixtures::base(
            vec![
                fixtures::entry("p", "q", &[], &[], "a"),
                fixtures::entry("c", "q2", &[], &[], "a"),
            ],
            "a",
        );
        b.entries[1].source = "city".into();
        let city = Source {
            slug: "city".into(),
            title: "许昌市生态环境局的做法".into(),
            issuer: "许昌市生态环境局".into(),
            ..b.sources["s"].clone()
        };
        b.sources.insert("city".into(), city);
        b.places = vec![place("河南", None), place("许昌", Some("河南"))];
        b.objects = vec![object("licence", &["药品经营许可证"])];
        b.reports = vec![Report {
            entry: "c".into(),
            place: "许昌".into(),
            measure: "p".into(),
        }];
        b
    }

    #[test]
    fn a_good_lexicon_has_no_problem() {
        assert!(check(&base()).is_empty(), "{:?}", check(&base()));
    }

    #[test]
    fn an_object_of_unknown_kind_or_with_a_shared_name_is_reported() {
        let mut b = base();
        b.objects.push(object("permit", &["药品经营许可证"]));
        let p = object_problems(&b);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].message.contains("unknown kind"));
        assert!(p[1].message.contains("also belongs to"));
    }

    #[test]
    fn a_place_with_an_unknown_parent_or_a_cycle_is_reported() {
        let mut b = base();
        b.places.push(place("禹州", Some("许昌市")));
        b.places[0].parent = Some("许昌".into());
        let p = place_problems(&b);
        assert!(
            p.iter().any(|p| p.message.contains("is not a place")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|p| p.message.contains("own ancestor")),
            "{p:?}"
        );
    }

    #[test]
    fn a_report_from_another_place_or_of_a_local_measure_is_reported() {
        let mut b = base();
        b.places.push(place("开封", Some("河南")));
        b.reports[0].place = "开封".into();
        assert!(report_problems(&b)[0].message.contains("not from `开封`"));
        let mut b = base();
        b.reports[0] = Report {
            entry: "p".into(),
            place: "河南".into(),
            measure: "c".into(),
        };
        let p = report_problems(&b);
        assert!(
            p.iter().any(|p| p.message.contains("not provincial")),
            "{p:?}"
        );
        let mut b = base();
        b.reports[0].measure = "missing".into();
        assert!(report_problems(&b)[0].message.contains("does not exist"));
    }

    #[test]
    fn a_variant_with_two_canonical_forms_is_reported() {
        let mut b = base();
        b.synonyms = vec![
            Synonym {
                canonical: "环评".into(),
                variants: vec!["环境影响评价".into()],
            },
            Synonym {
                canonical: "环境评价".into(),
                variants: vec!["环境影响评价".into(), "环境评价".into()],
            },
        ];
        let p = synonym_problems(&b);
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
