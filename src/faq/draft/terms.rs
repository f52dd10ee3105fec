//! When a new document says it is in force, for `faq build`: a sentence about the document itself
//! (本通知自2026年1月1日起施行，有效期至2027年3月31日 / 执行期限：…至… / 有效期2年) gives each draft a
//! proposed `validity` (shown with the answer), `effective` and `expires` (the first day no longer in
//! force), so a time-limited measure is not served as if it were permanent.

use crate::faq::Date;
use regex::Regex;
use std::sync::LazyLock;

/// The document's own subject: 本通知, 本办法…
const SUBJECT: &str = r"本(?:通知|办法|规定|意见|方案|公告|通告|细则|决定|措施|指南|制度)";

/// A sentence about the document's time in force: its subject, then 自…起施行, 有效期至…, 执行期限…
static DOCUMENT_TERMS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:{SUBJECT}[^。]*?)?(?:自[^。]*?起(?:施行|执行|实施|生效)|(?:有效期|执行期限|实施期限|有效期限|执行期)(?:为|是)?[：:]?\s*(?:至|到|自)?\s*\d{{4}}年|有效期(?:为)?[0-9一二三四五两]+年)"
    ))
    .expect("static regex")
});

/// `2026年1月1日`.
const DATE: &str = r"(\d{4})年(\d{1,2})月(\d{1,2})日";

static FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"自{DATE}(?:起)?(?:施行|执行|实施|生效)?")).expect("static regex")
});

static UNTIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"至{DATE}")).expect("static regex"));

static YEARS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"有效期(?:为)?([0-9一二三四五两]+)年").expect("static regex"));

/// What the document says about its own time in force.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentTerms {
    /// The note shown with each answer, e.g. `有效期至2027年3月31日`.
    pub validity: Option<String>,
    pub effective: Option<Date>,
    /// First day no longer in force (the day after 有效期至…).
    pub expires: Option<Date>,
}

/// True for a sentence stating the document's own time in force.
pub fn is_document_terms(sentence: &str) -> bool {
    DOCUMENT_TERMS.is_match(sentence.trim())
}

/// The time in force stated anywhere in `body`.
pub fn find(body: &str) -> DocumentTerms {
    let mut t = DocumentTerms::default();
    let sentences = body.split(['。', '\n', '；']).map(str::trim);
    for s in sentences.filter(|s| is_document_terms(s)) {
        t.effective = t.effective.or_else(|| date_in(&FROM, s));
        let until = date_in(&UNTIL, s);
        t.expires = t.expires.or(until.map(|d| d.add_days(1)));
        if t.expires.is_none()
            && let (Some(from), Some(n)) = (t.effective, years(s))
        {
            t.expires = from.add_years(n);
        }
    }
    t.validity = t.expires.map(|end| {
        let last = end.add_days(-1).chinese();
        match t.effective {
            Some(from) => format!("{}起施行，有效期至{last}", from.chinese()),
            None => format!("有效期至{last}"),
        }
    });
    t
}

fn date_in(re: &Regex, s: &str) -> Option<Date> {
    let c = re.captures(s)?;
    Date::from_ymd(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// `有效期2年` / `有效期为五年`: the number of years.
fn years(s: &str) -> Option<i32> {
    let n = &YEARS.captures(s)?[1];
    n.parse().ok().or_else(|| {
        let digit = "零一二三四五六七八九"
            .chars()
            .position(|c| n == c.to_string());
        digit.map(|d| d as i32).or((n == "两").then_some(2))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<Date> {
        Date::parse(s)
    }

    #[test]
    fn from_and_until_give_validity_effective_and_expires() {
        let t = find(
            "一、网上申报\n材料网上提交。\n本通知自2026年5月1日起施行，有效期至2028年4月30日。",
        );
        assert_eq!(
            t,
            DocumentTerms {
                validity: Some("2026年5月1日起施行，有效期至2028年4月30日".into()),
                effective: day("2026-05-01"),
                expires: day("2028-05-01"),
            }
        );
    }

    #[test]
    fn an_execution_period_and_a_number_of_years_are_understood() {
        let t = find("三、执行期限\n执行期限：自2026年3月1日至2026年12月31日。");
        assert_eq!(
            (t.effective, t.expires),
            (day("2026-03-01"), day("2027-01-01"))
        );
        let t = find("本办法自2026年7月1日起施行，有效期两年。");
        assert_eq!(t.expires, day("2028-07-01"));
        assert_eq!(
            t.validity.as_deref(),
            Some("2026年7月1日起施行，有效期至2028年6月30日")
        );
    }

    #[test]
    fn a_measure_about_a_licence_s_validity_is_not_the_documents() {
        let body =
            "排污许可证有效期至2027年3月31日届满的，可以申请延续。\n本办法自印发之日起施行。";
        assert_eq!(find(body), DocumentTerms::default());
        assert!(!is_document_terms("排污许可证有效期至2027年3月31日届满的"));
        assert!(is_document_terms("有效期至2027年3月31日"));
    }
}
