//! Backups: every record of every tree as JSON lines, with a header and a trailer that carries the
//! record count and a SHA-256 of all lines before it, so a truncated or altered backup is refused.
//! [`write`] works on a live store (sled iterators see a consistent state per tree); [`restore`]
//! builds a fresh database from a backup and never lets ticket numbers go backwards.

use super::manifest::{self, Manifest};
use super::{GENERATION, META, NEXT_TICKET, SledStore, TREES, decode_u64, open_when_free};
use crate::store::{Result, StoreError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

const MAGIC: &str = "policybot-backup";

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Header {
        format: String,
        version: u32,
        created_ms: i64,
    },
    Record {
        tree: String,
        key: String,
        value: String,
    },
    Trailer {
        records: u64,
        sha256: String,
    },
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub records: u64,
    pub next_ticket: u64,
    /// Where the previous database was moved, if there was one.
    pub moved_aside: Option<PathBuf>,
}

/// The previous database could not be opened to read its numbering.
#[derive(Debug, thiserror::Error)]
#[error("cannot open {path} (is the bot running?)")]
struct Busy {
    path: PathBuf,
    #[source]
    source: StoreError,
}

/// Writes every record of `s` to `out`; returns how many.
pub(super) fn write(s: &SledStore, out: &mut dyn Write, now_ms: i64) -> Result<u64> {
    let mut w = Hashed::new(out);
    w.line(&Line::Header {
        format: MAGIC.to_owned(),
        version: 1,
        created_ms: now_ms,
    })?;
    let mut records = 0;
    for name in TREES {
        for kv in s.db.open_tree(name)?.iter() {
            let (k, v) = kv?;
            w.line(&Line::Record {
                tree: name.to_owned(),
                key: STANDARD.encode(&k),
                value: STANDARD.encode(&v),
            })?;
            records += 1;
        }
    }
    let sha256 = hex::encode(w.hash.clone().finalize());
    w.line(&Line::Trailer { records, sha256 })?;
    Ok(records)
}

/// Replaces the database in `data_dir` with the backup read from `input`. The old `v1` directory, if
/// any, is moved aside (never deleted). Ticket numbering continues from the highest of the backup, the
/// old manifest and the old database, so no number officers have seen is handed out again. Refuses
/// while another process holds the database.
pub fn restore(data_dir: &Path, input: impl BufRead, now_ms: i64) -> Result<Restored> {
    let records = read_verified(input)?;
    let old = manifest::read(data_dir).ok().flatten();
    let live = data_dir.join("v1");
    let mut floor = old.map_or(1, |m| m.next_ticket);
    let mut generation = old.map_or(0, |m| m.generation);
    let moved_aside = if live.exists() {
        let previous = open_when_free(sled::Config::new().path(&live)).map_err(|source| {
            StoreError::Backend(Box::new(Busy {
                path: live.clone(),
                source,
            }))
        })?;
        let meta = previous.open_tree(META)?;
        let read = |k: &[u8]| -> Result<u64> { Ok(meta.get(k)?.map_or(0, |v| decode_u64(&v))) };
        floor = floor.max(read(NEXT_TICKET)?);
        generation = generation.max(read(GENERATION)?);
        drop(meta);
        drop(previous);
        let aside = data_dir.join(format!("v1.before-restore-{now_ms}"));
        std::fs::rename(&live, &aside).map_err(StoreError::Io)?;
        Some(aside)
    } else {
        None
    };
    let db = open_when_free(sled::Config::new().path(&live))?;
    // One batch per tree: far fewer log writes than a record at a time.
    let mut batches: std::collections::BTreeMap<&str, sled::Batch> = Default::default();
    for (tree, k, v) in &records {
        batches
            .entry(tree.as_str())
            .or_default()
            .insert(k.as_slice(), v.as_slice());
    }
    for (tree, batch) in batches {
        db.open_tree(tree)?.apply_batch(batch)?;
    }
    let meta = db.open_tree(META)?;
    let backed_up = meta.get(NEXT_TICKET)?.map_or(1, |v| decode_u64(&v));
    let next_ticket = backed_up.max(floor);
    meta.insert(NEXT_TICKET, &next_ticket.to_be_bytes())?;
    meta.insert(GENERATION, &(generation + 1).to_be_bytes())?;
    db.flush()?;
    let m = Manifest {
        generation: generation + 1,
        next_ticket,
    };
    manifest::write(data_dir, m).map_err(StoreError::Io)?;
    Ok(Restored {
        records: records.len() as u64,
        next_ticket,
        moved_aside,
    })
}

