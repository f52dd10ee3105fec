//! Hot reload of `faq/` under a running server, from the outside: callbacks keep arriving while an entry's
//! answer changes and `POST /api/v1/faq/reload` swaps the snapshot (none fails, none is taken for a
//! duplicate, and the new answer is served from then on); a broken `faq/` is refused with its `faq check`
//! message while the old answers keep being served (API and `policybot faq reload`); SIGHUP reloads too;
//! `/metrics` shows the version served and the refused reloads.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Answered by [`ENTRY`].
const QUESTION: &str = "我们厂临时转产口罩，要办环评吗？";
const ENTRY: &str = "fg-eia-exemption";
/// Where its answer starts today.
const ANSWER_START: &str = "对疫情防控急需的医疗卫生";
/// The clause heading that precedes that answer in its source: put before the answer it is still a
/// verbatim quote (and otherwise appears only after it, in the citation).
const HEADING: &str = "开通绿色通道，简化环保审批流程";
/// The message `faq check` gives for the broken answer of [`break_the_quote`].
const NOT_VERBATIM: &str =
    "entry `fg-eia-exemption`: answer is not found verbatim in sources/fugong-yijian.txt";

/// Rewrites the `answer = "…"` line of entry `id` in `faq/entries/`.
fn edit_answer(faq: &Path, id: &str, edit: impl FnOnce(&str) -> String) {
    for file in std::fs::read_dir(faq.join("entries")).unwrap() {
        let path = file.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(at) = text.find(&format!("id = \"{id}\"\n")) else {
            continue;
        };
        let start = at + text[at..].find("\nanswer = \"").expect("an answer line") + 1;
        let end = start + text[start..].find('\n').unwrap();
        let line = edit(&text[start..end]);
        std::fs::write(&path, format!("{}{line}{}", &text[..start], &text[end..])).unwrap();
        return;
    }
    panic!("no entry `{id}` in {}", faq.display());
}

/// The answer now quotes the heading before it (still verbatim).
fn quote_the_heading(faq: &Path) {
    edit_answer(faq, ENTRY, |line| {
        line.replacen("answer = \"", &format!("answer = \"{HEADING}\\n"), 1)
    });
}

/// The answer is no longer the source's words.
fn break_the_quote(faq: &Path) {
    edit_answer(faq, ENTRY, |line| {
        line.replacen("可豁免环评手续", "可免除环评手续", 1)
    });
}

/// True for the changed answer, false for the shipped one; panics on anything else.
fn serves_new(reply: &str) -> bool {
    let answer = reply
        .find(ANSWER_START)
        .unwrap_or_else(|| panic!("not the answer of {ENTRY}: {reply}"));
    reply.find(HEADING).is_some_and(|h| h < answer)
}

/// One callback: whether it was sent after the reload had answered, its status and its reply text.
struct Asked {
    after_reload: bool,
    status: StatusCode,
    body: Value,
}

/// Asks [`QUESTION`] as fresh signed callbacks from `sender`, one after another, until `stop`.
async fn keep_asking(
    app: &TestApp,
    sender: &str,
    sent: &AtomicUsize,
    reloaded: &AtomicBool,
    stop: &AtomicBool,
) -> Vec<Asked> {
    let mut out = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let after_reload = reloaded.load(Ordering::SeqCst);
        let (status, body) = app.post_dingtalk(QUESTION, &unique_id("r"), sender).await;
        out.push(Asked {
            after_reload,
            status,
            body,
        });
        sent.fetch_add(1, Ordering::SeqCst);
    }
    out
}

/// Waits (bounded) until `sent` reaches `n`.
async fn until_sent(sent: &AtomicUsize, n: usize) {
    poll(
        &format!("{n} callbacks"),
        Duration::from_secs(60),
        || async move { (sent.load(Ordering::SeqCst) >= n).then_some(()) },
    )
    .await;
}

async fn reload(app: &TestApp) -> (StatusCode, Value) {
    app.api_post("/faq/reload", json!({})).await
}

async fn metrics(app: &TestApp) -> String {
    let r = app.http.get(app.url("/metrics")).send().await.unwrap();
    r.text().await.unwrap()
}

/// The reply to [`QUESTION`] asked now, as a fresh callback.
async fn reply_now(app: &TestApp) -> String {
    let (status, body) = app
        .post_dingtalk(QUESTION, &unique_id("q"), "u-check")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    markdown_text(&body).to_owned()
}

