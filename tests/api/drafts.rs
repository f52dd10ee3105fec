//! Drafts never reach enterprises (issue 13, points 5 and 12): `faq build` output and an officer's `入库`
//! draft from `faq drafts`, put into `faq/entries/` as they are, fail `faq check` with what to write, and
//! `serve` refuses to start on them; once written and reviewed they pass. `faq build` leaves a notice's
//! letter out and proposes its time in force.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;

/// A notice written for these tests, as a `faq/sources` file: salutation, announcement, two clauses, its
/// time in force glued to the last one, a closing formula, a contact line and the signature.
const NOTICE: &str = "title: 关于简化排污许可证延续手续的通知\nissuer: 某市生态环境局\ndate: 2026-09-20\nkind: 政策文件\n---\n\
    各县（市、区）生态环境分局，各有关企业：\n\
    为方便企业办理排污许可证延续，现将有关事项通知如下：\n\
    一、网上办理\n\
    延续申请一律通过排污许可管理平台在线提交，审批部门在10个工作日内办结，期间不要求提交纸质材料。\n\
    二、简化材料\n\
    排放情况未发生变化的企业，只需提交延续申请表和承诺书。本通知自2026年10月1日起施行，有效期至2027年9月30日。特此通知。\n\
    联系人：赵某，电话：0000-1234567\n\
    某市生态环境局\n\
    2026年9月20日\n";

/// Writes the notice into `faq/sources/` and returns `faq build`'s output for it.
fn build_notice(faq: &Path) -> String {
    let source = faq.join("sources/permit-renewal.txt");
    std::fs::write(&source, NOTICE).unwrap();
    let (ok, out, err) = run_cli(&["faq", "build", &source.display().to_string()]);
    assert!(ok, "{err}");
    out
}

fn faq_check(faq: &Path) -> (bool, String) {
    let (ok, out, err) = run_cli(&["faq", "check", "--faq", &faq.display().to_string()]);
    (ok, out + &err)
}

#[test]
fn faq_build_leaves_the_letter_out_and_proposes_the_time_in_force() {
    let (_dir, faq) = faq_copy(|_| {});

    let out = build_notice(&faq);

    let source = faq.join("sources/permit-renewal.txt").display().to_string();
    assert!(
        out.starts_with(&format!("# Drafts from {source}: ")),
        "{out}"
    );
    let drafts: toml::Table = toml::from_str(&out).unwrap();
    let entries = drafts["entry"].as_array().unwrap();
    let clauses: Vec<&str> = entries
        .iter()
        .map(|e| e["clause"].as_str().unwrap())
        .collect();
    assert_eq!(clauses, ["一、网上办理", "二、简化材料"], "{out}");
    assert_eq!(
        entries[1]["answer"].as_str(),
        Some("排放情况未发生变化的企业，只需提交延续申请表和承诺书。")
    );
    for e in entries {
        assert_eq!(
            e["validity"].as_str(),
            Some("2026年10月1日起施行，有效期至2027年9月30日"),
            "{e}"
        );
        assert_eq!(e["expires"].as_str(), Some("2027-10-01"), "{e}");
        for k in e["keywords"].as_array().unwrap() {
            let k = k.as_str().unwrap();
            assert!(!k.chars().all(|c| c.is_ascii_digit()) && k != "期间", "{k}");
        }
    }
}

#[tokio::test]
async fn faq_build_drafts_put_into_the_base_as_they_are_fail_faq_check_and_serve() {
    let (_dir, faq) = faq_copy(|_| {});
    let mut app = TestApp::spawn_with(Setup {
        faq: Some(faq.clone()),
        ..Setup::default()
    })
    .await;
    app.stop().await;

    let drafts = build_notice(&faq);
    std::fs::write(faq.join("entries/permit-renewal.toml"), drafts).unwrap();
    let (checked, said) = faq_check(&faq);
    let (served, log) = app.serve_expecting_exit().await;

    assert!(!checked, "{said}");
    for what in [
        "entry `permit-renewal-01`: `question` still holds the draft marker `TODO` (`TODO: 一、网上办理`): \
         write the question as an enterprise contact would ask it",
        "entry `permit-renewal-01`: has 0 alternate phrasing(s): write at least 4 in `alternates`",
        "entry `permit-renewal-02`: `question` still holds the draft marker `TODO`",
    ] {
        assert!(said.contains(what), "{what} not in:\n{said}");
        assert!(log.contains(what), "{what} not in:\n{log}");
    }
    assert!(!served);
}

