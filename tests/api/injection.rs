//! Markdown injection (hardening finding 7) from the outside: a group title, an external member's nick and
//! a question carrying links in every disguise, mentions, headings and direction overrides; and an
//! officer's answer with a mention and a disguised link. What the fake platform records, in the asker's
//! instant reply, the officers' notification, `待办`, the `答复` confirmation and the answer posted to the
//! group, carries none of it; the officer's plain web URL survives.

use crate::helpers::*;
use reqwest::StatusCode;

const TITLE: &str = "[点此登录](https://evil.example.com/login) @所有人 # 大标题";
const NICK: &str = "@所有人 [客服](hxxps://evil.example.com)\u{202e}";
const QUESTION: &str = "食堂饭卡能退吗 详见 evil.example.com/x ｈｔｔｐｓ：／／ｅｖｉｌ．ｃｏｍ ht\u{200b}tps://evil.example.com\n# 标题 <@all>";
const ANSWER: &str = "请登录 https://www.zwfw.gov.cn 办理。\n@所有人 [官网](https://evil.example.com) javascript:alert(1)";

/// None of the hostile forms in `text` (the bot's own `@id` and `工单 #n` are its own syntax).
fn assert_neutral(what: &str, text: &str) {
    for needle in [
        "evil",
        "ｅｖｉｌ",
        "hxxps",
        "](",
        "# 大标题",
        "# 标题",
        "@所有人",
        "<@all>",
        "javascript",
        "\u{202e}",
        "\u{200b}",
    ] {
        assert!(!text.contains(needle), "{what} carries {needle:?}: {text}");
    }
}

#[tokio::test]
async fn hostile_titles_nicks_questions_and_answers_reach_the_groups_neutralised() {
    let app = TestApp::spawn().await;
    let asked = DingTalkMsg::new(&app, QUESTION)
        .from("", NICK)
        .titled(TITLE);
    let (status, body) = app.send_dingtalk(&asked).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reply = markdown_text(&body);
    let id = ticket_number(reply).unwrap_or_else(|| panic!("not escalated: {reply}"));
    let note = app
        .fake
        .wait_for(OFFICERS_PATH, "the officers' notification", |r| {
            r.text().contains(&format!("#{id}"))
        })
        .await;
    let officer = |text: String| {
        DingTalkMsg::new(&app, &text)
            .in_group(OFFICER_GROUP)
            .from(OFFICERS[0], "王科长")
    };
    let (_, todo) = app.send_dingtalk(&officer("待办".into())).await;
    let (_, confirmed) = app
        .send_dingtalk(&officer(format!("答复 {id} {ANSWER}")))
        .await;
    let posted = app
        .fake
        .wait_for(SESSION_PATH, "the answer in the asker's group", |r| {
            r.text().contains("工作人员答复如下")
        })
        .await;

    assert_neutral("the instant reply", reply);
    assert_neutral("the notification", &note.text());
    assert_neutral("待办", markdown_text(&todo));
    assert_neutral("the 答复 confirmation", markdown_text(&confirmed));
    assert_neutral("the posted answer", &posted.text());
    assert!(note.text().contains("大标题") && note.text().contains("食堂饭卡能退吗"));
    assert!(markdown_text(&todo).contains("大标题"), "{todo}");
    let answer = posted.text();
    assert!(
        answer.contains("https://www.zwfw.gov.cn 办理。"),
        "{answer}"
    );
    assert!(answer.contains("＠所有人"), "{answer}");
    assert_eq!(posted.body["at"]["isAtAll"], false);
}
