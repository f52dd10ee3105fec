//! WXBizMsgCrypt against every `wecom` vector in `platform_vectors.json`
//! (official samples O1-O5, generated G1-G5, negative cases). Tests iterate
//! over the JSON, so new vectors are covered as long as their wire form is
//! one of the shapes dispatched in `check_wire`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use super::cipher::{self, PAD_BLOCK};
use super::{CryptoError, WxCrypt};
use crate::platform::vectors;

#[derive(Debug, Deserialize)]
pub(super) struct Vector {
    /// `O1`..`O5` by position for the official samples, else the name's
    /// first word (`G1`..).
    #[serde(skip)]
    pub(super) id: String,
    pub(super) name: String,
    pub(super) token: String,
    pub(super) encoding_aes_key: String,
    pub(super) receiveid: String,
    pub(super) timestamp: String,
    pub(super) nonce: String,
    pub(super) encrypt: String,
    pub(super) msg_signature: String,
    pub(super) random16_hex: String,
    pub(super) plaintext: String,
    pub(super) aes_key_hex: String,
    pub(super) pkcs7_pad: usize,
    #[serde(default = "yes")]
    pub(super) computed_signature_matches: bool,
    pub(super) request: Option<String>,
    pub(super) wire: Option<String>,
}

fn yes() -> bool {
    true
}

impl Vector {
    pub(super) fn crypt(&self) -> WxCrypt {
        WxCrypt::new(&self.token, &self.encoding_aes_key, &self.receiveid).unwrap()
    }

    fn random(&self) -> [u8; 16] {
        hex::decode(&self.random16_hex).unwrap().try_into().unwrap()
    }
}

fn all_vectors() -> Vec<Vector> {
    let mut all = load("/wecom/official_samples", |i, _| format!("O{}", i + 1));
    all.extend(load("/wecom/generated", |_, name| {
        name.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }));
    assert!(all.len() >= 10, "expected O1-O5 and G1-G5");
    all
}

fn load(pointer: &str, id: impl Fn(usize, &str) -> String) -> Vec<Vector> {
    let parse = |(i, raw)| {
        let mut v: Vector = serde_json::from_value(raw).unwrap();
        v.id = id(i, &v.name);
        v
    };
    vectors::list(pointer)
        .into_iter()
        .enumerate()
        .map(parse)
        .collect()
}

pub(super) fn vector(id: &str) -> Vector {
    all_vectors()
        .into_iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("no vector {id}"))
}

/// Decrypts `encrypt` through the public API with a valid signature.
pub(super) fn open_signed(crypt: &WxCrypt, encrypt: &str) -> Result<String, CryptoError> {
    let signature = crypt.signature("1", "n", encrypt);
    crypt.verify_url(&signature, "1", "n", encrypt)
}

#[test]
fn every_vector_key_decodes_to_the_published_aes_key() {
    for v in all_vectors() {
        let key = cipher::decode_key(&v.encoding_aes_key).unwrap();
        assert_eq!(hex::encode(key), v.aes_key_hex, "{}", v.name);
    }
}

#[test]
fn non_canonical_keys_are_accepted_although_strict_base64_rejects_them() {
    let flags = vectors::all()["wecom"]["encoding_aes_key_canonical"].clone();
    let flags = flags.as_object().unwrap();
    assert!(!flags.is_empty());
    for (key, canonical) in flags {
        let strict = STANDARD.decode(format!("{key}=")).is_ok();
        assert_eq!(strict, canonical.as_bool().unwrap(), "{key}");
        assert!(WxCrypt::new("t", key, "").is_ok(), "{key}");
    }
}

#[test]
fn every_vector_signature_is_reproduced() {
    for v in all_vectors() {
        let got = v.crypt().signature(&v.timestamp, &v.nonce, &v.encrypt);
        assert_eq!(
            got == v.msg_signature,
            v.computed_signature_matches,
            "{}",
            v.name
        );
    }
}

