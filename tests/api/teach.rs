//! Officers teach the bot (issue 7): answering a ticket with an FAQ entry from the officer group, the
//! admin API and the CLI; the group gets the entry's quoted, cited measure, and the ticket's questions
//! become draft phrasings for that entry, never served until reviewed.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const ENTRY: &str = "fg-eia-exemption";
const QUOTE: &str = "可豁免环评手续";
/// How an enterprise might put it: in its own words, so the bot escalates it.
const QUESTION: &str = "我们厂这阵子改做消毒液，手续上那个评价还用不用弄";

#[tokio::test]
async fn an_officer_answers_with_an_faq_entry_from_the_officer_group() {
    let app = TestApp::spawn().await;
    let id = app.escalate(QUESTION).await;
    let officer = |text: String| {
        DingTalkMsg::new(&app, &text)
            .in_group(OFFICER_GROUP)
            .from(OFFICERS[0], "王科长")
    };

    let (_, unknown) = app
        .send_dingtalk(&officer(format!("答复 {id} #no-such-entry")))
        .await;
    let (_, done) = app
        .send_dingtalk(&officer(format!("答复 {id} #{ENTRY}")))
        .await;

    assert!(markdown_text(&unknown).contains("没有编号为"), "{unknown}");
    assert!(
        markdown_text(&done).contains(&format!("FAQ #{ENTRY}")),
        "{done}"
    );
    let sent = app
        .fake
        .wait_for(
            SESSION_PATH,
            "the entry's answer in the asker's group",
            |r| r.text().contains(QUOTE),
        )
        .await;
    assert!(sent.text().contains("——《"), "cited: {}", sent.text());
    assert!(sent.text().contains("@u-zhang"), "{}", sent.text());
    let (_, drafts) = app.api_get("/drafts").await;
    assert_eq!(drafts[0]["faq_id"], ENTRY, "{drafts}");
    assert_eq!(drafts[0]["question"], QUESTION);
    // Not served before review: the same question from another group is decided as the shipped base
    // decides it (`ask` has no store), not answered from the draft.
    let shipped = ask_json(&[QUESTION])[0]["outcome"].clone();
    let again = DingTalkMsg::new(&app, QUESTION).in_group("cid-another-group==");
    let (_, body) = app.send_dingtalk(&again).await;
    let escalated = ticket_number(markdown_text(&body)).is_some();
    assert_eq!(escalated, shipped == "escalated", "{body}");
}

#[tokio::test]
async fn an_officer_answers_with_an_faq_entry_through_the_api_and_the_cli_lists_the_draft() {
    let app = TestApp::spawn().await;
    let id = app.escalate(QUESTION).await;
    let path = format!("/tickets/{id}/answer");

    let (bad, _) = app
        .api_post(&path, json!({"officer": "王", "faq_id": "no-such-entry"}))
        .await;
    let (ok, ticket) = app
        .api_post(&path, json!({"officer": "王", "faq_id": ENTRY}))
        .await;
    let config = app.config_path().display().to_string();
    let (listed, out, err) = app
        .cli(&[
            "faq",
            "drafts",
            "--config",
            &config,
            "--server",
            &app.url(""),
            "--token",
            ADMIN_TOKEN,
        ])
        .await;

    assert_eq!(bad, StatusCode::BAD_REQUEST);
    assert_eq!(ok, StatusCode::OK, "{ticket}");
    assert!(
        ticket["answer"].as_str().unwrap().contains(QUOTE),
        "{ticket}"
    );
    app.wait_delivery(id, "delivered").await;
    assert!(listed, "{err}");
    assert!(
        out.contains("[[phrasings]]") && out.contains(ENTRY) && out.contains(QUESTION),
        "{out}"
    );
}
