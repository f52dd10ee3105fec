//! Errors shared by both platforms: [`ParseError`] for inbound callback
//! bodies and [`ApiError`] for the `errcode`/`errmsg` envelope that DingTalk
//! and WeCom return (usually with HTTP 200) from their send APIs.
//!
//! The envelope must be decoded even on HTTP success, because both platforms
//! report failures such as rate limits in the body, not the status.

use serde::Deserialize;

/// An inbound callback body could not be turned into a typed message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParseError {
    /// The body is not UTF-8 JSON of the expected shape.
    #[error("body is not valid JSON of the expected shape")]
    Json(#[source] serde_json::Error),
    /// The body is not well-formed XML (or nests deeper than WeCom ever does); the cause is the XML
    /// reader's (`wecom::xml`), kept opaque so that this shared type names no platform's module.
    #[error("body is not well-formed XML")]
    Xml(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A field the message cannot be handled without is absent or empty.
    #[error("required field `{0}` is missing or empty")]
    MissingField(&'static str),
    /// A field is present but its value has the wrong format.
    #[error("field `{0}` has an invalid value")]
    InvalidField(&'static str),
}

/// WeCom: "api freq out of limit" (20 messages/min per robot).
const WECOM_FREQ_OUT_OF_LIMIT: i64 = 45009;
/// DingTalk custom robot: "send too fast, exceed 20 times per minute".
const DINGTALK_SEND_TOO_FAST: i64 = 130101;
/// How much of an undecodable body is kept for the logs.
const RAW_KEEP_BYTES: usize = 512;

/// A platform send/API call reported failure in its response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiError {
    /// Classic envelope: `{"errcode": <non-zero>, "errmsg": "..."}`.
    #[error("platform API error {code}: {message}")]
    Api { code: i64, message: String },
    /// DingTalk `api.dingtalk.com` style: `{"code": "invalidParameter...",
    /// "message": "..."}` (sent with HTTP 4xx).
    #[error("platform API error {code}: {message}")]
    Service { code: String, message: String },
    /// The body is not a JSON envelope at all; `raw` keeps its first bytes
    /// (lossily decoded) for bug reports.
    #[error("platform API returned an undecodable body")]
    InvalidBody { raw: String },
}

impl ApiError {
    /// The numeric `errcode`, when the platform sent one.
    pub(crate) fn code(&self) -> Option<i64> {
        match self {
            ApiError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when the platform throttled us; the caller should back off and
    /// retry later rather than drop the message.
    pub(crate) fn is_rate_limited(&self) -> bool {
        matches!(
            self.code(),
            Some(WECOM_FREQ_OUT_OF_LIMIT | DINGTALK_SEND_TOO_FAST)
        )
    }

    /// True when trying again later can help: throttling, or a body that is no envelope at all (a
    /// gateway or proxy page sent with 200 in the platform's place).
    pub(crate) fn is_transient(&self) -> bool {
        self.is_rate_limited() || matches!(self, ApiError::InvalidBody { .. })
    }
}

/// The union of the envelope shapes both platforms use.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Envelope {
    pub errcode: Option<i64>,
    pub errmsg: Option<String>,
    pub code: Option<serde_json::Value>,
    pub message: Option<String>,
}

/// Decodes `body` as an envelope and fails on a non-zero `errcode`.
/// With `errcode_required`, a body without `errcode` is also an error.
pub(crate) fn check_errcode(body: &[u8], errcode_required: bool) -> Result<Envelope, ApiError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|_| invalid_body(body))?;
    match envelope.errcode {
        Some(0) => Ok(envelope),
        Some(code) => Err(ApiError::Api {
            code,
            message: envelope.errmsg.unwrap_or_default(),
        }),
        None if errcode_required => Err(invalid_body(body)),
        None => Ok(envelope),
    }
}

/// The union of both platforms' envelopes, for a response whose shape is not known in advance (an
/// officer webhook may be either platform's robot) and for DingTalk, which uses both: a non-zero
/// `errcode` or a string `code` (the `api.dingtalk.com` error shape) is an error; a body with neither,
/// e.g. `{"processQueryKey": …}`, is success, provided the caller has already checked the HTTP status.
pub(crate) fn check_any_envelope(body: &[u8]) -> Result<(), ApiError> {
    let envelope = check_errcode(body, false)?;
    match envelope.code {
        Some(serde_json::Value::String(code)) if !code.is_empty() => Err(ApiError::Service {
            code,
            message: envelope.message.unwrap_or_default(),
        }),
        _ => Ok(()),
    }
}

/// [`ApiError::InvalidBody`] holding a bounded, lossy copy of `body`.
pub(crate) fn invalid_body(body: &[u8]) -> ApiError {
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(RAW_KEEP_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    ApiError::InvalidBody {
        raw: text[..end].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_errcode_is_success() {
        assert!(check_errcode(br#"{"errcode":0,"errmsg":"ok"}"#, true).is_ok());
    }

    #[test]
    fn missing_errcode_is_an_error_only_when_required() {
        assert!(check_errcode(br#"{"processQueryKey":"k"}"#, false).is_ok());
        let err = check_errcode(br#"{"processQueryKey":"k"}"#, true).unwrap_err();
        assert!(matches!(err, ApiError::InvalidBody { .. }));
    }

    #[test]
    fn non_zero_errcode_keeps_code_and_message() {
        let err =
            check_errcode(br#"{"errcode":310000,"errmsg":"sign not match"}"#, false).unwrap_err();
        assert_eq!(
            err,
            ApiError::Api {
                code: 310000,
                message: "sign not match".into()
            }
        );
        assert_eq!(err.code(), Some(310000));
        assert!(!err.is_rate_limited());
    }

    #[test]
    fn both_platforms_rate_limit_codes_are_recognised() {
        for code in [45009, 130101] {
            let body = format!(r#"{{"errcode":{code},"errmsg":"slow down"}}"#);
            assert!(
                check_errcode(body.as_bytes(), true)
                    .unwrap_err()
                    .is_rate_limited()
            );
        }
    }

    #[test]
    fn html_error_page_becomes_invalid_body_with_raw_text() {
        let err = check_errcode(b"<html>502 Bad Gateway</html>", false).unwrap_err();
        assert_eq!(
            err,
            ApiError::InvalidBody {
                raw: "<html>502 Bad Gateway</html>".into()
            }
        );
    }

    #[test]
    fn raw_body_is_truncated_on_a_char_boundary() {
        let body = "错".repeat(400);
        let ApiError::InvalidBody { raw } = invalid_body(body.as_bytes()) else {
            panic!("expected InvalidBody");
        };
        assert!(raw.len() <= RAW_KEEP_BYTES);
        assert!(raw.chars().all(|c| c == '错'));
    }

    #[test]
    fn throttling_and_undecodable_bodies_are_transient_errcodes_are_not() {
        let transient = |body: &[u8]| check_errcode(body, true).unwrap_err().is_transient();
        assert!(transient(br#"{"errcode":45009,"errmsg":"freq"}"#));
        assert!(transient(b"<html>upstream busy</html>"));
        assert!(!transient(
            br#"{"errcode":310000,"errmsg":"sign not match"}"#
        ));
    }

    #[test]
    fn errcode_of_the_wrong_type_is_an_invalid_body() {
        let err = check_errcode(br#"{"errcode":"0"}"#, true).unwrap_err();
        assert!(matches!(err, ApiError::InvalidBody { .. }));
    }

    #[test]
    fn zero_errcode_and_bare_openapi_responses_are_success() {
        assert_eq!(
            check_any_envelope(br#"{"errcode":0,"errmsg":"ok"}"#),
            Ok(())
        );
        assert_eq!(check_any_envelope(br#"{"processQueryKey":"k=="}"#), Ok(()));
    }

    #[test]
    fn non_zero_errcode_is_an_api_error() {
        let err = check_any_envelope(br#"{"errcode":130101,"errmsg":"send too fast"}"#);
        let err = err.unwrap_err();
        assert_eq!(err.code(), Some(130101));
        assert!(err.is_rate_limited());
    }

    #[test]
    fn openapi_string_codes_are_service_errors() {
        let body = br#"{"requestid":"r","code":"invalidParameter.robotCode.empty","message":"robotCode is empty"}"#;
        let expected = ApiError::Service {
            code: "invalidParameter.robotCode.empty".into(),
            message: "robotCode is empty".into(),
        };
        assert_eq!(check_any_envelope(body), Err(expected));
    }

    #[test]
    fn a_non_json_response_is_an_invalid_body() {
        let err = check_any_envelope(b"Internal Server Error").unwrap_err();
        assert!(matches!(err, ApiError::InvalidBody { .. }));
    }
}
