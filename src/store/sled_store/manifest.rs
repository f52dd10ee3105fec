//! The manifest: a small file beside the sled files (`<data_dir>/MANIFEST`) that records, after every
//! durable commit, the commit's generation and the next ticket number. sled recovers silently to the
//! last intact point of its log when its files are truncated or damaged; comparing what it recovered with
//! the manifest is how the bot notices that acknowledged commits are missing and refuses to run on them
//! (ticket numbers officers already know would otherwise be handed out again).
//!
//! It is replaced atomically: written to a temporary file, fsynced, renamed over the old one, and the
//! directory fsynced.

use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the manifest file says is the name of its format.
pub const FORMAT: &str = "policybot-store";
/// The on-disk layout version (the sled database lives in `<data_dir>/v1`).
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Counts durable commits; sled's copy (in the meta tree) may be ahead, never behind.
    pub generation: u64,
    /// The next ticket number; sled's copy may be ahead, never behind.
    pub next_ticket: u64,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    format: String,
    version: u32,
    #[serde(flatten)]
    manifest: Manifest,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("MANIFEST")
}

/// The manifest, `Ok(None)` if there is none yet, `Damaged` with the reason if it cannot be read.
pub fn read(data_dir: &Path) -> Result<Option<Manifest>, StoreError> {
    let p = path(data_dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::damaged_by(
                format!("{}: cannot read", p.display()),
                e,
            ));
        }
    };
    let disk: OnDisk = serde_json::from_str(&text)
        .map_err(|e| StoreError::damaged_by(format!("{}: not a manifest", p.display()), e))?;
    if disk.format != FORMAT || disk.version != VERSION {
        return Err(StoreError::damaged(format!(
            "{}: format {} version {} (this build reads {FORMAT} version {VERSION})",
            p.display(),
            disk.format,
            disk.version
        )));
    }
    Ok(Some(disk.manifest))
}

/// Replaces the manifest atomically and durably.
pub fn write(data_dir: &Path, manifest: Manifest) -> std::io::Result<()> {
    let disk = OnDisk {
        format: FORMAT.to_owned(),
        version: VERSION,
        manifest,
    };
    let tmp = data_dir.join("MANIFEST.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec(&disk).expect("serialisable"))?;
    f.sync_all()?;
    std::fs::rename(&tmp, path(data_dir))?;
    std::fs::File::open(data_dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_manifest_reads_back_and_garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        let m = Manifest {
            generation: 7,
            next_ticket: 42,
        };
        write(dir.path(), m).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(m));
        std::fs::write(path(dir.path()), b"{\"format\":\"x\"").unwrap();
        assert!(read(dir.path()).is_err());
        let other = r#"{"format":"policybot-store","version":9,"generation":1,"next_ticket":1}"#;
        std::fs::write(path(dir.path()), other).unwrap();
        assert!(
            read(dir.path())
                .unwrap_err()
                .to_string()
                .contains("version 9")
        );
    }
}
