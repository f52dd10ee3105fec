//! DingTalk callback authentication: the `timestamp` header (epoch ms) must
//! be within one hour of now (DingTalk's rule; the server narrows it with
//! [`verify_headers`]' window), and `sign` must equal
//! `Base64(HMAC-SHA256(key = app_secret, msg = timestamp + "\n" + app_secret))`
//! (standard Base64 with padding, not URL-encoded in the header).
//!
//! The comparison is constant time (`Mac::verify_slice`). The same HMAC is
//! the custom-robot `sign` query parameter, where it is URL-encoded as well.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Name of the header carrying the request time in epoch milliseconds.
pub(crate) const TIMESTAMP_HEADER: &str = "timestamp";
/// Name of the header carrying the Base64 HMAC.
pub(crate) const SIGN_HEADER: &str = "sign";
/// Largest accepted distance between `timestamp` and now: one hour.
pub(crate) const MAX_CLOCK_SKEW_MS: u64 = 3_600_000;
/// Longest decimal `i64`; anything longer cannot be a valid timestamp.
const MAX_TIMESTAMP_DIGITS: usize = 19;

type HmacSha256 = Hmac<Sha256>;

/// Why a DingTalk callback was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum VerifyError {
    /// The named header is absent or empty.
    #[error("missing `{0}` header")]
    MissingHeader(&'static str),
    /// `timestamp` is not a plain decimal number of milliseconds.
    #[error("`timestamp` header is not a decimal millisecond count")]
    MalformedTimestamp,
    /// `timestamp` is more than an hour away from now (either direction).
    #[error("`timestamp` is outside the accepted window")]
    Stale,
    /// `sign` does not match the app secret.
    #[error("`sign` does not match")]
    BadSignature,
}

/// The header form of the signature for `timestamp`, as DingTalk computes
/// it: what a custom robot's 加签 wants too (URL-encoded there); tests build
/// signed callbacks with it.
pub(crate) fn sign(app_secret: &str, timestamp: &str) -> String {
    STANDARD.encode(mac(app_secret, timestamp).finalize().into_bytes())
}

/// [`verify_sign_within`] DingTalk's own hour: what the platform's vectors
/// are checked against.
#[cfg(test)]
pub(crate) fn verify_sign(
    app_secret: &str,
    timestamp: &str,
    sign: &str,
    now_ms: i64,
) -> Result<(), VerifyError> {
    verify_sign_within(app_secret, timestamp, sign, now_ms, MAX_CLOCK_SKEW_MS)
}

/// Checks the `timestamp` and `sign` headers of a callback received at
/// `now_ms` (epoch milliseconds) within `max_skew_ms` (at most DingTalk's
/// hour). Empty headers count as missing. An empty `app_secret` (a
/// configuration mistake that would let anyone sign) rejects every request
/// as [`VerifyError::BadSignature`].
pub(crate) fn verify_sign_within(
    app_secret: &str,
    timestamp: &str,
    sign: &str,
    now_ms: i64,
    max_skew_ms: u64,
) -> Result<(), VerifyError> {
    if timestamp.is_empty() {
        return Err(VerifyError::MissingHeader(TIMESTAMP_HEADER));
    }
    if sign.is_empty() {
        return Err(VerifyError::MissingHeader(SIGN_HEADER));
    }
    let sent_ms = parse_timestamp(timestamp)?;
    if sent_ms.abs_diff(now_ms) > max_skew_ms.min(MAX_CLOCK_SKEW_MS) {
        return Err(VerifyError::Stale);
    }
    if app_secret.is_empty() {
        return Err(VerifyError::BadSignature);
    }
    let sent_mac = STANDARD
        .decode(sign)
        .map_err(|_| VerifyError::BadSignature)?;
    mac(app_secret, timestamp)
        .verify_slice(&sent_mac)
        .map_err(|_| VerifyError::BadSignature)
}

/// [`verify_sign_within`] for headers that may be absent, as extracted from
/// a request (`None` becomes [`VerifyError::MissingHeader`]).
pub(crate) fn verify_headers(
    app_secret: &str,
    timestamp: Option<&str>,
    sign: Option<&str>,
    now_ms: i64,
    max_skew_ms: u64,
) -> Result<(), VerifyError> {
    let timestamp = timestamp.ok_or(VerifyError::MissingHeader(TIMESTAMP_HEADER))?;
    let sign = sign.ok_or(VerifyError::MissingHeader(SIGN_HEADER))?;
    verify_sign_within(app_secret, timestamp, sign, now_ms, max_skew_ms)
}

/// Digits only: `str::parse` alone would also accept `+123`.
fn parse_timestamp(timestamp: &str) -> Result<i64, VerifyError> {
    let plain =
        timestamp.len() <= MAX_TIMESTAMP_DIGITS && timestamp.bytes().all(|b| b.is_ascii_digit());
    if !plain {
        return Err(VerifyError::MalformedTimestamp);
    }
    timestamp
        .parse()
        .map_err(|_| VerifyError::MalformedTimestamp)
}

