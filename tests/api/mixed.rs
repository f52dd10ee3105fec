//! Replies beyond one plain question: an escalation that quotes the related measure for reference, a
//! greeting with a question, and a message asking two questions (one answered, one escalated).

use crate::helpers::*;
use reqwest::StatusCode;

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
