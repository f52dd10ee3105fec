//! `faq check` guards the editorial rules (issues 7 and 14) on a copy of the shipped base: it passes as
//! shipped, and fails, naming the entry or file, on a local entry without its place, on a quote that lost
//! the words limiting its measure, on a scope object of unknown kind, on a city report pointing at another
//! local measure instead of a provincial one, on a malformed thesaurus line, and on an officer-authored
//! entry nobody has reviewed (the whole draft-to-served path is in `drafts.rs`).

use crate::helpers::*;
use std::path::Path;

fn faq_check(faq: &Path) -> (bool, String) {
    let (ok, out, err) = run_cli(&["faq", "check", "--faq", &faq.display().to_string()]);
    (ok, out + &err)
}

/// Replaces the one occurrence of `from` in `faq/<file>` with `to`.
fn edit(faq: &Path, file: &str, from: &str, to: &str) {
    let path = faq.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from} in {file}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

#[test]
fn the_shipped_base_passes() {
    let (_dir, faq) = faq_copy(|_| {});
    let (ok, out) = faq_check(&faq);
    assert!(ok, "{out}");
    assert!(out.contains("faq check: ok"), "{out}");
}

#[test]
fn a_local_entry_without_its_place_fails() {
    let (_dir, faq) = faq_copy(|faq| {
        edit(
            faq,
            "entries/news.toml",
            "applies_to = { place = \"开封\" }\nlimited_by = [\"在开封市政务服务网增加\"]\n",
            "",
        )
    });
    let (ok, out) = faq_check(&faq);
    assert!(!ok, "{out}");
    assert!(
        out.contains("news-kf-pig-farm") && out.contains("needs `applies_to.place`"),
        "{out}"
    );
}

#[test]
fn a_quote_that_lost_its_limiting_words_fails() {
    // Still a verbatim span of the source, but without the subject that limits the measure.
    let (_dir, faq) = faq_copy(|faq| {
        edit(
            faq,
            "entries/weihua-anquan.toml",
            "answer = \"危险化学品生产企业主要负责人、",
            "answer = \"主要负责人、",
        )
    });
    let (ok, out) = faq_check(&faq);
    assert!(!ok, "{out}");
    assert!(
        out.contains("wh-safety-staff-qualification")
            && out.contains("lost its limiting words `危险化学品生产企业`"),
        "{out}"
    );
}

/// A complete officer answer (public citation, enough phrasings) that lacks only its review trail.
const OFFICER_ENTRY: &str = "[[entry]]\nid = \"officer-41\"\nquestion = \"食堂饭卡的余额能退吗？\"\n\
alternates = [\"饭卡里的余额能退吗\", \"离职了饭卡钱怎么退\", \"食堂卡没用完的钱可以退不\", \"饭卡余额去哪退\"]\n\
keywords = [\"饭卡\"]\nanswer = \"饭卡余额可到食堂窗口退还。\"\nsource = \"officer-answers\"\n\
clause = \"食堂饭卡余额的退还\"\ndate = \"2026-12-02\"\nofficer_authored = true\n";

#[test]
fn an_unreviewed_officer_authored_entry_fails_until_reviewed() {
    let entries = |faq: &Path, text: &str| {
        std::fs::write(faq.join("entries/officer-answers.toml"), text).unwrap()
    };
    let (_dir, faq) = faq_copy(|faq| entries(faq, OFFICER_ENTRY));
    let (ok, out) = faq_check(&faq);
    assert!(!ok, "{out}");
    assert!(
        out.contains(
            "entry `officer-41`: an officer-authored entry needs `reviewed_by` and `reviewed_on`"
        ),
        "{out}"
    );

    let reviewed =
        format!("{OFFICER_ENTRY}reviewed_by = \"编辑部\"\nreviewed_on = \"2026-12-02\"\n");
    entries(&faq, &reviewed);
    let (ok, out) = faq_check(&faq);
    assert!(ok, "{out}");
}

#[test]
fn a_scope_object_of_unknown_kind_fails() {
    let (_dir, faq) = faq_copy(|faq| {
        let path = faq.join("scope.toml");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("\n[[object]]\nkind = \"gift\"\nnames = [\"购物卡\"]\n");
        std::fs::write(&path, text).unwrap();
    });
    let (ok, out) = faq_check(&faq);
    assert!(!ok, "{out}");
    assert!(
        out.contains("scope.toml") && out.contains("unknown kind `gift`"),
        "{out}"
    );
}

#[test]
fn a_city_report_of_another_local_measure_fails() {
    let (_dir, faq) = faq_copy(|faq| {
        edit(
            faq,
            "reports.toml",
            "entry = \"news-smx-online\"\nplace = \"三门峡\"\nmeasure = \"fg-online-approval\"",
            "entry = \"news-smx-online\"\nplace = \"三门峡\"\nmeasure = \"news-kf-online\"",
        )
    });
    let (ok, out) = faq_check(&faq);
    assert!(!ok, "{out}");
    assert!(
        out.contains("reports.toml") && out.contains("measure `news-kf-online` is local"),
        "{out}"
    );
}

#[test]
fn a_malformed_thesaurus_line_fails() {
    let (_dir, faq) = faq_copy(|faq| {
        let path = faq.join("thesaurus/cilin.txt");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("Zz99Z99= 环评 x\n");
        std::fs::write(&path, text).unwrap();
    });
    let (ok, out) = faq_check(&faq);
    assert!(!ok, "{out}");
    assert!(
        out.contains("cilin.txt")
            && out.contains("`x` is not a word of two or more Han characters"),
        "{out}"
    );
}
