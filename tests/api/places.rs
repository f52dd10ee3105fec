//! Groups configured as one place's (`[[groups]]`, issue 14): a question that names no place is decided
//! there as if it named the group's place. Another place's measure does not answer it: the question goes
//! to an officer with that measure quoted for reference. The same question from a group of no place gets
//! the measure with whose it is; from a group of the measure's own place, the measure. `ask --place` and
//! `/api/v1/ask` show what a configured group gets. A place the FAQ base does not know stops start-up and
//! refuses a reload, naming the key.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// A question only 开封's own measure (its 2-day pig-farm procedure) answers; it names no place.
const PIG_FARM: &str = "生猪养殖项目环评可以告知承诺吗";
/// That measure's entry and words.
const KAIFENG_PIG: &str = "news-kf-pig-farm";
const KAIFENG_WORDS: &str = "生猪养殖告知承诺制审批";
const KAIFENG_PRACTICE: &str = "开封的做法";
/// What a local measure's answer adds for readers outside its place.
const ELSEWHERE_CAVEAT: &str = "其他地区请以当地规定为准";
const ZHENGZHOU_GROUP: &str = "cid-zhengzhou-enterprises==";
const KAIFENG_CHAT: &str = "wrkKaifeng";

fn group(platform: &str, chat: &str, place: &str) -> String {
    format!("[[groups]]\nplatform = \"{platform}\"\nchat = \"{chat}\"\nplace = \"{place}\"\n\n")
}

async fn spawn_with_groups(groups: &str, faq: Option<std::path::PathBuf>) -> TestApp {
    TestApp::spawn_with(Setup {
        extra: groups.to_owned(),
        faq,
        ..Setup::default()
    })
    .await
}

#[tokio::test]
async fn a_place_less_question_in_a_group_of_another_place_is_escalated_with_the_measure_for_reference()
 {
    let app = spawn_with_groups(&group("dingtalk", ZHENGZHOU_GROUP, "郑州"), None).await;

    let (status, body) = app
        .send_dingtalk(&DingTalkMsg::new(&app, PIG_FARM).in_group(ZHENGZHOU_GROUP))
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let text = markdown_text(&body);
    let id = ticket_number(text).unwrap_or_else(|| panic!("no ticket: {text}"));
    assert!(text.contains("供参考"), "{text}");
    assert!(text.contains(KAIFENG_WORDS), "{text}");
    assert!(text.contains(KAIFENG_PRACTICE), "{text}");
    let ticket = app.ticket(id).await;
    assert_eq!(ticket["group_id"], ZHENGZHOU_GROUP, "{ticket}");
    assert_eq!(ticket["guesses"][0]["faq_id"], KAIFENG_PIG, "{ticket}");
}

#[tokio::test]
async fn the_same_question_from_a_group_of_no_place_gets_the_measure_with_whose_it_is() {
    let app = spawn_with_groups(&group("dingtalk", ZHENGZHOU_GROUP, "郑州"), None).await;

    let (status, body) = app
        .send_dingtalk(&DingTalkMsg::new(&app, PIG_FARM).in_group(USER_GROUP))
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let text = markdown_text(&body);
    assert_eq!(ticket_number(text), None, "{text}");
    assert!(
        text.contains(KAIFENG_WORDS)
            && text.contains(KAIFENG_PRACTICE)
            && text.contains(ELSEWHERE_CAVEAT),
        "{text}"
    );
    assert!(!text.contains("供参考"), "{text}");
    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(tickets, json!([]));
}

