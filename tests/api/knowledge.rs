//! Time in the knowledge base, from the outside: what a question about a measure gets back on a given
//! `[knowledge] as_of` day when the measure is in force, expiring, lapsed (with `lapsed` answering with a
//! notice or escalating), superseded or not yet in effect; the status in `ask --json` and `/api/v1/ask`;
//! the gauges in `/metrics`; `faq status` and `faq build --supersedes`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;

/// Answered by `fg-eia-exemption`, an epidemic-period measure (period `epidemic`, ended 2023-01-08).
const MASK_QUESTION: &str = "我们厂临时转产口罩，要办环评吗？";
const MASK_QUOTE: &str = "可豁免环评手续";
const LAPSED_NOTICE: &str = "该措施为疫情期间的阶段性措施，已于 2023年1月8日 停止执行";
/// After the end of the epidemic period.
const AFTER: &str = "2024-01-01";

fn setup(knowledge: &str) -> Setup {
    Setup {
        knowledge: Some(knowledge.to_owned()),
        ..Setup::default()
    }
}

/// `/api/v1/ask` for `q`: outcome, faq_id, status.
async fn asked(app: &TestApp, q: &str) -> (String, Value, Value) {
    let (status, r) = app.api_post("/ask", json!({ "question": q })).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    (
        r["outcome"].as_str().unwrap_or_default().to_owned(),
        r["faq_id"].clone(),
        r["status"].clone(),
    )
}

#[tokio::test]
async fn inside_the_epidemic_period_the_measure_is_answered_as_it_always_was() {
    // On the standard test day (March 2020) the exemption is simply quoted: no notice, status in_force.
    let app = TestApp::spawn().await;

    let (_, body) = app
        .post_dingtalk(MASK_QUESTION, &unique_id("m"), "u-zhang")
        .await;

    let text = markdown_text(&body);
    assert!(text.contains(MASK_QUOTE), "{text}");
    assert!(
        !text.contains("停止执行") && !text.contains("人工"),
        "{text}"
    );
    let (outcome, id, status) = asked(&app, MASK_QUESTION).await;
    assert_eq!(
        (outcome.as_str(), id, status),
        ("answered", json!("fg-eia-exemption"), json!("in_force"))
    );
}

#[tokio::test]
async fn an_expiring_measure_is_answered_with_the_day_it_ends() {
    // Within 30 days of the period's end the measure is still answered, with the end date after the quote.
    let app = TestApp::spawn_with(setup("as_of = \"2022-12-20\"")).await;

    let (_, body) = app
        .post_dingtalk(MASK_QUESTION, &unique_id("m"), "u-zhang")
        .await;

    let text = markdown_text(&body);
    assert!(text.contains(MASK_QUOTE), "{text}");
    assert!(
        text.contains("（该措施将于 2023年1月8日 停止执行）"),
        "{text}"
    );
    assert!(!text.contains("历史参考"), "{text}");
    assert_eq!(asked(&app, MASK_QUESTION).await.2, json!("expiring"));
}

#[tokio::test]
async fn a_lapsed_measure_is_quoted_as_history_after_a_notice_and_human_escalates_the_question() {
    // After the period: the reply opens with the plain statement, then the quote with its citation, and
    // offers the officers; "人工" then opens a ticket for the question that was asked. The outcome and
    // faq_id stay those of an answer (the referee's accuracy figures do not move).
    let app = TestApp::spawn_with(setup(&format!("as_of = \"{AFTER}\""))).await;

    let (_, body) = app
        .post_dingtalk(MASK_QUESTION, &unique_id("m"), "u-zhang")
        .await;

    let text = markdown_text(&body);
    let (notice, quote) = (text.find(LAPSED_NOTICE), text.find(MASK_QUOTE));
    assert!(
        notice.is_some() && quote.is_some() && notice < quote,
        "{text}"
    );
    assert!(
        text.contains("《关于支持服务企业复工复产平稳健康发展的意见》"),
        "{text}"
    );
    assert!(text.contains("回复“人工”"), "{text}");
    let (outcome, id, status) = asked(&app, MASK_QUESTION).await;
    assert_eq!(
        (outcome.as_str(), id, status),
        ("answered", json!("fg-eia-exemption"), json!("lapsed"))
    );

    let (_, reply) = app.post_dingtalk("人工", &unique_id("m"), "u-zhang").await;

    let n =
        ticket_number(markdown_text(&reply)).unwrap_or_else(|| panic!("not escalated: {reply}"));
    assert_eq!(app.ticket(n).await["question"], MASK_QUESTION);
}