#[test]
fn every_vector_decrypts_to_its_plaintext() {
    for v in all_vectors()
        .into_iter()
        .filter(|v| v.computed_signature_matches)
    {
        let crypt = v.crypt();
        let got = crypt.verify_and_decrypt(&v.msg_signature, &v.timestamp, &v.nonce, &v.encrypt);
        assert_eq!(got.as_deref(), Ok(v.plaintext.as_str()), "{}", v.name);
    }
}

#[test]
fn every_vector_carries_its_published_random_and_padding() {
    for v in all_vectors() {
        let ciphertext = STANDARD.decode(&v.encrypt).unwrap();
        let key = v.crypt().key;
        let random = cipher::random_of(&key, &ciphertext).unwrap();
        assert_eq!(hex::encode(random), v.random16_hex, "{}", v.name);
        let opened = cipher::open(&key, &ciphertext).unwrap();
        let framed = 16 + 4 + opened.msg.len() + opened.receive_id.len();
        assert_eq!(ciphertext.len() - framed, v.pkcs7_pad, "{}", v.name);
    }
}

#[test]
fn every_vector_re_encrypts_byte_for_byte_with_its_random() {
    for v in all_vectors() {
        let got = v.crypt().encrypt(&v.plaintext, v.random());
        assert_eq!(got, v.encrypt, "{}", v.name);
    }
}

#[test]
fn every_vector_wire_form_is_handled() {
    for v in all_vectors()
        .into_iter()
        .filter(|v| v.computed_signature_matches)
    {
        check_wire(&v);
    }
}

/// Replays the vector the way the HTTP layer will see it.
fn check_wire(v: &Vector) {
    let crypt = v.crypt();
    let (sig, ts, nonce) = (
        v.msg_signature.as_str(),
        v.timestamp.as_str(),
        v.nonce.as_str(),
    );
    let wire = v.wire.clone().unwrap_or_else(|| official_wire(v));
    let got = if wire.starts_with("GET ") {
        let query = parse_query(&wire);
        assert_eq!(
            (query[0].as_str(), query[1].as_str()),
            (sig, ts),
            "{}",
            v.name
        );
        crypt.verify_url(&query[0], &query[1], &query[2], &query[3])
    } else if wire.contains("<MsgSignature>") {
        Ok(crypt.encrypt_reply(&v.plaintext, ts, nonce, v.random()))
    } else if wire.starts_with('{') {
        // The AI bot's JSON envelope: its `encrypt` field goes through the same check.
        let envelope: serde_json::Value = serde_json::from_str(&wire).expect("JSON wire");
        let encrypt = envelope["encrypt"].as_str().expect("an encrypt field");
        crypt.verify_and_decrypt(sig, ts, nonce, encrypt.trim())
    } else {
        crypt.decrypt_post(sig, ts, nonce, wire.as_bytes())
    };
    let expected = if wire.contains("<MsgSignature>") {
        &wire
    } else {
        &v.plaintext
    };
    assert_eq!(got.as_ref(), Ok(expected), "{}", v.name);
}

/// The official samples publish no wire form; build the one WeCom sends.
fn official_wire(v: &Vector) -> String {
    match v.request.as_deref() {
        Some("get") => format!(
            "GET /cb?msg_signature={}&timestamp={}&nonce={}&echostr={}",
            v.msg_signature,
            v.timestamp,
            v.nonce,
            percent_encoding::utf8_percent_encode(&v.encrypt, percent_encoding::NON_ALPHANUMERIC)
        ),
        Some("post-json") => serde_json::json!({ "encrypt": v.encrypt }).to_string(),
        Some("post") => format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>",
            v.receiveid, v.encrypt
        ),
        other => panic!("{}: unknown request kind {other:?}", v.name),
    }
}