#[tokio::test]
async fn a_wecom_group_of_the_measures_own_place_gets_the_answer() {
    let app = spawn_with_groups(&group("wecom", KAIFENG_CHAT, "开封市"), None).await;
    let xml = wecom_robot_text(&app, &unique_id("w"), "lisi", KAIFENG_CHAT, PIG_FARM);

    let (status, reply) = app.post_wecom(&xml).await;

    assert_eq!(status, StatusCode::OK, "{reply}");
    let (plain, _) = app.wecom.decrypt(xml_field(&reply, "Encrypt"));
    assert!(plain.contains(KAIFENG_WORDS), "{plain}");
    assert_eq!(ticket_number(&plain), None, "{plain}");
    assert!(!plain.contains("供参考"), "{plain}");
    // Whose practice it is, still; but in 开封's own group, not "elsewhere, ask your local rules".
    assert!(plain.contains(KAIFENG_PRACTICE), "{plain}");
    assert!(!plain.contains(ELSEWHERE_CAVEAT), "{plain}");
}

#[tokio::test]
async fn a_group_is_matched_by_platform_and_chat() {
    // The 郑州 group's id on the other platform is another group: it has no place.
    let app = spawn_with_groups(&group("wecom", ZHENGZHOU_GROUP, "郑州"), None).await;

    let (_, body) = app
        .send_dingtalk(&DingTalkMsg::new(&app, PIG_FARM).in_group(ZHENGZHOU_GROUP))
        .await;

    let text = markdown_text(&body);
    assert_eq!(ticket_number(text), None, "{text}");
    assert!(text.contains(KAIFENG_WORDS), "{text}");
}

#[tokio::test]
async fn the_admin_ask_shows_what_a_group_of_a_place_gets_and_refuses_an_unknown_place() {
    let app = TestApp::spawn().await;

    let (_, anywhere) = app.api_post("/ask", json!({ "question": PIG_FARM })).await;
    let (_, zhengzhou) = app
        .api_post("/ask", json!({ "question": PIG_FARM, "place": "郑州" }))
        .await;
    let (status, unknown) = app
        .api_post("/ask", json!({ "question": PIG_FARM, "place": "汴京" }))
        .await;

    assert_eq!(
        (&anywhere["outcome"], &anywhere["faq_id"]),
        (&json!("answered"), &json!(KAIFENG_PIG))
    );
    assert_eq!(
        (&zhengzhou["outcome"], &zhengzhou["faq_id"]),
        (&json!("escalated"), &json!(KAIFENG_PIG)),
        "{zhengzhou}"
    );
    assert!(zhengzhou["reply"].as_str().unwrap().contains("供参考"));
    assert_eq!(zhengzhou["place"], "郑州", "the place it was decided for");
    assert_eq!(anywhere.get("place"), None, "{anywhere}");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{unknown}");
    assert!(
        unknown["error"]
            .as_str()
            .unwrap()
            .contains("unknown place `汴京`"),
        "{unknown}"
    );
    let (_, tickets) = app.api_get("/tickets?status=all").await;
    assert_eq!(tickets, json!([]), "asking opens no ticket");
}

#[test]
fn ask_place_answers_as_in_a_group_of_that_place() {
    let zhengzhou = ask_json_with(&["--as-of", TEST_AS_OF, "--place", "郑州市"], &[PIG_FARM]);
    let kaifeng = ask_json_with(&["--as-of", TEST_AS_OF, "--place", "开封"], &[PIG_FARM]);
    assert_eq!(zhengzhou[0]["outcome"], "escalated", "{}", zhengzhou[0]);
    assert_eq!(zhengzhou[0]["faq_id"], KAIFENG_PIG);
    assert_eq!(kaifeng[0]["outcome"], "answered", "{}", kaifeng[0]);
    let faq = repo_faq().display().to_string();
    let (ok, _, err) = run_cli(&["ask", "--faq", &faq, "--place", "汴京", PIG_FARM]);
    assert!(!ok);
    assert!(err.contains("--place") && err.contains("汴京"), "{err}");
}

