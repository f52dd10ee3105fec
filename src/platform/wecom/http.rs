//! The HTTP-callback transport (`GET` and `POST /wecom/callback`) of the group robot (receiveid `""`)
//! and the self-built app (receiveid = corpid): the URL check WeCom makes when the callback is saved,
//! and encrypted messages, verified and decrypted by [`WxCrypt`], parsed into an [`Inbound`] and
//! answered with an encrypted passive reply. A reply beyond WeCom's [`TEXT_LIMIT`](super::TEXT_LIMIT)
//! is split: the first part is the passive reply, the rest must go through the chat's `WebhookUrl`.
//!
//! A message's `timestamp` (seconds) must be within the server's window of now, so a captured request
//! cannot be replayed after its de-duplication record has expired.

use std::collections::HashMap;

use super::crypt::{CryptoError, WxCrypt, random16};
use super::message::parse_robot_message;
use super::reply::{app_passive_text_reply, passive_text_reply};
use crate::platform::{Inbound, NotConfigured, Refusal, Rejected};

/// Longest decimal timestamp accepted (seconds; a millisecond value is refused as out of the window).
const MAX_TIMESTAMP_DIGITS: usize = 12;

/// The query string, percent-decoded without turning `+` into a space (it is Base64 here).
pub(crate) struct Query(HashMap<String, String>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter_map(|kv| kv.split_once('='));
        Query(
            pairs
                .map(|(k, v)| {
                    let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                    (k.to_owned(), v.into_owned())
                })
                .collect(),
        )
    }

    fn required(&self, key: &'static str) -> Result<&str, Rejected> {
        self.0.get(key).map(String::as_str).ok_or_else(|| {
            Rejected::new(Refusal::Malformed(format!(
                "missing query parameter `{key}`"
            )))
        })
    }
}

/// A decrypted message and what its passive reply needs.
pub(crate) struct Received<'a> {
    pub inbound: Inbound,
    crypt: &'a WxCrypt,
    timestamp: String,
    nonce: String,
    /// For a self-built app's message: (the sender, the corpid) the reply goes between.
    app: Option<(String, String)>,
}

/// A rendered passive reply.
#[derive(Debug)]
pub(crate) struct Passive {
    /// The encrypted XML response body.
    pub body: String,
    /// The parts beyond the first, in order, for the chat's webhook.
    pub rest: Vec<String>,
}

/// The URL check: the plaintext of `echostr`, to be answered verbatim.
pub(crate) fn verify_url(crypt: Option<&WxCrypt>, query: &Query) -> Result<String, Rejected> {
    let crypt = configured(crypt)?;
    let (sig, ts, nonce) = signed(query)?;
    crypt
        .verify_url(sig, ts, nonce, query.required("echostr")?)
        .map_err(undecryptable)
}

/// Verifies, decrypts and parses a message received at `now_ms`; `None` for an event, which is
/// acknowledged with an empty body and not handled.
pub(crate) fn receive<'a>(
    crypt: Option<&'a WxCrypt>,
    query: &Query,
    body: &[u8],
    window_secs: u64,
    now_ms: i64,
) -> Result<Option<Received<'a>>, Rejected> {
    let crypt = configured(crypt)?;
    let (sig, ts, nonce) = signed(query)?;
    if !fresh(ts, now_ms, window_secs) {
        let refused = Rejected::new(Refusal::Unauthorized(
            "timestamp outside the accepted window",
        ));
        return Err(refused.counted("stale"));
    }
    let plain = crypt
        .decrypt_post(sig, ts, nonce, body)
        .map_err(undecryptable)?;
    let msg = parse_robot_message(&plain).map_err(|e| {
        Rejected::new(Refusal::Malformed(format!("malformed message: {e}"))).caused_by(e)
    })?;
    if msg.msg_type == "event" {
        return Ok(None);
    }
    let app = match (&msg.to_user_name, &msg.agent_id) {
        (Some(corp), Some(_)) => Some((msg.from_user_id.clone(), corp.clone())),
        _ => None,
    };
    Ok(Some(Received {
        inbound: msg.inbound(),
        crypt,
        timestamp: ts.to_owned(),
        nonce: nonce.to_owned(),
        app,
    }))
}

