//! Durations in the config, written with their unit: `"90s"`, `"30m"`, `"1.5h"`, `"2d"`, `"1h30m"`. A
//! bare number is refused with the forms it could have been, so `sla = 0.01` is not silently hours or
//! seconds; the caller's error names the key.

use serde::de::{self, Deserializer, Visitor};
use std::time::Duration;

/// What a duration looks like, for error messages.
const FORMS: &str = "write it with a unit: \"90s\", \"30m\", \"1.5h\", \"2d\" or \"1h30m\"";

/// Seconds per unit: `s`, `m` (`min`), `h`, `d`.
fn unit_secs(unit: &str) -> Option<f64> {
    match unit {
        "s" => Some(1.0),
        "m" | "min" => Some(60.0),
        "h" => Some(3600.0),
        "d" => Some(86_400.0),
        _ => None,
    }
}

/// `"1.5h"` → 90 minutes. Numbers may have a fraction; parts add up (`1h30m`).
pub fn parse(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration `{s}`: {FORMS}");
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut secs = 0.0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'));
        let (number, tail) = rest.split_at(digits.ok_or_else(bad)?);
        let letters = tail
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(letters);
        let n: f64 = number.parse().map_err(|_| bad())?;
        secs += n * unit_secs(unit).ok_or_else(bad)?;
        rest = tail.trim_start();
    }
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

/// The shortest exact form of `d` in whole units: `1d`, `36h`, `90m`, `45s`.
pub fn show(d: Duration) -> String {
    let secs = d.as_secs();
    [("d", 86_400), ("h", 3600), ("m", 60)]
        .into_iter()
        .find(|(_, n)| secs > 0 && secs.is_multiple_of(*n))
        .map_or_else(|| format!("{secs}s"), |(u, n)| format!("{}{u}", secs / n))
}

/// `#[serde(deserialize_with = "duration::deserialize")]`: a string with a unit, nothing else.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl DurationVisitor {
    fn bare<E: de::Error>(self, v: impl std::fmt::Display) -> Result<Duration, E> {
        Err(E::custom(format!("invalid duration `{v}`: {FORMS}")))
    }
}

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a duration with its unit ({FORMS})")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        self.bare(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        self.bare(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        self.bare(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_and_may_have_fractions_and_parts() {
        for (s, secs) in [
            ("90s", 90),
            ("30m", 1800),
            ("30min", 1800),
            ("24h", 86_400),
            ("1.5h", 5400),
            ("2d", 172_800),
            ("1h30m", 5400),
            (" 1h 30m ", 5400),
        ] {
            assert_eq!(parse(s), Ok(Duration::from_secs(secs)), "{s}");
        }
    }

    #[test]
    fn bare_numbers_unknown_units_and_garbage_are_refused_with_the_forms() {
        for s in ["", "24", "0.01", "h", "5 hours", "1.2.3h", "-1h", "1e400h"] {
            let e = parse(s).unwrap_err();
            assert!(
                e.starts_with(&format!("invalid duration `{s}`: write it with a unit")),
                "{s}: {e}"
            );
        }
    }

    #[test]
    fn durations_show_in_their_largest_whole_unit() {
        let show_secs = |s| show(Duration::from_secs(s));
        assert_eq!(
            [
                show_secs(86_400),
                show_secs(5400),
                show_secs(45),
                show_secs(0)
            ],
            ["1d", "90m", "45s", "0s"]
        );
    }
}
