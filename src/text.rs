//! Text rules shared by the FAQ base and the matcher, below both so that neither depends on the other
//! for them: normalisation (one function for FAQ text and questions, so both sides agree) and
//! [`squeeze`], the white-space-blind form verbatim quotes are compared in.
//!
//! Normalisation: traditional → simplified, full width → half width, lower case, @mentions and emoji
//! removed, white space collapsed. Politeness fillers (请问, 您好, 谢谢…) are removed by
//! [`strip_fillers`], which the matcher applies after it has looked for small talk.

use regex::Regex;
use std::sync::LazyLock;

/// `@name ` (DingTalk/WeCom text), `<@userid>` (WeCom markdown), a trailing `@name`, and a reply's
/// `回复 @name：` (a name ends at white space or at punctuation, so the question after `@小王：` stays).
static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<@[^>]*>|(?:回复\s*)?@[^\s@:,?!;。、]+(?:[\s:,]+|$)").expect("static regex")
});

/// DingTalk/WeCom emoticon codes such as `[微笑]`, `[OK]`.
static EMOTICON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[[\p{Han}a-zA-Z]{1,4}\]").expect("static regex"));

/// Politeness and filler phrases that carry no meaning for matching.
static FILLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:早上好|上午好|中午好|下午好|晚上好|哈喽|大家好|各位好|老师们好|在吗|在不在|hello|hi)[呀啊哈呢啦哦~]*|请问一下|请问|问一下|咨询一下|咨询下|想问一下|想问下|想咨询|想了解一下|想了解|麻烦问下|麻烦问一下|麻烦您|麻烦|打扰一下|打扰了|您好|你好|老师好|领导好|各位好|大家好|谢谢您|谢谢|多谢|感谢|辛苦了|急急急|在线等|请教一下|请教",
    )
    .expect("static regex")
});

/// Full normalisation used for both FAQ text and incoming questions.
pub fn normalize(text: &str) -> String {
    let simplified = fast2s::convert(text);
    let widened: String = simplified.chars().filter_map(fold_char).collect();
    let no_mentions = MENTION.replace_all(&widened, " ");
    let no_emoticons = EMOTICON.replace_all(&no_mentions, " ");
    collapse_spaces(&no_emoticons)
}

/// A forwarding mark or a speaker's label at the start of a forwarded message: `【转发】`, `转：`,
/// `>> `, `转发自企业群：`, `客户问的：`, `张经理：`.
static FORWARDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\s*(?:【[^】]{0,8}】|\[[^\]]{0,8}\]|>+|转发?[:：]|[^:：？?，,。]{1,12}[:：]))+\s*",
    )
    .expect("static regex")
});

/// Removes politeness fillers and forwarding marks; what remains is what the question is about.
pub fn strip_fillers(text: &str) -> String {
    let unforwarded = FORWARDED.replace(text, "");
    collapse_spaces(&FILLER.replace_all(&unforwarded, ""))
}

/// Full width → half width, upper → lower case, emoji and control characters dropped.
fn fold_char(c: char) -> Option<char> {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    if is_emoji(c) || (c.is_control() && !c.is_whitespace()) {
        return None;
    }
    Some(c.to_ascii_lowercase())
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE00..=0xFE0F | 0x200B..=0x200D | 0x2B00..=0x2BFF | 0xE0000..=0xE007F)
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text with every white-space character removed, for verbatim comparison.
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// True for characters that only punctuate: they never form terms.
pub fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || c.is_whitespace()
        || matches!(
            c,
            '，' | '。'
                | '？'
                | '！'
                | '、'
                | '；'
                | '：'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '（'
                | '）'
                | '《'
                | '》'
                | '【'
                | '】'
                | '…'
                | '—'
                | '～'
                | '·'
                | '「'
                | '」'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_letters_and_digits_become_half_width_lower_case() {
        assert_eq!(normalize("ＤＲ设备１２３"), "dr设备123");
    }

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(normalize("環評審批"), "环评审批");
    }

    #[test]
    fn mentions_and_emoji_are_removed() {
        assert_eq!(normalize("@政策小助手 环评怎么办😀[微笑]"), "环评怎么办");
        assert_eq!(normalize("<@zhangsan> 危废"), "危废");
        assert_eq!(
            normalize("回复 @小王：口罩能重复使用吗"),
            "口罩能重复使用吗"
        );
        assert_eq!(normalize("@政策助手，危废证到期了咋办"), "危废证到期了咋办");
    }

    #[test]
    fn fillers_are_stripped_but_content_stays() {
        assert_eq!(
            strip_fillers("您好，请问环评怎么办？谢谢"),
            "，环评怎么办？"
        );
    }

    #[test]
    fn forwarding_marks_and_speaker_labels_are_stripped() {
        assert_eq!(strip_fillers("【转发】王工：危废怎么转移"), "危废怎么转移");
        assert_eq!(strip_fillers(">> 环评怎么办"), "环评怎么办");
        assert_eq!(strip_fillers("客户问的：能豁免吗"), "能豁免吗");
    }

    #[test]
    fn squeeze_drops_every_white_space_character() {
        assert_eq!(squeeze("可豁免 环评\n\u{3000}手续。"), "可豁免环评手续。");
    }

    #[test]
    fn white_space_is_collapsed() {
        assert_eq!(normalize("  环评 \t 审批\n"), "环评 审批");
    }
}
