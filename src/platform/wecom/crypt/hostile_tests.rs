//! WXBizMsgCrypt under hostile or broken input: tampering, malformed
//! bodies, ciphertexts and decrypted frames, bad keys. Nothing may panic;
//! every failure must carry its official error code.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::cipher;
use super::vector_tests::{open_signed, vector};
use super::{CryptoError, WxCrypt};

#[test]
fn tampered_timestamp_nonce_or_ciphertext_breaks_the_signature() {
    let v = vector("O2");
    let crypt = v.crypt();
    let (sig, ts, nonce, enc) = (&v.msg_signature, &v.timestamp, &v.nonce, &v.encrypt);
    let tampered = format!("A{}", &enc[1..]);
    assert_eq!(
        crypt.verify_url(sig, "1409659590", nonce, enc),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        crypt.verify_url(sig, ts, "263014781", enc),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        crypt.verify_url(sig, ts, nonce, &tampered),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        crypt.verify_url("", ts, nonce, enc),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn upper_case_signatures_are_accepted() {
    let v = vector("O2");
    let upper = v.msg_signature.to_ascii_uppercase();
    let got = v
        .crypt()
        .verify_url(&upper, &v.timestamp, &v.nonce, &v.encrypt);
    assert_eq!(got.as_deref(), Ok(v.plaintext.as_str()));
}

#[test]
fn bodies_without_an_encrypt_field_are_parse_errors() {
    let crypt = vector("G1").crypt();
    let bodies: [&[u8]; 6] = [
        b"",
        b"<xml><ToUserName>x</ToUserName></xml>",
        b"<xml><Encrypt></Encrypt></xml>",
        b"<xml><Encrypt>abc</xml>",
        b"\xff\xfe<xml/>",
        b"{\"encrypt\":\"abc\"}",
    ];
    for body in bodies {
        let got = crypt.decrypt_post("s", "1", "n", body);
        assert_eq!(
            got,
            Err(CryptoError::ParseXml),
            "{}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(CryptoError::ParseXml.code(), -40002);
    }
}

#[test]
fn malformed_ciphertexts_are_errors_not_panics() {
    let crypt = vector("G1").crypt();
    let short = STANDARD.encode([1u8; 15]);
    let odd = STANDARD.encode([1u8; 17]);
    assert_eq!(open_signed(&crypt, "not base64!"), Err(CryptoError::Base64));
    assert_eq!(open_signed(&crypt, ""), Err(CryptoError::Decrypt));
    assert_eq!(open_signed(&crypt, &short), Err(CryptoError::Decrypt));
    assert_eq!(open_signed(&crypt, &odd), Err(CryptoError::Decrypt));
    let one_block = STANDARD.encode([0u8; 16]);
    assert!(matches!(
        open_signed(&crypt, &one_block),
        Err(CryptoError::IllegalBuffer(_))
    ));
}

/// Encrypts an arbitrary (already padded) frame with `crypt`'s key.
fn seal_raw(crypt: &WxCrypt, padded: &[u8]) -> String {
    STANDARD.encode(cipher::encrypt_padded(&crypt.key, padded))
}

#[test]
fn decrypted_frames_with_bad_padding_or_length_are_illegal_buffers() {
    let crypt = vector("G1").crypt();
    let mut lying_len = vec![b'r'; 16];
    lying_len.extend_from_slice(&1000u32.to_be_bytes());
    lying_len.extend_from_slice(b"short");
    let cases = [
        [0u8; 64].to_vec(),
        [33u8; 64].to_vec(),
        cipher::pad([1u8; 10].to_vec()),
        cipher::pad(lying_len),
    ];
    for frame in cases {
        let got = open_signed(&crypt, &seal_raw(&crypt, &frame));
        assert!(
            matches!(got, Err(CryptoError::IllegalBuffer(_))),
            "{frame:?}: {got:?}"
        );
        assert_eq!(got.unwrap_err().code(), -40008);
    }
}

#[test]
fn non_utf8_messages_are_illegal_buffers() {
    let v = vector("G1");
    let crypt = v.crypt();
    let sealed = cipher::seal(&crypt.key, &[0; 16], b"\xff\xfe", v.receiveid.as_bytes());
    let got = open_signed(&crypt, &STANDARD.encode(sealed));
    assert_eq!(got, Err(CryptoError::IllegalBuffer("message is not UTF-8")));
}

#[test]
fn random_garbage_never_panics() {
    let crypt = vector("G2").crypt();
    for len in 0..200 {
        let bytes: Vec<u8> = (0..len).map(|_| rand::random()).collect();
        let _ = open_signed(&crypt, &STANDARD.encode(&bytes));
        let _ = crypt.decrypt_post("s", "1", "n", &bytes);
    }
}

#[test]
fn illegal_keys_are_rejected_with_code_40004() {
    for key in [
        "short",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C=",
        "错".repeat(14).as_str(),
    ] {
        let err = WxCrypt::new("t", key, "").unwrap_err();
        assert_eq!(
            (err, err.code()),
            (CryptoError::IllegalAesKey, -40004),
            "{key}"
        );
    }
}

#[test]
fn round_trips_with_fresh_randomness_and_debug_hides_secrets() {
    let crypt = WxCrypt::new("tok", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "").unwrap();
    let random = super::random16();
    assert!(random.iter().all(u8::is_ascii_alphanumeric));
    let encrypt = crypt.encrypt("答复：请携带身份证。", random);
    assert_eq!(
        open_signed(&crypt, &encrypt).as_deref(),
        Ok("答复：请携带身份证。")
    );
    let debug = format!("{crypt:?}");
    assert!(!debug.contains("tok") && !debug.contains("key:"), "{debug}");
}

#[test]
fn every_error_has_its_official_code() {
    let codes = [
        (CryptoError::BadSignature, -40001),
        (CryptoError::ParseXml, -40002),
        (CryptoError::IllegalAesKey, -40004),
        (CryptoError::ReceiveIdMismatch, -40005),
        (CryptoError::Decrypt, -40007),
        (CryptoError::IllegalBuffer("x"), -40008),
        (CryptoError::Base64, -40010),
    ];
    for (err, code) in codes {
        assert_eq!(err.code(), code, "{err}");
    }
}
