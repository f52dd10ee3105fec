//! `faq check` for whom an entry applies to, its editor's note and its review trail.
//!
//! - An entry's `limited_by` words (the subject and conditions that limit its measure) must all still be in
//!   its answer; an entry that states an `applies_to.enterprise` or a household setting must list them.
//! - An entry of a city's or county's source (its `place:` line, or else its title or issuer, names a place
//!   of `places.toml` below the province) must name that place, or a place inside it, in
//!   `applies_to.place`.
//! - Entries carrying a `note` need `reviewed_by` and `reviewed_on` (officer-authored entries too, but
//!   that is checked at load with the other rules for drafts, [`super::ready`]); officer answers cite the
//!   officer-answers source (kind 工作人员答复) and nothing else does.
//! - A source's kind is one of [`SOURCE_KINDS`] and its `place:` line, if any, a place of `places.toml`;
//!   no two entries quote the very same answer.
//!
//! [`unreviewed`] lists the entries nobody has reviewed yet (not a failure for policy quotes).

use super::problem::Problem;
use super::{Entry, FaqBase};
use crate::text::squeeze;
use std::collections::HashMap;

/// The kinds of source: a policy text, a report of one, a Q&A, a bureau's news item, officers' answers.
pub const SOURCE_KINDS: &[&str] = &[
    "政策文件",
    "政策报道",
    "问答",
    "工作动态",
    "人物通讯",
    OFFICER_KIND,
];

/// The kind of the one source officer-authored entries cite.
pub const OFFICER_KIND: &str = "工作人员答复";

/// Ids per line in the list of unreviewed entries.
const IDS_PER_LINE: usize = 6;

/// Every applicability, note and review problem of the base.
pub fn check(base: &FaqBase) -> Vec<Problem> {
    let mut out = Vec::new();
    for e in &base.entries {
        out.extend(limiting_words(e));
        out.extend(local_place(base, e));
        out.extend(review_trail(base, e));
    }
    out.extend(source_kinds(base));
    out.extend(duplicate_answers(base));
    out
}

fn problem(e: &super::Entry, message: String) -> Problem {
    Problem::entry(e, message)
}

/// The quote still contains each word that limits its measure; a stated scope comes with those words.
fn limiting_words(e: &Entry) -> Vec<Problem> {
    let answer = squeeze(&e.answer);
    let mut out: Vec<Problem> = e
        .limited_by
        .iter()
        .filter(|w| squeeze(w).is_empty() || !answer.contains(&squeeze(w)))
        .map(|w| {
            problem(
                e,
                format!("the answer lost its limiting words `{w}` (listed in `limited_by`)"),
            )
        })
        .collect();
    let scoped = e.applies_to.enterprise.is_some() || e.is_household();
    if scoped && e.limited_by.is_empty() {
        out.push(problem(
            e,
            "`applies_to` limits the measure but `limited_by` lists none of the quote's words that say so"
                .into(),
        ));
    }
    out
}

/// The places below the province that a source's `place:` line (or else its title or issuer) names: a
/// city's or county's source.
pub fn source_places<'a>(base: &'a FaqBase, e: &Entry) -> Vec<&'a str> {
    let Some(src) = base.source_of(e) else {
        return Vec::new();
    };
    let header = src.place_text();
    let named: Vec<&str> = base
        .places
        .iter()
        .filter(|p| p.parent.is_some() && p.names().any(|n| header.contains(n.as_str())))
        .map(|p| p.name.as_str())
        .collect();
    // The most specific: 罗山 rather than 信阳 for 信阳市生态环境局罗山分局.
    named
        .iter()
        .copied()
        .filter(|p| {
            !named
                .iter()
                .any(|q| q != p && super::scope::inside(base, q, p))
        })
        .collect()
}

