//! Civil dates for the knowledge base: `YYYY-MM-DD` (and a document's month-only `YYYY-MM`), the Chinese
//! form the bot says (2023年1月8日), day differences, and today's date in China Standard Time.
//!
//! A date crate would bring time zones, times and formatting we do not need: measures take and lose effect
//! on whole days in Beijing time (UTC+8, no daylight saving), so a day number and the usual civil-date
//! conversion (H. Hinnant's `days_from_civil`) are all there is.

use serde::Deserialize;

/// A day of the proleptic Gregorian calendar, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Date {
    days: i32,
}

impl Date {
    /// The date, if `month` and `day` exist in `year` (years 1000..=9999).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid = (1000..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day);
        valid.then(|| Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// Exactly `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        Date::from_ymd(number(&s[..4])?, number(&s[5..7])?, number(&s[8..])?)
    }

    /// A document's date: `YYYY-MM-DD`, or `YYYY-MM` (issued some day that month), which counts from the
    /// first of the month.
    pub fn parse_document_date(s: &str) -> Option<Date> {
        match s.len() {
            7 if s.as_bytes()[4] == b'-' => Date::from_ymd(number(&s[..4])?, number(&s[5..])?, 1),
            _ => Date::parse(s),
        }
    }

    /// Today in China Standard Time, where the measures apply.
    pub fn today_in_china() -> Date {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Date::in_china_at_ms(ms)
    }

    /// The day in China Standard Time at `ms` milliseconds since the Unix epoch.
    pub fn in_china_at_ms(ms: i64) -> Date {
        Date {
            days: ((ms.div_euclid(1000) + 8 * 3600).div_euclid(86_400)) as i32,
        }
    }

    /// `n` days later (earlier for a negative `n`): the day after 有效期至 is the first day no longer in force.
    pub fn add_days(self, n: i32) -> Date {
        Date {
            days: self.days + n,
        }
    }

    /// The same day `n` years later (29 February becomes 1 March in a common year).
    pub fn add_years(self, n: i32) -> Option<Date> {
        let (y, m, d) = civil_from_days(self.days);
        Date::from_ymd(y + n, m, d).or_else(|| Date::from_ymd(y + n, 3, 1))
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.days - self.days
    }

    /// `2023年1月8日`.
    pub fn chinese(self) -> String {
        let (y, m, d) = civil_from_days(self.days);
        format!("{y}年{m}月{d}日")
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = civil_from_days(self.days);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Date, String> {
        Date::parse(&s).ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
    }
}

/// A run of ASCII digits as a number (no signs, no spaces).
fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i32::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_numbers() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2020-02-21",
            "2023-01-08",
            "2100-12-31",
        ] {
            assert_eq!(Date::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().days, 1);
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        for s in [
            "2023-02-29",
            "2020-13-01",
            "2020-04-31",
            "2020-3-1",
            "2020/03/01",
            "+202-03-01",
            "",
        ] {
            assert_eq!(Date::parse(s), None, "{s}");
        }
    }

    #[test]
    fn a_month_only_document_date_counts_from_the_first() {
        assert_eq!(
            Date::parse_document_date("2020-03"),
            Date::parse("2020-03-01")
        );
        assert_eq!(Date::parse_document_date("2020-3"), None);
    }

    #[test]
    fn days_in_china_and_date_arithmetic() {
        // 2026-12-01T16:00:00Z is midnight of 12-02 in Beijing.
        let ms = 1_796_140_800_000;
        assert_eq!(Date::in_china_at_ms(ms).to_string(), "2026-12-02");
        assert_eq!(Date::in_china_at_ms(ms - 1).to_string(), "2026-12-01");
        let last = Date::parse("2027-03-31").unwrap();
        assert_eq!(last.add_days(1).to_string(), "2027-04-01");
        assert_eq!(last.add_days(-31).to_string(), "2027-02-28");
        let leap = Date::parse("2024-02-29").unwrap();
        assert_eq!(leap.add_years(2).unwrap().to_string(), "2026-03-01");
        assert_eq!(last.add_years(1).unwrap().to_string(), "2028-03-31");
    }

    #[test]
    fn chinese_form_and_day_differences() {
        let end = Date::parse("2023-01-08").unwrap();
        assert_eq!(end.chinese(), "2023年1月8日");
        assert_eq!(Date::parse("2022-12-09").unwrap().days_until(end), 30);
    }
}
