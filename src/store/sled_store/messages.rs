//! Records about messages on sled: de-duplication and signatures already used (one record each, whose
//! value starts with its expiry time, big-endian), their expiry with that of send slots and flood
//! counts, and taking the suggestions offered to a sender.

use super::*;

pub(super) fn mark_seen(s: &SledStore, key: &str, expires_ms: i64) -> Result<bool> {
    let swapped = s.seen.compare_and_swap(
        key.as_bytes(),
        None as Option<&[u8]>,
        Some(&expires_ms.to_be_bytes()[..]),
    )?;
    Ok(swapped.is_ok())
}

pub(super) fn bind_signature(
    s: &SledStore,
    key: &str,
    msg_id: &str,
    expires_ms: i64,
) -> Result<bool> {
    let mut record = expires_ms.to_be_bytes().to_vec();
    record.extend_from_slice(msg_id.as_bytes());
    let swapped =
        s.signatures
            .compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(record))?;
    Ok(match swapped {
        Ok(()) => true,
        Err(e) => e
            .current
            .is_some_and(|v| v.get(8..) == Some(msg_id.as_bytes())),
    })
}

pub(super) fn expire(s: &SledStore, now_ms: i64) -> Result<usize> {
    let mut n = 0;
    for tree in [&s.seen, &s.signatures] {
        for kv in tree.iter() {
            let (k, v) = kv?;
            if decode_i64(v.get(..8).unwrap_or_default()) < now_ms {
                tree.remove(k)?;
                n += 1;
            }
        }
    }
    for (tree, window) in [(&s.send_slots, 60_000), (&s.floods, 3_600_000)] {
        for kv in tree.iter() {
            let (k, v) = kv?;
            let times: Vec<i64> = from_json(&v).unwrap_or_default();
            if times.iter().all(|t| now_ms - t >= window) {
                tree.remove(k)?;
                n += 1;
            }
        }
    }
    Ok(n)
}

pub(super) fn take_clarify(
    s: &SledStore,
    who: &str,
    now_ms: i64,
) -> Result<Option<PendingClarify>> {
    let Some(v) = s.clarify.remove(who.as_bytes())? else {
        return Ok(None);
    };
    let p: PendingClarify = from_json(&v)?;
    Ok((p.expires_ms >= now_ms).then_some(p))
}

fn decode_i64(v: &[u8]) -> i64 {
    v.try_into().map(i64::from_be_bytes).unwrap_or(0)
}