#[tokio::test]
async fn a_reload_under_a_stream_of_callbacks_serves_the_new_answer_and_loses_none() {
    // Three senders keep asking while the answer is edited and two reloads race: every callback is
    // answered (200, the entry's answer, never taken for a duplicate); each asked after the reload
    // answered gets the new answer. The reloads run one after the other: the first serves version 2
    // with the entry changed, the second version 3 with nothing changed.
    let (_dir, faq) = faq_copy(|_| {});
    let app = TestApp::spawn_with(Setup {
        faq: Some(faq.clone()),
        ..Setup::default()
    })
    .await;
    assert!(!serves_new(&reply_now(&app).await));
    let (sent, reloaded, stop) = (
        AtomicUsize::new(0),
        AtomicBool::new(false),
        AtomicBool::new(false),
    );

    let drive = async {
        until_sent(&sent, 30).await;
        quote_the_heading(&faq);
        let (first, second) = tokio::join!(reload(&app), reload(&app));
        reloaded.store(true, Ordering::SeqCst);
        let at_reload = sent.load(Ordering::SeqCst);
        until_sent(&sent, at_reload + 30).await;
        stop.store(true, Ordering::SeqCst);
        (first, second)
    };
    let (asked, (first, second)) = tokio::join!(
        async {
            let (a, b, c) = tokio::join!(
                keep_asking(&app, "u-a", &sent, &reloaded, &stop),
                keep_asking(&app, "u-b", &sent, &reloaded, &stop),
                keep_asking(&app, "u-c", &sent, &reloaded, &stop),
            );
            [a, b, c].into_iter().flatten().collect::<Vec<_>>()
        },
        drive
    );

    for (status, body) in [&first, &second] {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let mut reloads = [first.1, second.1];
    reloads.sort_by_key(|r| r["version"].as_u64());
    assert_eq!(reloads[0]["version"], 2, "{reloads:?}");
    assert_eq!(reloads[0]["changed"], json!([ENTRY]), "{reloads:?}");
    assert_eq!(reloads[0]["added"], json!([]), "{reloads:?}");
    assert_eq!(reloads[0]["removed"], json!([]), "{reloads:?}");
    assert_eq!(reloads[1]["version"], 3, "{reloads:?}");
    assert_eq!(reloads[1]["changed"], json!([]), "{reloads:?}");
    let mut old = 0;
    for a in &asked {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let new = serves_new(markdown_text(&a.body));
        assert!(
            new || !a.after_reload,
            "old answer after the reload: {}",
            a.body
        );
        old += usize::from(!new);
    }
    assert!(old >= 30, "{old} old answers");
    let after = asked.iter().filter(|a| a.after_reload).count();
    assert!(after >= 30, "{after} callbacks after the reload");
    let m = metrics(&app).await;
    let answered = format!(
        "policybot_questions_total{{platform=\"dingtalk\",outcome=\"answered\"}} {}\n",
        asked.len() + 1
    );
    assert!(m.contains(&answered), "{answered}in:\n{m}");
    let no_duplicates = "policybot_duplicates_dropped_total{platform=\"dingtalk\"} 0\n";
    assert!(m.contains(no_duplicates), "{m}");
    assert!(m.contains("policybot_faq_snapshot_version 3\n"), "{m}");
    assert!(m.contains("policybot_faq_reload_failures_total 0\n"), "{m}");
}

#[tokio::test]
async fn a_broken_faq_is_refused_with_its_check_message_and_the_old_answers_stay() {
    // A quote edited away from its source: the API answers 422 with the `faq check` message and the
    // version still served; `policybot faq reload` prints it and fails; the old answer is still given.
    // Once the base is fixed, `policybot faq reload` serves it and names the entry that changed.
    let (_dir, faq) = faq_copy(|_| {});
    let app = TestApp::spawn_with(Setup {
        faq: Some(faq.clone()),
        ..Setup::default()
    })
    .await;
    let before = reply_now(&app).await;
    break_the_quote(&faq);

    let (status, body) = reload(&app).await;
    let (unauthorised, _) = app.api("POST", "/faq/reload", None, None).await;
    let server = app.url("");
    let cli = ["faq", "reload", "--server", &server, "--token", ADMIN_TOKEN];
    let (ok, out, err) = app.cli(&cli).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["serving_version"], 1, "{body}");
    let problems = body["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.ends_with(NOT_VERBATIM))),
        "{body}"
    );
    assert_eq!(unauthorised, StatusCode::UNAUTHORIZED);
    assert!(!ok, "{out}");
    assert!(err.contains(NOT_VERBATIM), "{err}");
    assert_eq!(reply_now(&app).await, before);
    let m = metrics(&app).await;
    assert!(m.contains("policybot_faq_snapshot_version 1\n"), "{m}");
    assert!(m.contains("policybot_faq_reload_failures_total 2\n"), "{m}");

    edit_answer(&faq, ENTRY, |line| {
        line.replace("可免除环评手续", "可豁免环评手续")
    });
    quote_the_heading(&faq);
    let (ok, out, err) = app.cli(&cli).await;
    assert!(ok, "{err}");
    assert!(out.contains("serving version 2"), "{out}");
    assert!(out.contains(&format!("changed: {ENTRY}\n")), "{out}");
    assert!(serves_new(&reply_now(&app).await));
}

#[tokio::test]
async fn sighup_reloads_the_faq() {
    // `kill -HUP` reloads instead of ending the process: the new answer is served, version 2.
    let (_dir, faq) = faq_copy(|_| {});
    let app = TestApp::spawn_with(Setup {
        faq: Some(faq.clone()),
        ..Setup::default()
    })
    .await;
    assert!(!serves_new(&reply_now(&app).await));
    quote_the_heading(&faq);

    let hup = std::process::Command::new("kill")
        .args(["-HUP", &app.pid().to_string()])
        .status()
        .unwrap();

    assert!(hup.success());
    poll("the new answer", Duration::from_secs(30), || async {
        serves_new(&reply_now(&app).await).then_some(())
    })
    .await;
    app.assert_healthy().await;
    let m = metrics(&app).await;
    assert!(m.contains("policybot_faq_snapshot_version 2\n"), "{m}");
}