fn mac(app_secret: &str, timestamp: &str) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(app_secret.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::vectors;
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

    const SECRET: &str = "this is secret";
    const TS: &str = "1577262236757";
    const TS_MS: i64 = 1_577_262_236_757;
    const HOUR: i64 = 3_600_000;
    const HOUR_MS: u64 = 3_600_000;

    fn signed(now_ms: i64) -> Result<(), VerifyError> {
        verify_sign(SECRET, TS, &sign(SECRET, TS), now_ms)
    }

    #[test]
    fn every_dingtalk_sign_vector_is_reproduced_and_verifies() {
        let list = vectors::list("/dingtalk/sign");
        assert!(!list.is_empty());
        for v in list {
            let secret = vectors::str_field(&v, "app_secret");
            let ts = vectors::str_field(&v, "timestamp_ms");
            let expected = vectors::str_field(&v, "sign_base64");
            assert_eq!(sign(secret, ts), expected, "{}", vectors::name(&v));
            let now: i64 = ts.parse().unwrap();
            assert_eq!(verify_sign(secret, ts, expected, now), Ok(()));
        }
    }

    #[test]
    fn url_encoded_form_of_every_vector_matches_the_custom_robot_form() {
        for v in vectors::list("/dingtalk/sign") {
            let header = vectors::str_field(&v, "sign_base64");
            let encoded = utf8_percent_encode(header, NON_ALPHANUMERIC).to_string();
            assert_eq!(encoded, vectors::str_field(&v, "sign_urlencoded"));
        }
    }

    #[test]
    fn string_to_sign_in_the_vectors_is_timestamp_newline_secret() {
        for v in vectors::list("/dingtalk/sign") {
            let secret = vectors::str_field(&v, "app_secret");
            let ts = vectors::str_field(&v, "timestamp_ms");
            let expected = format!("{ts}\n{secret}");
            assert_eq!(vectors::str_field(&v, "string_to_sign"), expected);
        }
    }

    #[test]
    fn timestamps_exactly_one_hour_away_are_accepted() {
        assert_eq!(signed(TS_MS + HOUR), Ok(()));
        assert_eq!(signed(TS_MS - HOUR), Ok(()));
    }

    #[test]
    fn timestamps_more_than_one_hour_away_are_stale() {
        assert_eq!(signed(TS_MS + HOUR + 1), Err(VerifyError::Stale));
        assert_eq!(signed(TS_MS - HOUR - 1), Err(VerifyError::Stale));
        assert_eq!(signed(i64::MIN), Err(VerifyError::Stale));
        assert_eq!(signed(i64::MAX), Err(VerifyError::Stale));
    }

    #[test]
    fn a_narrower_window_refuses_what_the_hour_would_accept() {
        let good = sign(SECRET, TS);
        let five_min = 300_000;
        let at = |now: i64| verify_sign_within(SECRET, TS, &good, now, five_min);
        assert_eq!(at(TS_MS + 300_000), Ok(()));
        assert_eq!(at(TS_MS + 300_001), Err(VerifyError::Stale));
        // A window wider than DingTalk's own hour is capped at the hour.
        let wide = verify_sign_within(SECRET, TS, &good, TS_MS + HOUR + 1, u64::MAX);
        assert_eq!(wide, Err(VerifyError::Stale));
    }

    #[test]
    fn tampered_signatures_are_rejected() {
        let good = sign(SECRET, TS);
        let mut flipped = good.clone().into_bytes();
        flipped[0] ^= 0x01;
        let flipped = String::from_utf8(flipped).unwrap();
        let cases = [
            flipped.as_str(),
            &good[..good.len() - 4],
            "not base64!",
            "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D",
        ];
        for bad in cases {
            let got = verify_sign(SECRET, TS, bad, TS_MS);
            assert_eq!(got, Err(VerifyError::BadSignature), "{bad}");
        }
    }

    #[test]
    fn a_signature_made_with_another_secret_is_rejected() {
        let other = sign("other secret", TS);
        let got = verify_sign(SECRET, TS, &other, TS_MS);
        assert_eq!(got, Err(VerifyError::BadSignature));
    }

    #[test]
    fn a_signature_for_another_timestamp_is_rejected() {
        let other = sign(SECRET, "1577262236758");
        let got = verify_sign(SECRET, TS, &other, TS_MS);
        assert_eq!(got, Err(VerifyError::BadSignature));
    }

    #[test]
    fn malformed_timestamps_are_rejected_before_the_signature() {
        for ts in [
            "+1577262236757",
            "-1",
            "1577262236757.0",
            " 1577262236757",
            "abc",
        ] {
            let got = verify_sign(SECRET, ts, &sign(SECRET, ts), TS_MS);
            assert_eq!(got, Err(VerifyError::MalformedTimestamp), "{ts}");
        }
        let huge = "9".repeat(20);
        let got = verify_sign(SECRET, &huge, "x", TS_MS);
        assert_eq!(got, Err(VerifyError::MalformedTimestamp));
    }

    #[test]
    fn empty_or_absent_headers_are_reported_by_name() {
        let missing_ts = Err(VerifyError::MissingHeader("timestamp"));
        let missing_sign = Err(VerifyError::MissingHeader("sign"));
        assert_eq!(verify_sign(SECRET, "", "x", TS_MS), missing_ts);
        assert_eq!(verify_sign(SECRET, TS, "", TS_MS), missing_sign);
        assert_eq!(
            verify_headers(SECRET, None, Some("x"), TS_MS, HOUR_MS),
            missing_ts
        );
        assert_eq!(
            verify_headers(SECRET, Some(TS), None, TS_MS, HOUR_MS),
            missing_sign
        );
    }

    #[test]
    fn an_empty_app_secret_rejects_even_matching_signatures() {
        let forged = sign("", TS);
        assert_eq!(
            verify_sign("", TS, &forged, TS_MS),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn verify_headers_accepts_a_correctly_signed_request() {
        let good = sign(SECRET, TS);
        assert_eq!(
            verify_headers(SECRET, Some(TS), Some(&good), TS_MS, HOUR_MS),
            Ok(())
        );
    }
}
