//! The snapshot being served, behind an atomic pointer (`arc-swap`). Readers take it with
//! [`Live::current`]: a reference count, never a lock, so a reload cannot stall a callback. A reload
//! loads, builds and checks the next snapshot on the blocking pool (not on the threads that serve
//! callbacks), then swaps it in; a refused one changes nothing. Reloads are serialised: one that arrives
//! while another runs waits for it, then reads `faq/` again (it may have been asked for a newer edit).

use super::{Changes, Refusal, Snapshot};
use crate::matcher::Thresholds;
use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// The served snapshot and where the next one comes from.
pub struct Live {
    current: ArcSwap<Snapshot>,
    /// `server.faq_dir`.
    dir: PathBuf,
    thresholds: Thresholds,
    /// The configured groups' places: a snapshot that does not know them is refused.
    places: Vec<String>,
    /// Held for the whole of a reload, so two never interleave.
    reloading: tokio::sync::Mutex<()>,
}

/// What a served reload reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reloaded {
    /// The version now served.
    pub version: u64,
    /// Its number of entries.
    pub entries: usize,
    /// Seconds spent reading, building and checking it.
    pub load_seconds: f64,
    #[serde(flatten)]
    pub changes: Changes,
}

impl Live {
    /// Serves `first` (as version 1); reloads read `dir`.
    pub fn new(first: Snapshot, dir: PathBuf, thresholds: Thresholds) -> Live {
        Live {
            current: ArcSwap::from_pointee(Snapshot {
                version: 1,
                ..first
            }),
            dir,
            thresholds,
            places: Vec::new(),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// Refuses reloads that do not know the configured groups' `places` (check the first snapshot with
    /// [`Snapshot::knows_places`]).
    pub fn serving(self, places: Vec<String>) -> Live {
        Live { places, ..self }
    }

    /// The snapshot to answer one request with, start to end.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Loads and checks `faq/` again and serves it, or says why not and keeps serving the current one.
    pub async fn reload(&self) -> Result<Reloaded, Refusal> {
        let _turn = self.reloading.lock().await;
        let (dir, thresholds) = (self.dir.clone(), self.thresholds);
        let next = tokio::task::spawn_blocking(move || Snapshot::load_checked(&dir, thresholds))
            .await
            .map_err(|e| Refusal::Crashed(e.to_string()))??;
        next.knows_places(&self.places)?;
        let old = self.current();
        let next = Snapshot {
            version: old.version + 1,
            ..next
        };
        let reloaded = Reloaded {
            version: next.version,
            entries: next.base.entries.len(),
            load_seconds: next.load_duration.as_secs_f64(),
            changes: Changes::between(&old, &next),
        };
        drop(old);
        let previous = self.current.swap(Arc::new(next));
        // The last reference frees a whole base and matcher: not on a thread that serves callbacks.
        tokio::task::spawn_blocking(move || drop(previous));
        Ok(reloaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn repo_faq() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("faq")
    }

    fn live(dir: PathBuf) -> Live {
        let first = Snapshot::load(&repo_faq(), Thresholds::default()).unwrap();
        Live::new(first, dir, Thresholds::default())
    }

    #[tokio::test]
    async fn a_reload_of_the_same_base_serves_the_next_version_and_changes_nothing() {
        let live = live(repo_faq());
        let before = live.current();
        let r = live.reload().await.unwrap();
        assert_eq!((r.version, r.entries), (2, before.base.entries.len()));
        assert!(r.changes.is_empty(), "{r:?}");
        assert_eq!(live.current().version, 2);
        assert_eq!(before.version, 1, "a reader keeps the snapshot it took");
    }

    #[tokio::test]
    async fn a_reload_waits_for_the_one_running_to_finish() {
        let live = Arc::new(live(repo_faq()));
        let running = live.reloading.lock().await;
        let next = tokio::spawn({
            let live = live.clone();
            async move { live.reload().await }
        });
        // Longer than a whole reload takes here: it would have been served by now had it not waited.
        let served = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            while live.current().version == 1 {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        });
        assert!(served.await.is_err(), "served while another reload ran");
        drop(running);
        assert_eq!(next.await.unwrap().unwrap().version, 2);
    }

    #[tokio::test]
    async fn a_reload_that_does_not_know_a_configured_groups_place_is_refused() {
        let known = live(repo_faq()).serving(vec!["郑州市".into()]);
        assert_eq!(known.reload().await.unwrap().version, 2);
        let live = live(repo_faq()).serving(vec!["郑州".into(), "汴京".into()]);
        let err = live.reload().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "config: groups[1].place: `汴京` is not a place (a name or alias) of faq/places.toml"
        );
        assert_eq!(live.current().version, 1);
    }

    #[tokio::test]
    async fn a_refused_reload_keeps_the_served_snapshot() {
        let missing = tempfile::tempdir().unwrap().path().join("nothing");
        let live = live(missing);
        let err = live.reload().await.unwrap_err();
        assert!(matches!(err, Refusal::Load(_)), "{err}");
        assert_eq!(live.current().version, 1);
    }
}
