//! The HTTP-callback transport (`POST /dingtalk/callback`): `timestamp` + `sign` verified within the
//! server's window before the body is read, the body parsed into an [`Inbound`], and the reply rendered
//! as the response body (markdown that @-s the asker).
//!
//! DingTalk's sign covers only the timestamp, so a captured pair would carry any body: each pair may be
//! used by one message only. [`Received::signature`] names the pair and how long to remember it; the
//! caller binds it to the message id in its store and answers a pair used by another message with
//! [`replayed`].

use serde_json::Value;

use super::callback::parse_callback;
use super::decorate::reply_to;
use super::reply::empty_message;
pub(crate) use super::sign::{SIGN_HEADER, TIMESTAMP_HEADER};
use super::sign::{VerifyError, verify_headers};
use crate::platform::{Inbound, NotConfigured, Refusal, Rejected};

/// What the transport needs of a request: the two headers, whether the body is declared JSON, the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub timestamp: Option<&'a str>,
    pub sign: Option<&'a str>,
    pub json: bool,
    pub body: &'a [u8],
}

/// The app secret and the accepted clock distance.
#[derive(Clone, Copy)]
pub(crate) struct Auth<'a> {
    pub app_secret: &'a str,
    pub window_ms: u64,
}

/// A verified, parsed callback.
#[derive(Debug)]
pub(crate) struct Received {
    pub inbound: Inbound,
    pub signature: SignatureUse,
}

/// A (timestamp, sign) pair to bind to the message that used it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignatureUse {
    pub key: String,
    /// When the binding may be forgotten: the pair is stale long before.
    pub expires_ms: i64,
}

/// Verifies and parses one callback received at `now_ms`.
pub(crate) fn receive(auth: Auth<'_>, req: Request<'_>, now_ms: i64) -> Result<Received, Rejected> {
    if auth.app_secret.is_empty() {
        let refused = Rejected::new(Refusal::Unauthorized("DingTalk callback is not configured"));
        return Err(refused
            .counted("unconfigured")
            .caused_by(NotConfigured("DingTalk", "dingtalk.app_secret")));
    }
    let verified = verify_headers(
        auth.app_secret,
        req.timestamp,
        req.sign,
        now_ms,
        auth.window_ms,
    );
    if let Err(e) = verified {
        let reason = match e {
            VerifyError::Stale => "stale",
            _ => "signature",
        };
        let refused = Rejected::new(Refusal::Unauthorized("invalid timestamp or sign"));
        return Err(refused.counted(reason).caused_by(e));
    }
    if !req.json {
        return Err(Rejected::new(Refusal::NotJson));
    }
    let callback = parse_callback(req.body).map_err(|e| {
        Rejected::new(Refusal::Malformed(format!("malformed callback: {e}")))
            .counted("malformed")
            .caused_by(e)
    })?;
    let window = i64::try_from(auth.window_ms).unwrap_or(i64::MAX);
    Ok(Received {
        inbound: callback.inbound(),
        signature: SignatureUse {
            key: format!("dingtalk:{}", req.timestamp.unwrap_or_default()),
            expires_ms: now_ms.saturating_add(window.saturating_mul(2)),
        },
    })
}

/// The refusal of a callback whose signature another message already used.
pub(crate) fn replayed() -> Rejected {
    Rejected::new(Refusal::Unauthorized("signature already used")).counted("replay")
}

/// The response body: the reply @-ing the asker, or nothing in the chat (`None`: a redelivery).
pub(crate) fn respond(inbound: &Inbound, reply: Option<&str>) -> Value {
    match reply {
        Some(text) => reply_to(inbound, text),
        None => empty_message(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::dingtalk::sign::sign;
    use crate::platform::vectors;

    const BODY: &str = r#"{"msgtype":"text","text":{"content":" 环评审批可以网上办吗"},"msgId":"m1",
        "conversationId":"cid1","conversationType":"2","conversationTitle":"企业服务群","senderId":"s1",
        "senderStaffId":"u1","senderNick":"张三"}"#;

    /// The first signing vector of `platform_vectors.json`, as a request at its own timestamp.
    fn vector() -> (String, String, String, i64) {
        let v = &vectors::list("/dingtalk/sign")[0];
        let ts = vectors::str_field(v, "timestamp_ms").to_owned();
        let now = ts.parse().unwrap();
        let secret = vectors::str_field(v, "app_secret").to_owned();
        (
            secret,
            ts,
            vectors::str_field(v, "sign_base64").to_owned(),
            now,
        )
    }

    fn request<'a>(ts: &'a str, sign: &'a str, body: &'a [u8]) -> Request<'a> {
        Request {
            timestamp: Some(ts),
            sign: Some(sign),
            json: true,
            body,
        }
    }

    #[test]
    fn a_vector_signed_callback_is_received_with_its_signature_to_bind() {
        let (secret, ts, sign, now) = vector();
        let auth = Auth {
            app_secret: &secret,
            window_ms: 300_000,
        };
        let got = receive(auth, request(&ts, &sign, BODY.as_bytes()), now).unwrap();
        assert_eq!(got.inbound.msg_id, "m1");
        assert_eq!(got.inbound.text.as_deref(), Some("环评审批可以网上办吗"));
        assert_eq!(got.signature.key, format!("dingtalk:{ts}"));
        assert_eq!(got.signature.expires_ms, now + 600_000);
    }

    #[test]
    fn the_signature_is_checked_before_the_content_type_and_the_body() {
        let (secret, ts, _, now) = vector();
        let auth = Auth {
            app_secret: &secret,
            window_ms: 300_000,
        };
        let bad = Request {
            json: false,
            ..request(&ts, "AAAA", b"not json")
        };
        let err = receive(auth, bad, now).unwrap_err();
        let unsigned = Refusal::Unauthorized("invalid timestamp or sign");
        assert_eq!(
            (&err.refusal, err.counted_as),
            (&unsigned, Some("signature"))
        );
        let late = receive(
            auth,
            request(&ts, &sign(&secret, &ts), BODY.as_bytes()),
            now + 300_001,
        );
        assert_eq!(late.unwrap_err().refusal, unsigned);
    }

    #[test]
    fn a_signed_body_that_is_not_declared_json_or_does_not_parse_is_refused_as_such() {
        let (secret, ts, sign, now) = vector();
        let auth = Auth {
            app_secret: &secret,
            window_ms: 300_000,
        };
        let not_json = Request {
            json: false,
            ..request(&ts, &sign, BODY.as_bytes())
        };
        let err = receive(auth, not_json, now).unwrap_err();
        assert_eq!((&err.refusal, err.counted_as), (&Refusal::NotJson, None));
        let err = receive(auth, request(&ts, &sign, b"{}"), now).unwrap_err();
        let unreadable = "malformed callback: required field `msgId` is missing or empty";
        let malformed = Refusal::Malformed(unreadable.into());
        assert_eq!(
            (&err.refusal, err.counted_as),
            (&malformed, Some("malformed"))
        );
    }

    #[test]
    fn a_redelivery_is_answered_with_the_empty_message() {
        let (secret, ts, sign, now) = vector();
        let auth = Auth {
            app_secret: &secret,
            window_ms: 300_000,
        };
        let got = receive(auth, request(&ts, &sign, BODY.as_bytes()), now).unwrap();
        assert_eq!(respond(&got.inbound, None), empty_message());
        let reply = respond(&got.inbound, Some("答复"));
        assert_eq!(reply["markdown"]["text"], "@u1 \n\n答复");
    }
}
