//! The platforms' side of the callback crypto, written independently of `src/` (tests may not import
//! crate internals): DingTalk's `sign` header and WeCom's WXBizMsgCrypt (SHA1 `msg_signature`,
//! AES-256-CBC over `random16 ‖ len ‖ msg ‖ receiveid`, PKCS#7 to 32 bytes). Checked against the
//! published vectors in `wecom_crypto_matches_the_published_vectors` (tests/api/wecom.rs).

use aes::Aes256;
use base64::Engine;
use base64::alphabet::STANDARD as ALPHABET;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};

/// `Base64(HMAC-SHA256(app_secret, timestamp + "\n" + app_secret))`.
pub fn dingtalk_sign(app_secret: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}\n{app_secret}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// WeCom callback credentials as the platform holds them.
#[derive(Clone)]
pub struct WeComCrypto {
    pub token: String,
    key: [u8; 32],
    pub receive_id: String,
}

impl WeComCrypto {
    pub fn new(token: &str, encoding_aes_key: &str, receive_id: &str) -> WeComCrypto {
        // Official keys are often non-canonical Base64 (non-zero trailing bits).
        let lenient = GeneralPurpose::new(
            &ALPHABET,
            GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let key = lenient
            .decode(format!("{encoding_aes_key}="))
            .unwrap()
            .try_into()
            .unwrap();
        WeComCrypto {
            token: token.to_owned(),
            key,
            receive_id: receive_id.to_owned(),
        }
    }

    /// `hex(SHA1(concat(sort([token, timestamp, nonce, encrypt]))))`.
    pub fn signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, encrypt];
        parts.sort_unstable();
        hex::encode(Sha1::digest(parts.concat().as_bytes()))
    }

    /// Base64 ciphertext of `msg` framed with `random16` and this receiveid.
    pub fn encrypt(&self, msg: &str, random16: &[u8; 16]) -> String {
        let mut buf = random16.to_vec();
        buf.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        buf.extend_from_slice(msg.as_bytes());
        buf.extend_from_slice(self.receive_id.as_bytes());
        let pad = 32 - buf.len() % 32;
        buf.resize(buf.len() + pad, pad as u8);
        let len = buf.len();
        let enc = cbc::Encryptor::<Aes256>::new(&self.key.into(), self.key[..16].into());
        enc.encrypt_padded_mut::<NoPadding>(&mut buf, len).unwrap();
        STANDARD.encode(buf)
    }

    /// Decrypts `encrypt` into (message, receiveid).
    pub fn decrypt(&self, encrypt: &str) -> (String, String) {
        let mut buf = STANDARD.decode(encrypt).expect("Encrypt is Base64");
        let dec = cbc::Decryptor::<Aes256>::new(&self.key.into(), self.key[..16].into());
        let plain = dec
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .expect("whole AES blocks");
        let pad = *plain.last().unwrap() as usize;
        assert!((1..=32).contains(&pad), "PKCS#7 pad {pad}");
        let body = &plain[16..plain.len() - pad];
        let n = u32::from_be_bytes(body[..4].try_into().unwrap()) as usize;
        let msg = String::from_utf8(body[4..4 + n].to_vec()).expect("UTF-8 message");
        let receive_id = String::from_utf8(body[4 + n..].to_vec()).expect("UTF-8 receiveid");
        (msg, receive_id)
    }
}
