//! WXBizMsgCrypt, the callback envelope of WeCom (and WeChat): used by
//! group-robot callbacks (receiveid `""`), AI-bot callbacks (`""`) and
//! self-built app callbacks (receiveid = corpid). The AI bot's JSON body
//! (`{"encrypt": …}`) is not read yet: its transport will pass the field to
//! the same check.
//!
//! `msg_signature = hex(SHA1(concat(sort([token, timestamp, nonce,
//! encrypt]))))` authenticates the request; it is checked, in constant time,
//! *before* anything is decrypted, so the decryption errors are no oracle.
//! `encrypt` is Base64 of AES-256-CBC over a padded frame (see `cipher`).
//! The official library's error codes (-40001…) are kept on
//! [`CryptoError::code`] so logs match Tencent's documentation.

mod cipher;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod vector_tests;

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::xml::{cdata, flatten};

/// Why a WeCom callback could not be verified or decrypted, with the
/// official WXBizMsgCrypt code of each cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CryptoError {
    /// -40001: `msg_signature` does not match (wrong token or tampering).
    #[error("msg_signature does not match")]
    BadSignature,
    /// -40002: the body is not XML/JSON carrying an `Encrypt` field.
    #[error("body does not carry an Encrypt field")]
    ParseXml,
    /// -40004: the EncodingAESKey is not 43 Base64 characters.
    #[error("EncodingAESKey is not 43 Base64 characters")]
    IllegalAesKey,
    /// -40005: the message was encrypted for another corp/robot.
    #[error("receiveid in the message does not match")]
    ReceiveIdMismatch,
    /// -40007: the ciphertext is not a whole number of AES blocks.
    #[error("ciphertext cannot be AES-decrypted")]
    Decrypt,
    /// -40008: the decrypted bytes are not a valid frame.
    #[error("illegal buffer after decryption: {0}")]
    IllegalBuffer(&'static str),
    /// -40010: `Encrypt`/`echostr` is not Base64 (often a `+` URL-decoded
    /// into a space).
    #[error("Encrypt/echostr is not valid Base64")]
    Base64,
}

impl CryptoError {
    /// The official WXBizMsgCrypt error code (`ierror.py`).
    pub(crate) fn code(&self) -> i32 {
        match self {
            CryptoError::BadSignature => -40001,
            CryptoError::ParseXml => -40002,
            CryptoError::IllegalAesKey => -40004,
            CryptoError::ReceiveIdMismatch => -40005,
            CryptoError::Decrypt => -40007,
            CryptoError::IllegalBuffer(_) => -40008,
            CryptoError::Base64 => -40010,
        }
    }
}

/// One callback endpoint's credentials. `Debug` redacts the secrets.
#[derive(Clone)]
pub struct WxCrypt {
    token: String,
    key: [u8; 32],
    receive_id: String,
}

impl fmt::Debug for WxCrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WxCrypt")
            .field("receive_id", &self.receive_id)
            .finish_non_exhaustive()
    }
}

impl WxCrypt {
    /// `receive_id` is `""` for group robots and AI bots, the corpid for
    /// self-built apps. The key is decoded leniently (see `cipher`).
    pub(crate) fn new(
        token: &str,
        encoding_aes_key: &str,
        receive_id: &str,
    ) -> Result<WxCrypt, CryptoError> {
        Ok(WxCrypt {
            token: token.to_owned(),
            key: cipher::decode_key(encoding_aes_key)?,
            receive_id: receive_id.to_owned(),
        })
    }

    /// `msg_signature` over `encrypt` (the echostr for URL verification).
    pub(crate) fn signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, encrypt];
        parts.sort_unstable();
        hex::encode(Sha1::digest(parts.concat().as_bytes()))
    }

    /// URL verification (`GET ?msg_signature&timestamp&nonce&echostr`, all
    /// already URL-decoded). Returns the plaintext to answer with, verbatim.
    pub(crate) fn verify_url(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &str,
    ) -> Result<String, CryptoError> {
        self.verify_and_decrypt(msg_signature, timestamp, nonce, echostr)
    }

    /// Decrypts a POSTed XML body (`<xml>…<Encrypt>…</Encrypt>…</xml>`).
    pub(crate) fn decrypt_post(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        body: &[u8],
    ) -> Result<String, CryptoError> {
        let fields = flatten(body).map_err(|_| CryptoError::ParseXml)?;
        let encrypt = fields.non_empty("Encrypt").ok_or(CryptoError::ParseXml)?;
        self.verify_and_decrypt(msg_signature, timestamp, nonce, encrypt)
    }

    /// Checks `msg_signature` over `encrypt`, then decrypts it and checks
    /// the receiveid. The plaintext must be UTF-8.
    fn verify_and_decrypt(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, CryptoError> {
        let expected = self.signature(timestamp, nonce, encrypt);
        let given = msg_signature.trim().to_ascii_lowercase();
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(CryptoError::BadSignature);
        }
        self.decrypt(encrypt)
    }

    /// Base64 `Encrypt` for `plaintext`; `random16` is any 16 bytes (see
    /// [`random16`]), fixed here so that tests are reproducible.
    pub(crate) fn encrypt(&self, plaintext: &str, random16: [u8; 16]) -> String {
        let sealed = cipher::seal(
            &self.key,
            &random16,
            plaintext.as_bytes(),
            self.receive_id.as_bytes(),
        );
        STANDARD.encode(sealed)
    }

    /// The encrypted passive-reply XML for `plaintext`, in the exact wire
    /// form of the official library.
    pub(crate) fn encrypt_reply(
        &self,
        plaintext: &str,
        timestamp: &str,
        nonce: &str,
        random16: [u8; 16],
    ) -> String {
        let encrypt = self.encrypt(plaintext, random16);
        let signature = self.signature(timestamp, nonce, &encrypt);
        format!(
            "<xml>\n<Encrypt>{}</Encrypt>\n<MsgSignature>{}</MsgSignature>\n\
             <TimeStamp>{}</TimeStamp>\n<Nonce>{}</Nonce>\n</xml>",
            cdata(&encrypt),
            cdata(&signature),
            quick_xml::escape::escape(timestamp),
            cdata(nonce),
        )
    }

    fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let ciphertext = STANDARD.decode(encrypt).map_err(|_| CryptoError::Base64)?;
        let opened = cipher::open(&self.key, &ciphertext)?;
        if opened.receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::ReceiveIdMismatch);
        }
        String::from_utf8(opened.msg)
            .map_err(|_| CryptoError::IllegalBuffer("message is not UTF-8"))
    }
}

/// 16 random alphanumeric bytes for [`WxCrypt::encrypt`] (the official
/// library uses ASCII digits, wechatpy alphanumerics; receivers ignore them).
pub(crate) fn random16() -> [u8; 16] {
    let mut out = [0; 16];
    let mut rng = rand::thread_rng();
    for byte in &mut out {
        *byte = rng.sample(Alphanumeric);
    }
    out
}