/// A local entry names its place; a named place exists and is where the source is from.
fn local_place(base: &FaqBase, e: &Entry) -> Vec<Problem> {
    let from = source_places(base, e);
    match e.place() {
        None if !from.is_empty() => vec![problem(
            e,
            format!(
                "a local entry (its source is from {}) needs `applies_to.place`",
                from.join("/")
            ),
        )],
        Some(p) if !base.places.iter().any(|q| q.name == p) => {
            vec![problem(
                e,
                format!("`applies_to.place` `{p}` is not in places.toml"),
            )]
        }
        Some(p) if !from.is_empty() && !from.iter().any(|f| super::scope::inside(base, p, f)) => {
            vec![problem(
                e,
                format!(
                    "`applies_to.place` `{p}` is not where its source is from ({})",
                    from.join("/")
                ),
            )]
        }
        _ => Vec::new(),
    }
}

/// Officer answers and notes are reviewed; officer answers cite the officers' source, and only they do.
fn review_trail(base: &FaqBase, e: &Entry) -> Vec<Problem> {
    let mut out = Vec::new();
    if e.note.is_some() && !e.is_reviewed() {
        out.push(problem(
            e,
            "a `note` needs `reviewed_by` and `reviewed_on`".into(),
        ));
    }
    if e.note
        .as_deref()
        .is_some_and(|n| n.trim().is_empty() || n.contains("编者注"))
    {
        out.push(problem(
            e,
            "a `note` is the note's text only (the reply adds the 编者注 mark)".into(),
        ));
    }
    let officer_source = base.source_of(e).is_some_and(|s| s.kind == OFFICER_KIND);
    if officer_source != e.officer_authored {
        let m = if e.officer_authored {
            "an officer-authored entry cites the source of kind 工作人员答复"
        } else {
            "a policy quote cannot cite the officers' answers (kind 工作人员答复); set `officer_authored`"
        };
        out.push(problem(e, m.into()));
    }
    out
}

/// Every source's kind is a known one, and its `place:` line, if any, is a place of `places.toml`.
fn source_kinds(base: &FaqBase) -> Vec<Problem> {
    let mut slugs: Vec<&String> = base.sources.keys().collect();
    slugs.sort();
    let mut out = Vec::new();
    for slug in slugs {
        let s = &base.sources[slug];
        let bad = |message: String| Problem {
            origin: format!("faq/sources/{slug}.txt"),
            what: "source",
            id: slug.clone(),
            message,
        };
        if !SOURCE_KINDS.contains(&s.kind.as_str()) {
            out.push(bad(format!(
                "unknown kind `{}` (one of {})",
                s.kind,
                SOURCE_KINDS.join(" | ")
            )));
        }
        if let Some(p) = s.place.as_deref()
            && !base.places.iter().any(|q| q.names().any(|n| n == p))
        {
            out.push(bad(format!(
                "`place: {p}` is not a place (a name or alias) of places.toml"
            )));
        }
    }
    out
}

/// Two entries quoting the very same words are one measure: merge them, or cut distinct spans.
fn duplicate_answers(base: &FaqBase) -> Vec<Problem> {
    let mut first: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::new();
    for e in base.entries.iter().filter(|e| !e.officer_authored) {
        match first.get(&squeeze(&e.answer)) {
            Some(other) => out.push(problem(
                e,
                format!(
                    "quotes the same answer as entry `{other}`: merge them or cut distinct spans"
                ),
            )),
            None => {
                first.insert(squeeze(&e.answer), &e.id);
            }
        }
    }
    out
}