/// `msg_signature, timestamp, nonce, echostr`, URL-decoded, in that order.
fn parse_query(wire: &str) -> Vec<String> {
    let query = wire.split_once('?').unwrap().1;
    let value = |key: &str| {
        let raw = query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {wire}"));
        percent_decode_str(raw).decode_utf8().unwrap().into_owned()
    };
    ["msg_signature", "timestamp", "nonce", "echostr"]
        .map(value)
        .to_vec()
}

#[test]
fn g3_passive_reply_matches_the_official_wire_form_byte_for_byte() {
    let v = vector("G3");
    let reply = v
        .crypt()
        .encrypt_reply(&v.plaintext, &v.timestamp, &v.nonce, v.random());
    assert_eq!(Some(reply), v.wire);
}

#[test]
fn g4_echostr_uses_a_full_32_byte_padding_block() {
    let v = vector("G4");
    assert_eq!(v.pkcs7_pad, PAD_BLOCK);
    let ciphertext = STANDARD.decode(&v.encrypt).unwrap();
    assert_eq!(ciphertext.len(), 16 + 4 + 26 + 18 + PAD_BLOCK);
    let query = parse_query(v.wire.as_deref().unwrap());
    let got = v
        .crypt()
        .verify_url(&query[0], &query[1], &query[2], &query[3]);
    assert_eq!(got.as_deref(), Ok("12345678901234567890123456"));
}

#[test]
fn g4_echostr_with_plus_decoded_as_space_is_rejected() {
    let v = vector("G4");
    let mangled = v.encrypt.replace('+', " ");
    let got = v
        .crypt()
        .verify_url(&v.msg_signature, &v.timestamp, &v.nonce, &mangled);
    assert_eq!(got, Err(CryptoError::BadSignature));
    let crypt = v.crypt();
    assert_eq!(open_signed(&crypt, &mangled), Err(CryptoError::Base64));
}

#[test]
fn g2_binary_random_bytes_round_trip() {
    let v = vector("G2");
    assert!(v.random().iter().all(|b| !b.is_ascii()));
    let crypt = v.crypt();
    let encrypt = crypt.encrypt(&v.plaintext, v.random());
    assert_eq!(encrypt, v.encrypt);
    assert_eq!(
        open_signed(&crypt, &encrypt).as_deref(),
        Ok(v.plaintext.as_str())
    );
}

#[test]
fn negative_vectors_fail_with_the_official_codes() {
    let list = vectors::list("/wecom/negative");
    assert!(!list.is_empty());
    for case in list {
        let base = vector(vectors::str_field(&case, "based_on"));
        let code = case["expect_code"].as_i64().unwrap();
        let (token, receive_id) = match code {
            -40001 => (format!("{}x", base.token), base.receiveid.clone()),
            -40005 => (base.token.clone(), "wwWRONGCORPID".to_owned()),
            other => panic!("no mutation known for expect_code {other}"),
        };
        let crypt = WxCrypt::new(&token, &base.encoding_aes_key, &receive_id).unwrap();
        let wire = base.wire.as_deref().unwrap().as_bytes();
        let got = crypt.decrypt_post(&base.msg_signature, &base.timestamp, &base.nonce, wire);
        assert_eq!(
            got.map_err(|e| i64::from(e.code())),
            Err(code),
            "{}",
            vectors::name(&case)
        );
    }
}

#[test]
fn wrong_token_is_a_bad_signature_and_wrong_receive_id_a_mismatch() {
    let v = vector("G1");
    let wire = v.wire.as_deref().unwrap().as_bytes();
    let wrong_token = WxCrypt::new("QDG6eKx", &v.encoding_aes_key, &v.receiveid).unwrap();
    let got = wrong_token.decrypt_post(&v.msg_signature, &v.timestamp, &v.nonce, wire);
    assert_eq!(got, Err(CryptoError::BadSignature));
    let robot = WxCrypt::new(&v.token, &v.encoding_aes_key, "").unwrap();
    let got = robot.decrypt_post(&v.msg_signature, &v.timestamp, &v.nonce, wire);
    assert_eq!(got, Err(CryptoError::ReceiveIdMismatch));
}
