//! Recognises the kinds of message the FAQ must never answer: small talk (greetings, thanks, "are you a
//! robot", a bare @), stray words that are no question at all (a number, an ordinal or one of the bot's own
//! command words typed outside the exchange it belongs to), and questions about one specific case that only
//! an officer can look up.

use regex::Regex;
use std::sync::LazyLock;

/// Words that alone make small talk: greetings, thanks, acknowledgements, farewells, laughter, praise,
/// questions about the bot, and how people address it. Each may be followed by particles (呀, 啦, 哈…).
const SMALLTALK_WORDS: &str = concat!(
    r"你好|您好|hi|hello|hey|嗨|哈喽|哈啰|早上好|上午好|中午好|下午好|晚上好|早安|午安|晚安|早|大家好|各位好|大家|各位",
    r"|在吗|在不在|在么|在嘛|有人吗|有人在吗|有人没",
    r"|谢谢你们|谢谢你|谢谢您|谢谢|谢了|谢啦|多谢|感谢|感恩|thanks|thank you|thx|3q|辛苦了|辛苦|麻烦了|麻烦你了",
    r"|好嘞|好哒|好滴|好的|好吧|好|ok|okay|okk|嗯呢|嗯|噢|哦|喔|行|中|可以|没事了|没问题|妥了|妥|得嘞",
    r"|收到|知道了|知道|明白了|明白|了解了|了解|懂了|晓得了|清楚了|学到了|懂",
    r"|拜拜|拜|再见|bye|88|回头见|下次再问|下次见|先这样|就这样",
    r"|哈|呵|嘿|嘻|hh|233|666|赞|点赞|牛|厉害|真棒|太棒了|棒|给力|不错",
    r"|你是谁|你叫啥名字|你叫什么名字|你叫啥|你叫什么|叫啥名字|你是机器人吗|你是机器人|你是人工智能吗|你是ai吗|你是真人吗|是真人吗|是机器人吗|机器人吗",
    r"|你能做什么|你会什么|你能干什么|你能干啥|你会干啥|你可以做什么|怎么用|怎么使用|帮助|help|菜单|功能|测试|test",
    r"|周末愉快|节日快乐|新年快乐|新年好|过年好|祝好|保重|加油|辛苦辛苦|太感谢了|非常感谢|万分感谢|感激不尽|感激",
    r"|客气了|不客气|别客气|不用谢|没关系|我知道了|我明白了|我懂了|我(?:先|再)?去?(?:问问|看看|试试|想想)|回头再说|那行|那好|就这些|没有了|没别的了",
    r"|nice|good|great|cool|你都?(?:会|能|可以)回答(?:什么|哪些|啥)问题|你都(?:会|能)(?:干|做)(?:啥|什么)",
    r"|老师|领导|小助手|助手|机器人|bot|小哥|小姐姐|亲|恁|你们|您|得劲|美得很",
);

/// A whole message made only of small-talk words, particles, tildes and punctuation.
static SMALLTALK: LazyLock<Regex> = LazyLock::new(|| {
    regex::RegexBuilder::new(&format!(
        r"^(?:(?:{SMALLTALK_WORDS})+[呀啊哈呢啦哦噢嘞咯哇嘛吖捏哟呐]*[\s,.!?，。！？~～、…]*|[\s,.!?，。！？~～、…]+)*$"
    ))
    .dfa_size_limit(1 << 18)
    .build()
    .expect("static regex")
});

/// Signs of a specific case: a look-up request, a progress complaint, a file or licence number.
static SPECIFIC_CASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"帮(?:我|我们|忙)(?:把[^，。？?]{1,12})?(?:审|填|报|写|改|交|弄)一?下|查询一下|给查|我(?:们|司)?(?:厂|公司|单位|企业|项目)?的?(?:项目|申请|材料|报告|批复|许可证?|审批|手续|案子|罚单|处罚).{0,12}(?:到哪|进度|怎么样了|批了没|批下来|还没|卡在|状态|结果)",
        r"|为什么还没|怎么还没|为啥还没|咋还没|一直没(?:有)?(?:批|回复|消息|下来|通过)|到哪一?步|进度如何|进展如何|什么进度|审到哪|批到哪|什么时候能批|啥时候能批",
        r"|我(?:们|司)?(?:厂|公司|单位|企业|项目)?的.{0,12}(?:被退回|被驳回|退回了|驳回了|没通过|没批准|不予受理|被拒)",
        r"|(?:项目|受理|许可证|证书|文件|案件|备案|批复)(?:编号|号|号码)\s*[:：]?\s*[a-z0-9]|[a-z]{1,6}[-_]?\d{4}[-_]\d{1,6}|\d{8,}|第\s*\d+\s*号|〔\d{4}〕\s*\d+"
    ))
    .expect("static regex")
});

/// A document number as official documents write it (〔2020〕14号).
static DOCUMENT_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"〔\d{4}〕\s*\d+号?").expect("static regex"));

/// The document numbers a (normalised) text names, each as written and as compared (white space and
/// 号 dropped: 〔2020〕14).
pub fn document_numbers(normalized: &str) -> impl Iterator<Item = (&str, String)> {
    DOCUMENT_NUMBER.find_iter(normalized).map(|m| {
        let key = m
            .as_str()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '号');
        (m.as_str(), key.collect())
    })
}

