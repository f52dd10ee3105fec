//! What of a notice's text carries measures, for `faq build`: the salutation (各有关单位：), the sentence
//! that announces the clauses (现将有关事项通知如下：), closing formulas (特此通知。), contact and
//! attachment lines and the signature's date are the letter around the measures, never an answer. Lines
//! are dropped whole; a closing formula or a statement of the document's own validity at the end of a
//! clause is cut from it ([`trim_tail`]) so that it is not glued to the last measure.

use super::terms;
use crate::faq::Date;
use regex::Regex;
use std::sync::LazyLock;

/// A line that is the letter, not a measure: an announcement, a contact or attachment line, a date, a
/// note on publication.
static LETTER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:如下|通知如下|意见如下)[：:。]$",
        r"|^(?:联系人|联系电话|联系方式|咨询电话|电话|传真|邮箱|电子邮箱|地址|附件)\s*[：:0-9１-９]",
        r"|^[（(]?\d{4}年\d{1,2}月\d{1,2}日[)）]?$",
        r"|^[（(]此件.*[)）]$",
    ))
    .expect("static regex")
});

/// A sentence that closes the letter: 特此通知。 此复。 请遵照执行。
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:特此(?:通知|公告|通告|函告|批复|报告|说明)|此复|请(?:认真)?(?:遵照|贯彻)执行|以上.{0,8}请.{0,12})[。！!]?$")
        .expect("static regex")
});

/// The signature's date: a line that is only `2025年12月20日`.
static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[（(]?(\d{4})年(\d{1,2})月(\d{1,2})日[)）]?$").expect("static regex")
});

/// The salutation: the first line, addressed to someone, ending with a colon (各市、县（区）生态环境局：),
/// not a numbered clause (一、申报方式：).
fn is_salutation(line: &str, first: bool) -> bool {
    first
        && line.ends_with(['：', ':'])
        && line.chars().count() <= 80
        && !line.contains('。')
        && !super::CLAUSE_START.is_match(line)
}

/// The lines of `body` that may carry measures, trimmed, in order.
pub fn measure_lines(body: &str) -> Vec<&str> {
    let lines = body.lines().map(str::trim).filter(|l| !l.is_empty());
    lines
        .enumerate()
        .filter(|&(i, l)| {
            !is_salutation(l, i == 0) && !LETTER_LINE.is_match(l) && !CLOSING.is_match(l)
        })
        .map(|(_, l)| l)
        .collect()
}

/// `text` without the closing formulas and statements of the document's validity at its end.
pub fn trim_tail(text: &str) -> &str {
    let mut text = text.trim_end();
    loop {
        let last = last_sentence(text);
        let s = last.trim();
        if s.is_empty() || !(CLOSING.is_match(s) || terms::is_document_terms(s)) {
            return text;
        }
        text = text[..text.len() - last.len()].trim_end();
    }
}

/// The last sentence of `text` (ending with 。！？ or at the end), with its leading white space.
fn last_sentence(text: &str) -> &str {
    let body = text.trim_end_matches(['。', '！', '？', '!', '?']);
    let start = body.rfind(['。', '！', '？', '!', '?']).map_or(0, |i| {
        i + body[i..].chars().next().map_or(1, char::len_utf8)
    });
    &text[start..]
}

/// The date the document was signed: its last line that is only a date, if any.
pub fn signature_date(body: &str) -> Option<Date> {
    body.lines().rev().map(str::trim).find_map(|l| {
        let c = DATE_LINE.captures(l)?;
        Date::from_ymd(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letter_around_the_measures_is_dropped() {
        let body = "各县（市、区）生态环境分局，各重点排污单位：\n为方便企业办事，现将有关事项通知如下：\n一、网上申报\n申报一律在网上提交。\n特此通知。\n联系人：李某，电话：0371-0000000\n附件：1.申报表\n某市生态环境局\n2026年4月1日\n";
        assert_eq!(
            measure_lines(body),
            ["一、网上申报", "申报一律在网上提交。", "某市生态环境局"]
        );
    }

    #[test]
    fn a_salutation_is_a_first_line_ending_with_a_colon_and_no_clause_number() {
        let body = "一、申报方式：\n网上提交。\n";
        assert_eq!(measure_lines(body), ["一、申报方式：", "网上提交。"]);
        assert_eq!(measure_lines("各有关单位：\n网上提交。"), ["网上提交。"]);
    }

    #[test]
    fn closing_formulas_and_validity_are_cut_from_the_end_of_a_clause() {
        assert_eq!(
            trim_tail(
                "材料可网上提交。本通知自2026年5月1日起施行，有效期至2028年4月30日。特此通知。"
            ),
            "材料可网上提交。"
        );
        assert_eq!(trim_tail("材料可网上提交。"), "材料可网上提交。");
        assert_eq!(
            trim_tail("许可证有效期至届满前可以申请延续。"),
            "许可证有效期至届满前可以申请延续。"
        );
    }

    #[test]
    fn the_signature_date_is_the_last_date_line() {
        let body = "一、网上申报\n2026年1月1日起网上提交。\n某市生态环境局\n2026年4月1日";
        assert_eq!(signature_date(body), Date::parse("2026-04-01"));
        assert_eq!(signature_date("没有落款。"), None);
    }
}