/// `unreviewed (n):` and the ids of entries without a review, or empty when every entry has one.
pub fn unreviewed(base: &FaqBase) -> String {
    let ids: Vec<&str> = base
        .entries
        .iter()
        .filter(|e| !e.is_reviewed())
        .map(|e| e.id.as_str())
        .collect();
    if ids.is_empty() {
        return String::new();
    }
    let mut out = format!("unreviewed ({}):\n", ids.len());
    for chunk in ids.chunks(IDS_PER_LINE) {
        out.push_str(&format!("    {}\n", chunk.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::scope::Place;
    use crate::faq::{AppliesTo, Date, Source, Terms, fixtures};

    fn entry(id: &str, answer: &str) -> Entry {
        fixtures::entry(id, "问", &[], &[], answer)
    }

    fn place(name: &str, parent: Option<&str>) -> Place {
        Place {
            name: name.into(),
            aliases: vec![format!("{name}市")],
            parent: parent.map(Into::into),
        }
    }

    /// A base with source `s` (provincial) and `kf` (开封's bureau), and the places 河南 > 开封 > 兰考.
    fn base(entries: Vec<Entry>) -> FaqBase {
        let mut b = fixtures::base(
            entries,
            "危险化学品生产企业主要负责人必须具有化工类专业大专及以上学历。",
        );
        b.sources.get_mut("s").unwrap().issuer = "河南省生态环境厅".into();
        b.sources.insert(
            "kf".into(),
            Source {
                slug: "kf".into(),
                title: "开封市生态环境局优化审批服务".into(),
                issuer: "开封市生态环境局".into(),
                date: "2020-03".into(),
                kind: "工作动态".into(),
                terms: Terms::default(),
                place: None,
                body: "审批时间由原来的20天压缩到2天。".into(),
            },
        );
        b.places = vec![
            place("河南", None),
            place("开封", Some("河南")),
            place("兰考", Some("开封")),
            place("郑州", Some("河南")),
        ];
        b
    }

    fn reviewed(mut e: Entry) -> Entry {
        e.reviewed_by = Some("编辑部".into());
        e.reviewed_on = Some(Date::try_from("2026-12-02".to_owned()).unwrap());
        e
    }

    fn messages(p: &[Problem]) -> Vec<String> {
        p.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_quote_that_lost_its_limiting_words_fails() {
        let mut e = entry("q", "主要负责人必须具有化工类专业大专及以上学历。");
        e.limited_by = vec!["危险化学品生产企业".into()];
        let p = check(&base(vec![e.clone()]));
        assert_eq!(
            messages(&p),
            [
                "e.toml:1: entry `q`: the answer lost its limiting words `危险化学品生产企业` (listed in `limited_by`)"
            ]
        );
        e.answer = "危险化学品生产企业主要负责人必须具有化工类专业大专及以上学历。".into();
        assert!(check(&base(vec![e])).is_empty());
    }

    #[test]
    fn a_stated_scope_needs_its_limiting_words() {
        let mut e = entry(
            "q",
            "危险化学品生产企业主要负责人必须具有化工类专业大专及以上学历。",
        );
        e.applies_to.enterprise = Some("危险化学品生产企业".into());
        let p = check(&base(vec![e.clone()]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("`limited_by` lists none"), "{}", p[0]);
        e.limited_by = vec!["危险化学品生产企业".into()];
        assert!(check(&base(vec![e])).is_empty());
    }

    #[test]
    fn a_local_entry_without_its_place_fails() {
        let mut e = entry("kf-pig", "审批时间由原来的20天压缩到2天。");
        e.source = "kf".into();
        let p = check(&base(vec![e.clone()]));
        assert_eq!(
            messages(&p),
            [
                "e.toml:1: entry `kf-pig`: a local entry (its source is from 开封) needs `applies_to.place`"
            ]
        );
        e.applies_to = AppliesTo {
            place: Some("郑州".into()),
            ..AppliesTo::default()
        };
        let p = check(&base(vec![e.clone()]));
        assert!(
            p[0].message
                .contains("is not where its source is from (开封)"),
            "{p:?}"
        );
        e.applies_to.place = Some("兰考".into());
        assert!(check(&base(vec![e.clone()])).is_empty());
        e.applies_to.place = Some("开封".into());
        assert!(check(&base(vec![e])).is_empty());
    }

    #[test]
    fn a_source_place_line_decides_whose_source_it_is_and_must_be_a_place() {
        let mut e = entry("kf-pig", "审批时间由原来的20天压缩到2天。");
        e.source = "kf".into();
        e.applies_to.place = Some("开封".into());
        let mut b = base(vec![e]);
        let kf = b.sources.get_mut("kf").unwrap();
        (kf.title, kf.issuer) = ("优化审批服务".into(), "《中州环境》".into());
        kf.place = Some("开封市".into());
        assert!(check(&b).is_empty(), "{:?}", messages(&check(&b)));
        b.sources.get_mut("kf").unwrap().place = Some("开封（市）".into());
        assert_eq!(
            messages(&check(&b)),
            [
                "faq/sources/kf.txt: source `kf`: `place: 开封（市）` is not a place (a name or alias) of places.toml"
            ]
        );
    }

    #[test]
    fn an_unreviewed_officer_answer_is_listed_and_refused_at_load() {
        let mut b = base(vec![]);
        b.sources.insert(
            "officer-answers".into(),
            Source {
                slug: "officer-answers".into(),
                title: "工作人员答复".into(),
                issuer: "生态环境部门工作人员".into(),
                date: "2026-12".into(),
                kind: OFFICER_KIND.into(),
                terms: Terms::default(),
                place: None,
                body: String::new(),
            },
        );
        let mut e = entry("officer-7", "饭卡余额可到食堂窗口退还。");
        e.source = "officer-answers".into();
        e.officer_authored = true;
        b.entries = vec![e.clone()];
        assert!(check(&b).is_empty());
        let refused = crate::faq::ready::check(&b.entries);
        assert!(
            messages(&refused).iter().any(|m| m.ends_with(
                "an officer-authored entry needs `reviewed_by` and `reviewed_on` before it is served"
            )),
            "{refused:?}"
        );
        assert_eq!(unreviewed(&b), "unreviewed (1):\n    officer-7\n");
        b.entries = vec![reviewed(e)];
        assert!(check(&b).is_empty());
        assert_eq!(unreviewed(&b), "");
    }

    #[test]
    fn officer_answers_and_policy_quotes_keep_to_their_sources() {
        let mut e = reviewed(entry(
            "o",
            "危险化学品生产企业主要负责人必须具有化工类专业大专及以上学历。",
        ));
        e.officer_authored = true;
        let p = check(&base(vec![e]));
        assert!(
            p[0].message
                .contains("cites the source of kind 工作人员答复"),
            "{p:?}"
        );
    }

    #[test]
    fn a_note_needs_a_review_and_no_mark_of_its_own() {
        let mut e = entry(
            "n",
            "危险化学品生产企业主要负责人必须具有化工类专业大专及以上学历。",
        );
        e.note = Some("编者注：大专指专科。".into());
        let p = check(&base(vec![e.clone()]));
        assert_eq!(p.len(), 2, "{p:?}");
        e.note = Some("大专指专科。".into());
        assert!(check(&base(vec![reviewed(e)])).is_empty());
    }

    #[test]
    fn unknown_source_kinds_and_duplicate_answers_fail() {
        let a = entry(
            "a",
            "危险化学品生产企业主要负责人必须具有化工类专业大专及以上学历。",
        );
        let b2 = entry(
            "b",
            "危险化学品生产企业主要负责人必须具有化工类专业大专及以上学历。",
        );
        let mut b = base(vec![a, b2]);
        b.sources.get_mut("kf").unwrap().kind = "新闻".into();
        let p = messages(&check(&b));
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].starts_with("faq/sources/kf.txt: source `kf`: unknown kind `新闻`"),
            "{p:?}"
        );
        assert!(
            p[1].contains("entry `b`: quotes the same answer as entry `a`"),
            "{p:?}"
        );
    }

    #[test]
    fn settings_are_read_from_the_entry_table() {
        let text = "[[entry]]\nid = \"h\"\nquestion = \"q\"\nanswer = \"均可暂存家中\"\nsource = \"s\"\nclause = \"c\"\ndate = \"2020-03\"\napplies_to = { setting = \"household\" }\nlimited_by = [\"家中\"]\n";
        let e = &crate::faq::load::parse_entries(std::path::Path::new("e.toml"), text).unwrap()[0];
        assert!(e.is_household());
        let bad = text.replace("household", "factory");
        assert!(crate::faq::load::parse_entries(std::path::Path::new("e.toml"), &bad).is_err());
    }
}
