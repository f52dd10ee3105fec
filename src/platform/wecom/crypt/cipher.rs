//! The byte-level half of WXBizMsgCrypt: key decoding, the plaintext frame
//! `random(16) ‖ msg_len(u32 BE) ‖ msg ‖ receiveid`, PKCS#7 padding to a
//! **32-byte** block (1..=32, a full block when aligned, unlike AES's 16)
//! and AES-256-CBC with `IV = key[..16]`.
//!
//! Everything that reads decrypted bytes bounds-checks and reports
//! [`CryptoError`] instead of panicking.

use aes::Aes256;
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

use super::CryptoError;

/// PKCS#7 block size used by WeCom (not the AES block size).
pub(super) const PAD_BLOCK: usize = 32;
/// Length of the random prefix of every frame.
pub(super) const RANDOM_LEN: usize = 16;
/// Random prefix plus the u32 length field.
const HEADER_LEN: usize = RANDOM_LEN + 4;
/// AES block size: ciphertexts are whole multiples of it.
const AES_BLOCK: usize = 16;
/// Characters in an EncodingAESKey (32 bytes of Base64 without its `=`).
const ENCODING_AES_KEY_LEN: usize = 43;

/// Base64 that accepts non-zero discarded bits in the last symbol: most
/// WeCom-issued keys (including both official sample keys) are
/// non-canonical and a strict decoder rejects them.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

type Encryptor = cbc::Encryptor<Aes256>;
type Decryptor = cbc::Decryptor<Aes256>;

/// The 32-byte AES key behind a 43-character EncodingAESKey.
pub(super) fn decode_key(encoding_aes_key: &str) -> Result<[u8; 32], CryptoError> {
    if encoding_aes_key.len() != ENCODING_AES_KEY_LEN {
        return Err(CryptoError::IllegalAesKey);
    }
    let bytes = LENIENT
        .decode(format!("{encoding_aes_key}="))
        .map_err(|_| CryptoError::IllegalAesKey)?;
    bytes.try_into().map_err(|_| CryptoError::IllegalAesKey)
}

/// Frames, pads and encrypts `msg`.
pub(super) fn seal(key: &[u8; 32], random: &[u8; 16], msg: &[u8], receive_id: &[u8]) -> Vec<u8> {
    encrypt_padded(key, &pad(frame(random, msg, receive_id)))
}

/// Decrypts, unpads and splits a ciphertext. The random prefix is
/// dropped: receivers must not interpret it.
pub(super) fn open(key: &[u8; 32], ciphertext: &[u8]) -> Result<Opened, CryptoError> {
    let plain = decrypt(key, ciphertext)?;
    let frame = unframe(unpad(&plain)?)?;
    Ok(Opened {
        msg: frame.msg.to_vec(),
        receive_id: frame.receive_id.to_vec(),
    })
}

/// The meaningful parts of a decrypted frame.
#[derive(Debug)]
pub(super) struct Opened {
    pub msg: Vec<u8>,
    pub receive_id: Vec<u8>,
}

/// The random prefix of a ciphertext, for checking vectors.
#[cfg(test)]
pub(super) fn random_of(key: &[u8; 32], ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let plain = decrypt(key, ciphertext)?;
    let framed = unpad(&plain)?;
    unframe(framed)?;
    Ok(framed[..RANDOM_LEN].to_vec())
}

/// Frame layout; a message longer than `u32::MAX` bytes (far beyond any
/// WeCom limit) would get a saturated length field.
fn frame(random: &[u8; 16], msg: &[u8], receive_id: &[u8]) -> Vec<u8> {
    let len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
    let mut buf = Vec::with_capacity(HEADER_LEN + msg.len() + receive_id.len() + PAD_BLOCK);
    buf.extend_from_slice(random);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(msg);
    buf.extend_from_slice(receive_id);
    buf
}

/// The parts of a decrypted, unpadded frame after the random prefix.
struct Frame<'a> {
    msg: &'a [u8],
    receive_id: &'a [u8],
}

fn unframe(framed: &[u8]) -> Result<Frame<'_>, CryptoError> {
    let (header, rest) = framed
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(CryptoError::IllegalBuffer("shorter than the frame header"))?;
    let len = &header[RANDOM_LEN..];
    let len_bytes: [u8; 4] = len
        .try_into()
        .map_err(|_| CryptoError::IllegalBuffer("bad length field"))?;
    let msg_len = usize::try_from(u32::from_be_bytes(len_bytes))
        .map_err(|_| CryptoError::IllegalBuffer("length field exceeds buffer"))?;
    if msg_len > rest.len() {
        return Err(CryptoError::IllegalBuffer("length field exceeds buffer"));
    }
    let (msg, receive_id) = rest.split_at(msg_len);
    Ok(Frame { msg, receive_id })
}