#[tokio::test]
async fn an_officer_draft_is_refused_until_reviewed_with_a_public_citation() {
    let (_dir, faq) = faq_copy(|_| {});
    let app = TestApp::spawn().await;
    let id = app.escalate("食堂饭卡能退吗").await;
    let answer = json!({"officer": "王科长", "text": "饭卡余额可到食堂窗口退还。"});
    let (answered, _) = app.api_post(&format!("/tickets/{id}/answer"), answer).await;
    let (drafted, _) = app
        .api_post(
            &format!("/tickets/{id}/draft"),
            json!({"officer": "王科长"}),
        )
        .await;
    let (listed, out, err) = app
        .cli(&[
            "faq",
            "drafts",
            "--server",
            &app.url(""),
            "--token",
            ADMIN_TOKEN,
        ])
        .await;
    assert_eq!((answered, drafted), (StatusCode::OK, StatusCode::OK));
    assert!(listed, "{err}");

    assert!(
        out.contains("\nalternates = [\"食堂饭卡能退吗\"]\n"),
        "{out}"
    );
    let served_lines = out.lines().filter(|l| !l.starts_with('#'));
    assert!(
        served_lines
            .clone()
            .all(|l| !l.contains("工单") && !l.contains("王科长")),
        "{out}"
    );
    let entries = faq.join("entries/officer-answers.toml");
    std::fs::write(&entries, &out).unwrap();
    let (ok, said) = faq_check(&faq);
    assert!(!ok, "{said}");
    for what in [
        "`clause` still holds the draft marker `TODO`",
        "has 0 alternate phrasing(s) (an alternate equal to the question or to another one does not count)",
        "an officer-authored entry needs `reviewed_by` and `reviewed_on` before it is served",
    ] {
        assert!(
            said.contains(&format!("entry `officer-{id}`: {what}")),
            "{what} not in:\n{said}"
        );
    }

    // Written and reviewed, but citing the ticket and the officer: refused, naming both.
    let written = reviewed(&out).replace(
        "clause = \"TODO: 答复的主题或依据（企业可见，不写内部编号和姓名）\"",
        &format!("clause = \"工单 #{id} 工作人员答复（王科长）\""),
    );
    std::fs::write(&entries, &written).unwrap();
    let (ok, said) = faq_check(&faq);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!("`clause` names an internal ticket (`工单 #{id}`)")),
        "{said}"
    );
    assert!(
        said.contains("`clause` names a person (`王科长`)"),
        "{said}"
    );

    // A public citation: the base is fit to serve.
    let public = written.replace(
        &format!("clause = \"工单 #{id} 工作人员答复（王科长）\""),
        "clause = \"食堂饭卡余额的退还\"",
    );
    std::fs::write(&entries, public).unwrap();
    let (ok, said) = faq_check(&faq);
    assert!(ok, "{said}");
}

/// The draft with four more phrasings and a review.
fn reviewed(draft: &str) -> String {
    draft.replace(
        "alternates = [\"食堂饭卡能退吗\"]",
        "alternates = [\"食堂饭卡能退吗\", \"饭卡里的余额能退吗\", \"离职了饭卡钱怎么退\", \
         \"食堂卡没用完的钱可以退不\", \"饭卡余额去哪退\"]\nreviewed_by = \"编辑部\"\nreviewed_on = \"2026-12-02\"",
    )
}