/// One record of a backup: tree, key, value.
type Record = (String, Vec<u8>, Vec<u8>);

/// The records of a backup whose trailer matches its content.
fn read_verified(input: impl BufRead) -> Result<Vec<Record>> {
    let bad = |why: &str| StoreError::damaged(format!("not a usable backup: {why}"));
    let mut hash = Sha256::new();
    let mut records = Vec::new();
    let mut header = false;
    for line in input.lines() {
        let line = line.map_err(|e| bad(&e.to_string()))?;
        match serde_json::from_str::<Line>(&line).map_err(|_| bad("unreadable line"))? {
            Line::Header { format, .. } if format == MAGIC && !header => header = true,
            Line::Record { tree, key, value } if header => {
                if !TREES.contains(&tree.as_str()) {
                    return Err(bad(&format!("unknown tree {tree}")));
                }
                let decode = |s: &str| STANDARD.decode(s).map_err(|_| bad("bad Base64"));
                records.push((tree, decode(&key)?, decode(&value)?));
            }
            Line::Trailer { records: n, sha256 } if header => {
                if n != records.len() as u64 || sha256 != hex::encode(hash.finalize()) {
                    return Err(bad("checksum or record count does not match"));
                }
                return Ok(records);
            }
            _ => return Err(bad("lines out of order")),
        }
        hash.update(line.as_bytes());
        hash.update(b"\n");
    }
    Err(bad("truncated (no trailer)"))
}

/// A writer that hashes the lines it writes.
struct Hashed<'a> {
    out: &'a mut dyn Write,
    hash: Sha256,
}

impl<'a> Hashed<'a> {
    fn new(out: &'a mut dyn Write) -> Self {
        Hashed {
            out,
            hash: Sha256::new(),
        }
    }

    fn line(&mut self, line: &Line) -> Result<()> {
        let mut bytes = serde_json::to_vec(line).map_err(StoreError::Corrupt)?;
        bytes.push(b'\n');
        self.hash.update(&bytes);
        self.out.write_all(&bytes).map_err(StoreError::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Backend;

    #[test]
    fn a_backup_restores_and_numbering_never_goes_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut dump = Vec::new();
        {
            let s = SledStore::open(dir.path()).unwrap();
            s.mark_seen("dingtalk:m1", i64::MAX).unwrap();
            s.meta.insert(NEXT_TICKET, &4u64.to_be_bytes()).unwrap();
            s.flush_and_record().unwrap();
            assert_eq!(s.backup(&mut dump, 1).unwrap(), 4);
            s.meta.insert(NEXT_TICKET, &9u64.to_be_bytes()).unwrap();
            s.flush_and_record().unwrap();
        }
        let r = restore(dir.path(), dump.as_slice(), 2).unwrap();
        assert_eq!((r.records, r.next_ticket), (4, 9));
        assert!(r.moved_aside.unwrap().exists());
        let s = SledStore::open(dir.path()).unwrap();
        assert!(s.is_seen("dingtalk:m1").unwrap());
        assert_eq!(s.check().unwrap().next_ticket, 9);
    }

    #[test]
    fn a_truncated_or_altered_backup_is_refused() {
        let live = tempfile::tempdir().unwrap();
        let s = SledStore::open(live.path()).unwrap();
        s.mark_seen("a", 1).unwrap();
        let mut dump = Vec::new();
        s.backup(&mut dump, 1).unwrap();
        let text = String::from_utf8(dump).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let truncated = lines[..lines.len() - 1].join("\n");
        let altered = text.replace("\"a\"", "\"b\"").replace("YQ==", "Yg==");
        let dir = tempfile::tempdir().unwrap();
        for bad in [truncated.as_str(), altered.as_str(), "", "{}"] {
            assert!(matches!(
                restore(dir.path(), bad.as_bytes(), 1),
                Err(StoreError::Damaged { .. })
            ));
        }
        assert!(!dir.path().join("v1").exists(), "nothing was written");
    }
}