#[tokio::test]
async fn a_config_with_an_unknown_place_does_not_start_and_names_the_key() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let groups = format!(
        "{}{}",
        group("dingtalk", ZHENGZHOU_GROUP, "郑州"),
        group("wecom", KAIFENG_CHAT, "汴京")
    );
    app.edit_config(|c| format!("{c}\n{groups}"));

    let (started, said) = app.serve_expecting_exit().await;

    assert!(!started, "{said}");
    assert!(said.contains("groups[1].place"), "{said}");
    assert!(said.contains("汴京"), "{said}");
}

#[tokio::test]
async fn a_config_naming_an_officer_group_as_a_places_group_does_not_start() {
    // An officer group takes only officers' commands: as a place's group its enterprises would never
    // have been answered.
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let groups = group("dingtalk", OFFICER_GROUP, "郑州");
    app.edit_config(|c| format!("{c}\n{groups}"));

    let (started, said) = app.serve_expecting_exit().await;

    assert!(!started, "{said}");
    assert!(
        said.contains("groups[0].chat") && said.contains("officers.groups"),
        "{said}"
    );
}

#[tokio::test]
async fn a_reload_whose_places_lack_a_groups_place_is_refused_and_the_old_base_served() {
    let (_dir, faq) = faq_copy(|_| {});
    let app = spawn_with_groups(&group("wecom", KAIFENG_CHAT, "开封市"), Some(faq.clone())).await;
    let places = faq.join("places.toml");
    let text = std::fs::read_to_string(&places).unwrap();
    let edited = text.replacen("aliases = [\"开封市\"]\n", "", 1);
    assert_ne!(edited, text, "the alias is in places.toml");
    std::fs::write(&places, edited).unwrap();

    let (status, body) = app.api_post("/faq/reload", json!({})).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("groups[0].place"),
        "{body}"
    );
    assert_eq!(body["serving_version"], 1, "{body}");
    let xml = wecom_robot_text(&app, &unique_id("w"), "lisi", KAIFENG_CHAT, PIG_FARM);
    let (_, reply) = app.post_wecom(&xml).await;
    let (plain, _) = app.wecom.decrypt(xml_field(&reply, "Encrypt"));
    assert!(plain.contains(KAIFENG_WORDS), "{plain}");
}

#[test]
fn a_question_about_what_the_province_does_is_not_answered_with_one_citys_practice() {
    // 省里 / 省厅 / 全省 name the province (faq/places.toml): 三门峡's incentive for green factories is
    // that city's answer, not the province's.
    let [city, province, department] = &ask_json(&[
        "三门峡对评上绿色工厂的企业有什么激励",
        "省里对评上绿色工厂的企业有什么激励",
        "省厅对评上绿色工厂的企业给什么激励",
    ])[..] else {
        panic!("three results")
    };
    assert_eq!(city["outcome"], "answered", "{city}");
    let local = city["faq_id"].as_str().unwrap();
    for r in [province, department] {
        assert!(
            !(r["outcome"] == "answered" && r["faq_id"] == local),
            "the city's measure answered for the province: {r}"
        );
    }
}

#[test]
fn a_detail_only_a_citys_report_states_is_answered_with_that_citys_text_and_whose_it_is() {
    // 罗山's item reports the provincial remote review (faq/reports.toml) and adds how sites are seen
    // (视频直播, 录像, 照片). Asked about that detail, with no place named, its text answers, saying whose
    // practice it is; asked about the rule both state, the provincial measure answers.
    let [detail, rule] = &ask_json(&[
        "报告书项目现场踏勘能不能用视频直播代替专家到场",
        "报告表项目现在还做技术评估吗",
    ])[..] else {
        panic!("two results")
    };
    assert_eq!(
        (detail["outcome"].as_str(), detail["faq_id"].as_str()),
        (Some("answered"), Some("news-ls-remote-review")),
        "{detail}"
    );
    assert!(
        detail["reply"].as_str().unwrap().contains("罗山的做法"),
        "{detail}"
    );
    assert_eq!(
        (rule["outcome"].as_str(), rule["faq_id"].as_str()),
        (Some("answered"), Some("fg-report-form-no-review")),
        "{rule}"
    );
}
