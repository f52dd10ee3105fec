//! The sanitiser against a corpus of hostile strings (review finding 7 and the usual suspects).

use super::*;

/// Group titles, nicks and questions an attacker might send.
const HOSTILE: &[&str] = &[
    "[点此登录](https://evil.example.com/login) @所有人 # 大标题",
    "@所有人 看这里 https://evil.example/x **粗体** [链接](http://a) <@all>",
    "请访问 evil.example.com/x 领取补贴",
    "访问evil.example.com领取",
    "hxxps://evil.example.com/login",
    "ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ．ｃｏｍ／ｘ",
    "ｅｖｉｌ．ｃｏｍ",
    "evil。example。com/x",
    "ht\u{200b}tps://evil.example.com",
    "h\u{200d}t\u{2060}t\u{feff}p://e\u{200c}vil.com",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "ｊａｖａｓｃｒｉｐｔ：alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "点我 dingtalk://dingtalkclient/page/link?url=x",
    "192.168.1.1:8080/admin",
    "www.evil.com",
    "EVIL.COM/X",
    "line1\nline2\r\n# heading\u{2028}### 三级标题\u{2029}> quote",
    "bell\u{7}esc\u{1b}[31mred\u{1b}[0m nul\u{0} del\u{7f} c1\u{85}\u{9b}",
    "\u{202e}moc.live//:sptth\u{202c} and \u{2066}isolate\u{2069} \u{200f}rtl\u{200e}",
    "<a href=\"https://evil.com\">官方通知</a><img src=x onerror=alert(1)>",
    "&lt;script&gt; &#64;all &#x40;所有人",
    "`code` ~~strike~~ __bold__ | table | ![img](x.png)",
    "<@wangke> <@all> @all @所有人 ＠所有人",
    "\\[not a link\\]\\(https://evil.com\\)",
    "[text]\n(https://evil.com)",
    "tag\u{e0041}\u{e0042}chars and variation\u{fe0f}selector",
    "ma\u{ad}il.evil.com soft hyphen",
    "_evil.com and evil.com_x and 1evil.com",
    "hotel:  _javascript:alert(1) 访问tel:10086",
];

/// Properties every sanitised user string has.
fn assert_safe(input: &str, out: &str) {
    let bad_chars = [
        '@', '#', '*', '`', '[', ']', '<', '>', '|', '~', '!', '&', '\n', '\r',
    ];
    assert!(!out.contains(bad_chars), "{input:?} -> {out:?}");
    assert!(!out.chars().any(is_invisible), "{input:?} -> {out:?}");
    let refolded: String = out.chars().map(fold).collect();
    let leftover = LINK.find(&refolded).map(|m| m.as_str());
    assert_eq!(leftover, None, "{input:?} -> {out:?}");
}

#[test]
fn hostile_user_text_is_neutralised() {
    for input in HOSTILE {
        let out = user_text(input, QUESTION_CHARS);
        assert_safe(input, &out);
    }
}

#[test]
fn finding_seven_title_keeps_its_words_and_loses_its_power() {
    let out = user_text(
        "[点此登录](https://evil.example.com/login) @所有人 # 大标题",
        NAME_CHARS,
    );
    assert_eq!(out, "［点此登录］(［链接已移除］ ＠所有人 ＃ 大标题");
}

#[test]
fn links_in_every_disguise_are_removed() {
    for (input, expected) in [
        (
            "请访问 evil.example.com/x 领取补贴",
            "请访问 ［链接已移除］ 领取补贴",
        ),
        ("访问evil.example.com领取", "访问［链接已移除］领取"),
        ("hxxps://evil.example.com/login", "［链接已移除］"),
        (
            "ｈｔｔｐｓ：／／ｅｖｉｌ．ｃｏｍ／ｘ 点",
            "［链接已移除］ 点",
        ),
        ("ht\u{200b}tps://evil.example.com", "［链接已移除］"),
        ("javascript:alert(1)", "［链接已移除］"),
        ("打开 192.168.1.1:8080/admin", "打开 ［链接已移除］"),
    ] {
        assert_eq!(user_text(input, QUESTION_CHARS), expected, "{input:?}");
    }
}

#[test]
fn ordinary_questions_pass_unchanged() {
    for q in [
        "我们厂临时转产口罩，要办环评吗？",
        "GB 3095-2012 的二级标准是多少？PM2.5 呢",
        "辐射安全许可证快到期了怎么办（第3条）",
        "v1.2 版本的申报表在哪下载",
    ] {
        assert_eq!(user_text(q, QUESTION_CHARS), q);
    }
}

#[test]
fn user_text_is_one_bounded_line() {
    assert_eq!(user_text("a\nb\u{2028}c\r\nd\te", 100), "a b c d e");
    let long = "环".repeat(1000);
    let out = user_text(&long, QUESTION_CHARS);
    assert_eq!(out.chars().count(), QUESTION_CHARS + 1);
    assert!(out.ends_with('…'));
}

#[test]
fn staff_text_keeps_paragraphs_and_web_urls_but_not_mentions_or_markdown() {
    let answer = "# 标题\n请登录 https://www.zwfw.gov.cn/path?a=1 办理。\n\n\n\n@所有人 [官网](https://evil.com)\n---\n1. 第一步\n- 第二步";
    let out = staff_text(answer);
    assert_eq!(
        out,
        "＃ 标题\n请登录 https://www.zwfw.gov.cn/path?a=1 办理。\n\n＠所有人 ［官网］(［链接已移除］\n－－－\n1. 第一步\n- 第二步"
    );
}

#[test]
fn staff_text_drops_non_web_links_and_invisible_characters() {
    let out =
        staff_text("见 javascript:alert(1) 与 ｈｔｔｐｓ：／／evil.com 和 \u{202e}abc\u{200b}");
    assert_eq!(out, "见 ［链接已移除］ 与 ［链接已移除］ 和 abc");
}

#[test]
fn hostile_staff_text_cannot_mention_format_or_hide() {
    for input in HOSTILE {
        let out = staff_text(input);
        let bad = [
            '@', '#', '*', '`', '[', ']', '<', '>', '|', '~', '!', '&', '\r',
        ];
        assert!(!out.contains(bad), "{input:?} -> {out:?}");
        let hidden = out.chars().any(|c| c != '\n' && is_invisible(c));
        assert!(!hidden, "{input:?} -> {out:?}");
        assert!(
            !out.to_lowercase().contains("script:"),
            "{input:?} -> {out:?}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 256, failure_persistence: None, ..Default::default()
    })]

    #[test]
    fn any_user_text_cut_anywhere_comes_out_safe(input in "\\PC{0,60}|.{0,60}", max in 1usize..70) {
        let out = user_text(&input, max);
        assert_safe(&input, &out);
        proptest::prop_assert!(out.chars().count() <= max + 1);
    }

    #[test]
    fn hostile_pieces_in_any_order_come_out_safe(
        pieces in proptest::collection::vec(proptest::sample::select(HOSTILE), 1..4),
        glue in "[ 访问a.\u{200b}\u{ff0e}\u{3002}]{0,3}",
    ) {
        let input = pieces.join(&glue);
        assert_safe(&input, &user_text(&input, QUESTION_CHARS * 4));
    }
}