impl Received<'_> {
    /// The passive reply carrying `text`'s first part, encrypted as WeCom expects, and the rest.
    pub(crate) fn respond(&self, text: &str, now_ms: i64) -> Passive {
        let mut parts = self.inbound.route.split(text).into_iter();
        let first = parts.next().unwrap_or_default();
        let plaintext = match &self.app {
            Some((to_user, corp)) => app_passive_text_reply(to_user, corp, now_ms / 1000, &first),
            None => passive_text_reply(&first),
        };
        Passive {
            body: self
                .crypt
                .encrypt_reply(&plaintext, &self.timestamp, &self.nonce, random16()),
            rest: parts.collect(),
        }
    }
}

fn configured(crypt: Option<&WxCrypt>) -> Result<&WxCrypt, Rejected> {
    crypt.ok_or_else(|| {
        Rejected::new(Refusal::Unauthorized("WeCom callback is not configured"))
            .counted("unconfigured")
            .caused_by(NotConfigured(
                "WeCom",
                "wecom.token and wecom.encoding_aes_key",
            ))
    })
}

/// `msg_signature`, `timestamp` and `nonce`.
fn signed(query: &Query) -> Result<(&str, &str, &str), Rejected> {
    Ok((
        query.required("msg_signature")?,
        query.required("timestamp")?,
        query.required("nonce")?,
    ))
}

/// A signature or receiveid that does not match is a 401; anything else that cannot be decrypted is
/// malformed. The official library's code is shown; the cause goes to the log.
fn undecryptable(e: CryptoError) -> Rejected {
    match e {
        CryptoError::BadSignature | CryptoError::ReceiveIdMismatch | CryptoError::IllegalAesKey => {
            Rejected::new(Refusal::Unauthorized("signature or receiveid check failed"))
                .counted("signature")
                .caused_by(e)
        }
        _ => Rejected::new(Refusal::Malformed(format!("cannot decrypt: {}", e.code())))
            .counted("malformed")
            .caused_by(e),
    }
}

