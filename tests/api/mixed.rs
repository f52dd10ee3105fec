//! Replies beyond one plain question: an escalation that quotes the related measure for reference, a
//! greeting with a question, a message asking two questions (one answered, one escalated), stray numbers
//! and command words outside an exchange (no answer, no ticket), and one-word topics (suggestions only).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_question_asking_what_the_measure_does_not_state_is_escalated_with_the_measure_for_reference()
 {
    // The auto-extension measure says nothing about until when: an officer confirms, the quote is attached.
    let app = TestApp::spawn().await;
    let (status, body) = app
        .send_dingtalk(&DingTalkMsg::new(
            &app,
            "疫情期间辐射安全许可证自动顺延到哪天为止",
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = markdown_text(&body);
    assert!(ticket_number(text).is_some(), "{text}");
    assert!(
        text.contains("供参考") && text.contains("可以自动顺延"),
        "{text}"
    );
    assert!(text.contains("具体日期或期限"), "{text}");
}

#[tokio::test]
async fn a_greeting_with_a_question_is_answered_as_the_question() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .send_dingtalk(&DingTalkMsg::new(&app, "下午好呀，转产口罩要办环评吗"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = markdown_text(&body);
    assert!(text.contains("可豁免环评手续"), "{text}");
    assert_eq!(ticket_number(text), None, "{text}");
}

#[tokio::test]
async fn a_message_with_two_questions_answers_one_and_escalates_the_other_in_one_reply() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .send_dingtalk(&DingTalkMsg::new(
            &app,
            "辐射安全许可证到期了怎么办？另外社保能缓交吗",
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = markdown_text(&body);
    assert!(text.contains("可以自动顺延"), "{text}");
    assert!(
        text.contains("另一个问题") && text.contains("社保"),
        "{text}"
    );
    assert_eq!(ticket_number(text), Some(1), "{text}");
}

#[tokio::test]
async fn stray_numbers_and_command_words_get_neither_an_answer_nor_a_ticket() {
    // Nobody was offered suggestions, and this is an enterprise group: a number picks nothing, "人工" has
    // no question to hand over and the officers' commands are not obeyed here.
    let app = TestApp::spawn().await;
    for text in ["2", "４", "2。", "第二个", "人工", "待办", "认领 3", "50"] {
        let (status, body) = app.send_dingtalk(&DingTalkMsg::new(&app, text)).await;
        assert_eq!(status, StatusCode::OK, "{text}: {body}");
        let reply = markdown_text(&body);
        assert_eq!(ticket_number(reply), None, "{text}: {reply}");
        assert!(
            !reply.contains("——《"),
            "{text} got a quoted measure: {reply}"
        );
        assert!(reply.contains("@我"), "{text}: no hint how to ask: {reply}");
    }
    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(tickets, json!([]), "a stray word must not open a ticket");
}

#[tokio::test]
async fn a_one_word_topic_gets_suggestions_not_a_confident_answer() {
    let app = TestApp::spawn().await;
    for text in ["环评", "辐射安全许可证？"] {
        let (status, body) = app.send_dingtalk(&DingTalkMsg::new(&app, text)).await;
        assert_eq!(status, StatusCode::OK, "{text}: {body}");
        let reply = markdown_text(&body);
        assert!(reply.contains("您想问的是下面哪一个"), "{text}: {reply}");
        assert!(!reply.contains("——《"), "{text} was answered: {reply}");
        assert_eq!(ticket_number(reply), None, "{text}: {reply}");
    }
}