/// PKCS#7 to [`PAD_BLOCK`]: always 1..=32 bytes of value `n`.
pub(super) fn pad(mut buf: Vec<u8>) -> Vec<u8> {
    let n = PAD_BLOCK - buf.len() % PAD_BLOCK;
    // `n` is in 1..=32, so the cast is lossless.
    buf.resize(buf.len() + n, n as u8);
    buf
}

fn unpad(buf: &[u8]) -> Result<&[u8], CryptoError> {
    const BAD: CryptoError = CryptoError::IllegalBuffer("bad PKCS#7 padding");
    let n = usize::from(*buf.last().ok_or(BAD)?);
    if n == 0 || n > PAD_BLOCK || n > buf.len() {
        return Err(BAD);
    }
    let (body, padding) = buf.split_at(buf.len() - n);
    if padding.iter().any(|&b| usize::from(b) != n) {
        return Err(BAD);
    }
    Ok(body)
}

/// AES-256-CBC over an already padded buffer (a multiple of 32 bytes).
pub(super) fn encrypt_padded(key: &[u8; 32], padded: &[u8]) -> Vec<u8> {
    Encryptor::new(key.into(), (&iv(key)).into()).encrypt_padded_vec_mut::<NoPadding>(padded)
}

fn decrypt(key: &[u8; 32], ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(AES_BLOCK) {
        return Err(CryptoError::Decrypt);
    }
    Decryptor::new(key.into(), (&iv(key)).into())
        .decrypt_padded_vec_mut::<NoPadding>(ciphertext)
        .map_err(|_| CryptoError::Decrypt)
}

/// WeCom uses the first half of the key as the IV.
fn iv(key: &[u8; 32]) -> [u8; 16] {
    let mut iv = [0; 16];
    iv.copy_from_slice(&key[..16]);
    iv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_between_one_and_thirty_two_bytes() {
        for len in 0..100 {
            let padded = pad(vec![0xAA; len]);
            assert_eq!(padded.len() % PAD_BLOCK, 0);
            let n = padded.len() - len;
            assert!((1..=PAD_BLOCK).contains(&n), "len {len} pad {n}");
            assert_eq!(unpad(&padded).unwrap().len(), len);
        }
    }

    #[test]
    fn malformed_padding_is_an_illegal_buffer() {
        let mut inconsistent = pad(vec![1; 10]);
        let at = inconsistent.len() - 2;
        inconsistent[at] ^= 1;
        let cases: [&[u8]; 5] = [&[], &[0], &[33; 64], &[5, 5], &inconsistent];
        for buf in cases {
            assert!(
                matches!(unpad(buf), Err(CryptoError::IllegalBuffer(_))),
                "{buf:?}"
            );
        }
    }

    #[test]
    fn frames_round_trip_and_reject_overlong_length_fields() {
        let framed = frame(&[7; 16], "你好".as_bytes(), b"corp");
        let parts = unframe(&framed).unwrap();
        assert_eq!(parts.msg, "你好".as_bytes());
        assert_eq!(parts.receive_id, b"corp");
        let mut lying = framed.clone();
        lying[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            unframe(&lying),
            Err(CryptoError::IllegalBuffer(_))
        ));
        assert!(matches!(
            unframe(&framed[..19]),
            Err(CryptoError::IllegalBuffer(_))
        ));
    }

    #[test]
    fn ciphertexts_that_are_not_whole_aes_blocks_fail_to_decrypt() {
        let key = [9; 32];
        for len in [0, 1, 15, 17, 31, 33] {
            assert_eq!(
                decrypt(&key, &vec![0; len]),
                Err(CryptoError::Decrypt),
                "{len}"
            );
        }
    }

    #[test]
    fn keys_must_be_43_base64_characters() {
        let good = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        assert!(decode_key(good).is_ok());
        for bad in [
            &good[..42],
            &format!("{good}A"),
            &format!("{}!", &good[..42]),
            "",
        ] {
            assert_eq!(decode_key(bad), Err(CryptoError::IllegalAesKey), "{bad}");
        }
    }
}
