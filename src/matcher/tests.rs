//! Unit tests of the decision on small fixture bases.

use super::*;
use crate::faq::{Entry, fixtures::entry};

fn matcher(entries: Vec<Entry>) -> Matcher {
    Matcher::build(
        &crate::faq::fixtures::base(entries, ""),
        Thresholds::default(),
    )
}

fn best(d: &Decision) -> Option<&str> {
    d.best().map(|c| c.id.as_str())
}

fn base_entries() -> Vec<Entry> {
    vec![
        entry(
            "eia",
            "疫情防控急需的项目可以豁免环评吗",
            &["临时转产口罩要办环评吗", "防护服生产线改扩建要不要环评"],
            &["豁免", "re:转产.{0,6}口罩"],
            "可豁免环评手续。",
        ),
        entry(
            "licence",
            "辐射安全许可证到期了怎么办",
            &["辐安证快过期了", "辐射安全许可证疫情期间到期能顺延吗"],
            &["顺延"],
            "可以自动顺延。",
        ),
        entry(
            "mask",
            "口罩可以重复使用吗",
            &["口罩能戴几次", "一次性口罩能不能反复戴"],
            &["重复使用"],
            "不必用一次换一次。",
        ),
    ]
}

#[test]
fn a_known_phrasing_is_answered_with_its_entry() {
    let m = matcher(base_entries());
    let d = m.decide("我们厂临时转产口罩，要办环评吗？");
    assert_eq!(d.outcome, Outcome::Answered);
    assert_eq!(best(&d), Some("eia"));
}

#[test]
fn a_question_in_other_words_still_finds_its_entry() {
    let m = matcher(base_entries());
    let d = m.decide("辐射安全许可证过期了能不能顺延");
    assert_eq!((d.outcome, best(&d)), (Outcome::Answered, Some("licence")));
}

#[test]
fn an_out_of_scope_question_is_escalated_not_guessed() {
    let m = matcher(base_entries());
    let d = m.decide("企业所得税能延期缴纳吗");
    assert_eq!(d.outcome, Outcome::Escalated);
    assert_eq!(d.reason, Some("no confident match"));
}

#[test]
fn specific_cases_are_escalated_even_when_an_entry_matches() {
    let m = matcher(base_entries());
    let d = m.decide("帮我查一下我们厂转产口罩的环评批复到哪一步了");
    assert_eq!(
        (d.outcome, d.reason),
        (Outcome::Escalated, Some("specific case"))
    );
    assert_eq!(best(&d), Some("eia"), "candidates are kept for the officer");
}

#[test]
fn a_document_the_base_quotes_is_asked_about_not_a_case_number() {
    let mut entries = base_entries();
    entries.push(entry(
        "notice",
        "信平疫防指办关于医疗废物管理的通知讲了什么",
        &["信平疫防指办14号文是管啥的"],
        &["疫防指办"],
        "紧急印发了《关于加强医疗废物管理工作的通知》（信平疫防指办〔2020〕14号），对医疗废物处置作出了具体要求。",
    ));
    let m = matcher(entries);
    let d = m.decide("信平疫防指办〔2020〕14号通知讲的是什么");
    assert_eq!(
        (d.outcome, best(&d)),
        (Outcome::Answered, Some("notice")),
        "{d:?}"
    );
    // A number no quote names is still someone's own file for an officer to look up, also when it is
    // the start of a quoted one.
    for other in ["〔2021〕9号", "〔2020〕1号"] {
        let d = m.decide(&format!("信平疫防指办{other}通知讲的是什么"));
        assert_eq!(d.outcome, Outcome::Escalated, "{other}");
        assert_eq!(d.reason, Some("specific case"), "{other}");
    }
}

#[test]
fn a_message_longer_than_the_limit_goes_to_the_officers_unmatched() {
    let m = matcher(base_entries());
    let question = "临时转产口罩要办环评吗";
    assert_eq!(m.decide(question).outcome, Outcome::Answered);
    let pad = "。".repeat(MAX_MATCHED_CHARS);
    let d = m.decide(&format!("{pad}{question}"));
    assert_eq!(
        (d.outcome, d.reason, d.candidates.len()),
        (Outcome::Escalated, Some(TOO_LONG), 0),
        "{d:?}"
    );
    let at_limit = format!(
        "{}{question}",
        "。".repeat(MAX_MATCHED_CHARS - question.chars().count())
    );
    assert_eq!(
        m.decide(&at_limit).outcome,
        Outcome::Answered,
        "the limit itself is matched"
    );
}