/// True when `ts` (decimal seconds) is within `window_secs` of `now_ms`.
fn fresh(ts: &str, now_ms: i64, window_secs: u64) -> bool {
    let digits = !ts.is_empty()
        && ts.len() <= MAX_TIMESTAMP_DIGITS
        && ts.bytes().all(|b| b.is_ascii_digit());
    digits
        && ts
            .parse::<i64>()
            .is_ok_and(|t| t.abs_diff(now_ms / 1000) <= window_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::vectors;
    use crate::platform::wecom::xml::flatten;

    /// A crypt and a signed POST query for `vector`'s envelope, at the vector's own timestamp.
    fn signed_post(name: &str) -> (WxCrypt, String, String, i64) {
        let v = vectors::list("/wecom/generated")
            .into_iter()
            .find(|v| vectors::name(v).starts_with(name))
            .unwrap();
        let field = |k: &str| vectors::str_field(&v, k).to_owned();
        let crypt = WxCrypt::new(
            &field("token"),
            &field("encoding_aes_key"),
            &field("receiveid"),
        );
        let ts = field("timestamp");
        let query = format!(
            "msg_signature={}&timestamp={ts}&nonce={}",
            field("msg_signature"),
            field("nonce")
        );
        (
            crypt.unwrap(),
            query,
            field("wire"),
            ts.parse::<i64>().unwrap() * 1000,
        )
    }

    #[test]
    fn query_plus_signs_survive_and_percent_escapes_decode() {
        let q = Query::parse(Some("echostr=Ce%2Bsf+x%2F%3D&nonce=1"));
        assert_eq!(q.0["echostr"], "Ce+sf+x/=");
        assert_eq!(q.0["nonce"], "1");
    }

    #[test]
    fn timestamps_are_decimal_seconds_within_the_window() {
        let now_ms = 1_700_000_000_000;
        assert!(fresh("1700000000", now_ms, 300));
        assert!(fresh("1700000300", now_ms, 300));
        assert!(!fresh("1700000301", now_ms, 300));
        assert!(!fresh("1699999699", now_ms, 300));
        assert!(!fresh("1700000000000", now_ms, 300), "milliseconds");
        assert!(!fresh("+1700000000", now_ms, 300));
        assert!(!fresh("", now_ms, 300));
    }

    #[test]
    fn the_group_robot_vector_is_received_and_answered_with_a_split_passive_reply() {
        let (crypt, query, wire, now) = signed_post("G2");
        let query = Query::parse(Some(&query));
        let got = receive(Some(&crypt), &query, wire.as_bytes(), 300, now)
            .unwrap()
            .unwrap();
        assert_eq!(got.inbound.group_id, "wrkSFfCgAALFgnrSsWU38puiv4yvExuw");
        assert!(got.app.is_none());
        let long = "第一条规定。".repeat(200);
        let passive = got.respond(&long, now);
        assert_eq!(passive.rest.len(), 1);
        let fields = flatten(passive.body.as_bytes()).unwrap();
        let (ts, nonce) = (
            fields.get("TimeStamp").unwrap(),
            fields.get("Nonce").unwrap(),
        );
        let encrypt = fields.get("Encrypt").unwrap();
        let plain = crypt.verify_url(fields.get("MsgSignature").unwrap(), ts, nonce, encrypt);
        let plain = plain.unwrap();
        let first = flatten(plain.as_bytes())
            .unwrap()
            .get("Text/Content")
            .unwrap()
            .to_owned();
        assert!(first.len() <= 2048);
        assert_eq!(format!("{first}{}", passive.rest[0]), long);
    }

    #[test]
    fn the_app_vector_is_answered_between_the_sender_and_the_corp() {
        let (crypt, query, wire, now) = signed_post("G1");
        let query = Query::parse(Some(&query));
        let got = receive(Some(&crypt), &query, wire.as_bytes(), 300, now)
            .unwrap()
            .unwrap();
        assert_eq!(
            got.app,
            Some(("zhangsan".into(), "wx5823bf96d3bd56c7".into()))
        );
    }

    #[test]
    fn refusals_come_in_the_documented_order_and_kinds() {
        let (crypt, query, wire, now) = signed_post("G2");
        let q = Query::parse(Some(&query));
        let err = receive(None, &q, wire.as_bytes(), 300, now).err().unwrap();
        let off = Refusal::Unauthorized("WeCom callback is not configured");
        assert_eq!((&err.refusal, err.counted_as), (&off, Some("unconfigured")));
        let no_nonce = Query::parse(Some(query.split("&nonce").next().unwrap()));
        let err = receive(Some(&crypt), &no_nonce, wire.as_bytes(), 300, now)
            .err()
            .unwrap();
        assert_eq!(err.message(), "missing query parameter `nonce`");
        let err = receive(Some(&crypt), &q, wire.as_bytes(), 300, now + 301_000)
            .err()
            .unwrap();
        assert_eq!(err.counted_as, Some("stale"));
        let tampered = Query::parse(Some(&query.replace("msg_signature=", "msg_signature=0")));
        let err = receive(Some(&crypt), &tampered, wire.as_bytes(), 300, now)
            .err()
            .unwrap();
        let forged = Refusal::Unauthorized("signature or receiveid check failed");
        assert_eq!((&err.refusal, err.counted_as), (&forged, Some("signature")));
        let err = receive(Some(&crypt), &q, b"not xml", 300, now)
            .err()
            .unwrap();
        let malformed = Refusal::Malformed("cannot decrypt: -40002".into());
        assert_eq!(
            (&err.refusal, err.counted_as),
            (&malformed, Some("malformed"))
        );
    }
}