#[tokio::test]
async fn with_lapsed_escalate_a_lapsed_measure_goes_to_the_officers_as_a_reference() {
    // `lapsed = "escalate"`: the asker is told the status and the ticket number (no quote); the officers'
    // notification lists the lapsed measure, tagged, among the bot's guesses.
    let app = TestApp::spawn_with(setup(&format!(
        "as_of = \"{AFTER}\"\nlapsed = \"escalate\""
    )))
    .await;

    let (_, body) = app
        .post_dingtalk(MASK_QUESTION, &unique_id("m"), "u-zhang")
        .await;

    let text = markdown_text(&body);
    assert!(text.contains(LAPSED_NOTICE), "{text}");
    assert!(!text.contains(MASK_QUOTE), "{text}");
    let n = ticket_number(text).unwrap_or_else(|| panic!("not escalated: {text}"));
    let note = app
        .fake
        .wait_for(OFFICERS_PATH, "the officers' notification", |r| {
            r.text().contains(MASK_QUESTION)
        })
        .await;
    assert!(
        note.text().contains("fg-eia-exemption") && note.text().contains("（已停止执行）"),
        "{}",
        note.text()
    );
    assert_eq!(
        app.ticket(n).await["guesses"][0]["faq_id"],
        "fg-eia-exemption"
    );
    let (outcome, id, status) = asked(&app, MASK_QUESTION).await;
    assert_eq!(
        (outcome.as_str(), id, status),
        ("escalated", Value::Null, json!("lapsed"))
    );
}

/// The exemption replaced by a (test) document of 2021-06-01 that is in the base.
fn replaced_exemption(faq: &Path) {
    let source =
        "title: 关于测试的新规定\nissuer: 测试\ndate: 2021-06-01\nkind: 政策文件\n---\n新规定。\n";
    std::fs::write(faq.join("sources/test-new-rule.txt"), source).unwrap();
    let entries = faq.join("entries/fugong-yijian.toml");
    let text = std::fs::read_to_string(&entries).unwrap().replace(
        "id = \"fg-eia-exemption\"\n",
        "id = \"fg-eia-exemption\"\nsuperseded_by = \"《关于测试的新规定》\"\n",
    );
    std::fs::write(entries, text).unwrap();
}

#[tokio::test]
async fn a_superseded_measure_names_the_document_that_replaced_it_from_that_documents_date() {
    // Replaced by a document of the base dated 2021-06-01: on 2021-07-01 the reply says so first and
    // quotes the old measure as history; before that date the measure is in force.
    let (_dir, faq) = faq_copy(replaced_exemption);
    let app = TestApp::spawn_with(Setup {
        knowledge: Some("as_of = \"2021-07-01\"".into()),
        faq: Some(faq.clone()),
        ..Setup::default()
    })
    .await;

    let (_, body) = app
        .post_dingtalk(MASK_QUESTION, &unique_id("m"), "u-zhang")
        .await;

    let text = markdown_text(&body);
    assert!(
        text.contains("该措施已被《关于测试的新规定》替代。") && text.contains(MASK_QUOTE),
        "{text}"
    );
    assert_eq!(asked(&app, MASK_QUESTION).await.2, json!("superseded"));
    let faq = faq.display().to_string();
    let args = [
        "ask",
        "--json",
        "--faq",
        &faq,
        "--as-of",
        "2021-05-01",
        MASK_QUESTION,
    ];
    let (ok, out, err) = run_cli(&args);
    assert!(ok, "{err}");
    let before: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(before["status"], "in_force", "{before}");
}

#[tokio::test]
async fn metrics_count_the_entries_by_status() {
    // After the period every epidemic entry is lapsed and every other one in force.
    let app = TestApp::spawn_with(setup(&format!("as_of = \"{AFTER}\""))).await;
    let (entries, epidemic) = shipped_counts();

    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();

    for (status, n) in [
        ("in_force", entries - epidemic),
        ("expiring", 0),
        ("lapsed", epidemic),
        ("superseded", 0),
        ("upcoming", 0),
    ] {
        let line = format!("policybot_faq_entries{{status=\"{status}\"}} {n}\n");
        assert!(metrics.contains(&line), "{line}in:\n{metrics}");
    }
}

/// (entries, entries with `period = "epidemic"`) in the shipped base.
fn shipped_counts() -> (usize, usize) {
    let mut counts = (0, 0);
    for f in std::fs::read_dir(repo_faq().join("entries")).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        counts.0 += text.matches("[[entry]]").count();
        counts.1 += text.matches("\nperiod = \"epidemic\"\n").count();
    }
    counts
}

/// Every entry's standard question, and those of the epidemic entries.
fn standard_questions() -> (Vec<String>, Vec<String>) {
    let (mut all, mut epidemic) = (Vec::new(), Vec::new());
    for f in std::fs::read_dir(repo_faq().join("entries")).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        for e in table["entry"].as_array().unwrap() {
            let q = e["question"].as_str().unwrap().to_owned();
            if e.get("period").and_then(|p| p.as_str()) == Some("epidemic") {
                epidemic.push(q.clone());
            }
            all.push(q);
        }
    }
    (all, epidemic)
}