#[test]
fn greetings_are_small_talk_with_no_candidates() {
    let m = matcher(base_entries());
    let d = m.decide("@政策助手 你好");
    assert_eq!(d.outcome, Outcome::Smalltalk);
    assert!(d.candidates.is_empty());
}

#[test]
fn a_stray_number_or_command_word_is_small_talk_never_an_answer() {
    let m = matcher(base_entries());
    for q in ["2", "２。", "第二个", "人工", "认领 12"] {
        let d = m.decide(q);
        assert_eq!(
            (d.outcome, d.reason, d.candidates.len()),
            (Outcome::Smalltalk, Some(NOT_A_QUESTION), 0),
            "{q}"
        );
    }
}

#[test]
fn a_bare_topic_gets_suggestions_not_an_answer() {
    let m = matcher(base_entries());
    let asked = m.decide("辐射安全许可证到期了怎么办");
    assert_eq!(asked.outcome, Outcome::Answered, "{asked:?}");
    let bare = m.decide("许可证？");
    assert_eq!(
        (bare.outcome, bare.reason),
        (Outcome::Clarify, Some(BARE_TOPIC)),
        "{bare:?}"
    );
    assert_eq!(bare.best().map(|c| c.id.as_str()), Some("licence"));
    let unknown = m.decide("社保");
    assert_eq!(unknown.outcome, Outcome::Escalated, "{unknown:?}");
}

#[test]
fn asking_whether_a_limited_measure_holds_for_others_is_escalated_with_it_for_reference() {
    let mut entries = base_entries();
    let general = "一般建设项目也能豁免环评吗";
    assert_eq!(
        matcher(entries.clone()).decide(general).outcome,
        Outcome::Answered
    );
    entries[0].applies_to.enterprise = Some("疫情防控急需的建设项目".into());
    let d = matcher(entries).decide(general);
    assert_eq!(d.outcome, Outcome::Escalated, "{d:?}");
    assert_eq!(
        d.reference.map(|r| (r.id.as_str().to_owned(), r.detail)),
        Some(("eia".to_owned(), detail::Detail::Beyond))
    );
}

/// 企业复工前要验收还是备案, asked of an entry answering 尽快验收。 and one (`id`) answering `answer`.
fn acceptance_or(id: &str, answer: &str) -> Decision {
    matcher(vec![
        entry(
            "acceptance",
            "企业复工需要验收吗",
            &["复工前要不要验收"],
            &["验收"],
            "尽快验收。",
        ),
        entry(
            id,
            "企业复工需要备案吗",
            &["复工前要不要备案"],
            &["备案"],
            answer,
        ),
    ])
    .decide("企业复工前要验收还是备案")
}

#[test]
fn two_entries_asked_alike_with_different_answers_get_a_choice() {
    let d = acceptance_or("filing", "即时备案。");
    assert_eq!(d.outcome, Outcome::Clarify, "{d:?}");
    assert_eq!(d.candidates.len(), 2);
}

#[test]
fn two_close_entries_one_quoting_a_passage_the_other_one_sentence_of_it_get_the_passage() {
    // Not nested: a choice (as above); nested: the passage answers both.
    assert_eq!(
        acceptance_or("both", "即时备案。").outcome,
        Outcome::Clarify
    );
    let d = acceptance_or("both", "尽快验收。即时备案。");
    assert_eq!(d.outcome, Outcome::Answered, "{d:?}");
    assert_eq!(best(&d), Some("both"));
    assert_eq!(d.candidates.len(), 1, "{d:?}");
}

#[test]
fn entries_quoting_the_same_measure_are_one_candidate() {
    let mut entries = base_entries();
    entries.push(entry(
        "licence-copy",
        "辐射安全许可证到期不能现场核查怎么办",
        &["辐安证到期没法核查"],
        &["顺延"],
        "可以 自动顺延。",
    ));
    let m = matcher(entries);
    let d = m.decide("辐射安全许可证到期怎么办");
    assert_eq!(d.outcome, Outcome::Answered, "{d:?}");
    let entries: Vec<&str> = d.candidates.iter().map(|c| c.id.as_str()).collect();
    assert!(
        !(entries.contains(&"licence") && entries.contains(&"licence-copy")),
        "{entries:?}"
    );
}

#[test]
fn regex_keywords_add_to_the_score() {
    let m = matcher(base_entries());
    let with = m
        .decide("转产做口罩的环评")
        .best()
        .map(|c| c.score)
        .unwrap_or(0.0);
    let without = m
        .decide("口罩的环评")
        .best()
        .map(|c| c.score)
        .unwrap_or(0.0);
    assert!(with > without, "{with} vs {without}");
}