/// A number or an ordinal alone ("2", "2。", "第二个", "3号"), or a command word of the bot's own alone or
/// with a ticket number: the pick of a suggestion, "人工" and the officers' commands mean something only in
/// the exchange they belong to, which the caller handles before asking the matcher.
static STRAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^[\s,.!?，。！？~～、…#]*(?:",
        r"第?\s*(?:\d+|[一二两三四五六七八九十]+)\s*(?:个|号|条|项|种|点)?",
        r"|(?:转|找|要|请)?人工(?:服务|客服|处理)?|待办|序号|(?:认领|答复|关闭|重开|入库)(?:\s*#?\s*\d+.*)?",
        r")[\s,.!?，。！？~～、…]*$"
    ))
    .expect("static regex")
});

/// True when the (normalised) message is a stray number, ordinal or command word, not a question.
pub fn is_stray(normalized: &str) -> bool {
    STRAY.is_match(normalized.trim())
}

/// True when the whole (normalised) message is small talk or empty.
pub fn is_smalltalk(normalized: &str) -> bool {
    let trimmed = normalized.trim();
    trimmed.is_empty() || SMALLTALK.is_match(trimmed)
}

/// Thanks and acknowledgements, the words that make small talk a thanks ("谢谢", "收到", "好的").
static THANKS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"谢|感恩|thank|thx|3q|辛苦|麻烦|收到|好的|好嘞|好哒|明白|知道|了解|懂|ok|妥")
        .expect("static regex")
});

/// True when a small-talk message (see [`is_smalltalk`]) thanks or acknowledges rather than greets.
pub fn is_thanks(normalized: &str) -> bool {
    THANKS.is_match(normalized) && !normalized.contains(['吗', '?', '？'])
}

/// A request to look something up or look at something ("帮我查一下", "查查").
static LOOK_UP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"帮(?:我|忙|我们)?(?:查|看|问|催|跟进|处理)|查一下|查查").expect("static regex")
});

/// Asking whether someone will come or can be asked to help ("有人来指导不", "能不能请专家帮忙看看"): a
/// question about a service the department offers, not a look-up of one's own case.
static SERVICE_ASKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:有没有人|有人|能不能请|可不可以请|能否请|能请|能不能派|会不会派|能派|派人|专家)",
        r"[^，。？?]{0,16}(?:帮|指导|看看|查查)[^，。？?]{0,8}(?:吗|不|没|么|嘛|[?？]|$)"
    ))
    .expect("static regex")
});

/// True when the question is about one specific case an officer must look up.
pub fn is_specific_case(normalized: &str) -> bool {
    SPECIFIC_CASE.is_match(normalized)
        || (LOOK_UP.is_match(normalized) && !SERVICE_ASKED.is_match(normalized))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_thanks_and_bare_mentions_are_small_talk() {
        for m in [
            "",
            "你好",
            "谢谢！",
            "在吗",
            "你是机器人吗？",
            "好的，谢谢老师",
            "hello~",
            "好嘞好嘞~",
            "辛苦啦老师~~",
            "收到收到，谢啦",
            "哈哈哈，明白",
            "晚安～拜拜",
            "机器人你叫什么呀",
            "好的，我去问问",
            "行，我知道了",
            "太感谢了",
            "周末愉快~",
            "客气了",
            "你都会回答什么问题",
        ] {
            assert!(is_smalltalk(m), "{m}");
        }
    }

    #[test]
    fn thanks_and_acknowledgements_are_told_from_greetings() {
        for m in ["谢谢", "收到", "好的，谢谢老师", "明白了", "辛苦啦"] {
            assert!(is_smalltalk(m) && is_thanks(m), "{m}");
        }
        for m in ["你好", "在吗", "你是机器人吗"] {
            assert!(!is_thanks(m), "{m}");
        }
    }

    #[test]
    fn questions_are_not_small_talk_even_with_a_greeting() {
        for m in [
            "你好，环评怎么办",
            "谢谢，危废许可证到期了咋办",
            "好的",
            "机器人能告诉我排污许可怎么申请吗",
        ] {
            assert_eq!(is_smalltalk(m), m == "好的", "{m}");
        }
    }

    #[test]
    fn numbers_ordinals_and_command_words_alone_are_stray() {
        for m in [
            "2",
            "2。",
            "4",
            "50",
            "第二个",
            "3号",
            "二",
            "人工",
            "转人工！",
            "待办",
            "认领 12",
            "答复 3 可以的",
            "关闭",
            "#2",
        ] {
            assert!(is_stray(m), "{m}");
        }
    }

    #[test]
    fn questions_with_numbers_or_command_words_are_not_stray() {
        for m in [
            "84消毒液能和酒精混用吗",
            "2020年的政策还有效吗",
            "人工智能企业有扶持吗",
            "答复意见什么时候出",
            "第二批名单出了吗",
        ] {
            assert!(!is_stray(m), "{m}");
        }
    }

    #[test]
    fn look_ups_progress_and_case_numbers_are_specific() {
        for m in [
            "帮我查一下我们厂环评批复到哪一步了",
            "为什么还没批",
            "项目编号hp2020-017",
            "我们公司的排污许可证申请一直没批下来",
            "豫环审〔2020〕12号的批复",
            "我们的危废转移计划被退回了，是什么原因",
            "报告表发你了，帮我审一下",
            "帮我们填一下登记表",
            "帮我把这张申报表改一下",
        ] {
            assert!(is_specific_case(m), "{m}");
        }
    }

    #[test]
    fn general_policy_questions_are_not_specific() {
        for m in [
            "环评审批可以网上办吗",
            "危废经营许可证到期了怎么办",
            "辐射安全许可证快到期了",
            "37.3度要回家吗",
            "环保局能帮忙协调医废收运吗",
            "开工前设施要自查 有人来指导不",
            "废水一直不达标，能不能请省里的专家帮忙看看",
        ] {
            assert!(!is_specific_case(m), "{m}");
        }
    }
}