#[test]
fn ask_as_of_march_2020_answers_everything_as_in_force_and_after_the_period_every_epidemic_measure_carries_the_notice()
 {
    // The same questions on two days: the decisions (outcome, faq_id) are identical, only the status and
    // the notice differ; in March 2020 nothing carries a notice, afterwards every epidemic answer does.
    let (all, epidemic) = standard_questions();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let then = ask_json_with(&["--as-of", "2020-03-31"], &all);
    let later = ask_json_with(&["--as-of", AFTER], &all);

    for (t, l) in then.iter().zip(&later) {
        assert_eq!(
            (&t["outcome"], &t["faq_id"]),
            (&l["outcome"], &l["faq_id"]),
            "{t}\n{l}"
        );
        if t["outcome"] == "answered" {
            assert_eq!(t["status"], "in_force", "{t}");
            // The department's note (编者注, after the citation) may speak of later laws; it is no notice.
            let reply = t["reply"].as_str().unwrap().split("编者注").next().unwrap();
            assert!(
                !reply.contains("停止执行") && !reply.contains("施行"),
                "{t}"
            );
        }
    }
    let epidemic: Vec<&str> = epidemic.iter().map(String::as_str).collect();
    let answered: Vec<Value> = ask_json_with(&["--as-of", AFTER], &epidemic)
        .into_iter()
        .filter(|r| r["outcome"] == "answered")
        .collect();
    assert!(answered.len() * 10 >= epidemic.len() * 9, "{answered:?}");
    for r in &answered {
        assert_eq!(r["status"], "lapsed", "{r}");
        assert!(
            r["reply"].as_str().unwrap().starts_with(LAPSED_NOTICE),
            "{r}"
        );
    }
}

#[test]
fn a_measure_asked_about_before_its_document_takes_effect_is_not_yet_in_force() {
    // The 指导意见 of 2020-03-03, asked about on 2020-03-01.
    let r = &ask_json_with(
        &["--as-of", "2020-03-01"],
        &["排污许可和环评制度是什么关系？"],
    )[0];
    assert_eq!(
        (&r["outcome"], &r["status"]),
        (&json!("answered"), &json!("upcoming")),
        "{r}"
    );
    let reply = r["reply"].as_str().unwrap();
    assert!(
        reply.starts_with("该措施自 2020年3月3日 起施行，目前尚未施行。"),
        "{reply}"
    );
}

#[test]
fn faq_status_counts_the_shipped_base_by_status() {
    let (entries, epidemic) = shipped_counts();
    let faq = repo_faq().display().to_string();

    let (ok, out, err) = run_cli(&["faq", "status", "--faq", &faq, "--as-of", AFTER]);

    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("faq status as of {AFTER}: {entries} entries\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("  {:<11}{epidemic:>5}\n", "lapsed")),
        "{out}"
    );
    assert!(out.contains("ended on 2023-01-08, 疫情期间"), "{out}");
}

#[test]
fn faq_build_with_supersedes_opens_the_draft_with_the_links_to_add() {
    // The new document's title becomes the `superseded_by` line, and each replaced entry is named with its
    // file and line; an unknown id fails without a draft.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("new-eia.txt");
    let text = "title: 关于测试的新规定\nissuer: 测试\ndate: 2024-01-01\nkind: 政策文件\n---\n一、总体要求\n建设项目依法开展环境影响评价，不得未批先建。\n";
    std::fs::write(&doc, text).unwrap();
    let (doc, faq) = (doc.display().to_string(), repo_faq().display().to_string());

    let (ok, out, err) = run_cli(&[
        "faq",
        "build",
        &doc,
        "--faq",
        &faq,
        "--supersedes",
        "fg-eia-exemption,fg-xray-exemption",
    ]);

    assert!(ok, "{err}");
    assert!(
        out.contains("\nsuperseded_by = \"关于测试的新规定\"\n"),
        "{out}"
    );
    for id in ["fg-eia-exemption", "fg-xray-exemption"] {
        let line = out.lines().find(|l| l.contains(id)).unwrap_or_default();
        assert!(
            line.starts_with("#   ") && line.contains("fugong-yijian.toml:"),
            "{out}"
        );
    }
    assert!(out.contains("[[entry]]"), "{out}");
    let (ok, out, err) = run_cli(&[
        "faq",
        "build",
        &doc,
        "--faq",
        &faq,
        "--supersedes",
        "no-such",
    ]);
    assert!(
        !ok && out.is_empty() && err.contains("`no-such`"),
        "{out}{err}"
    );
}
