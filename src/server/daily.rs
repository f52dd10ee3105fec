//! Questions per day (Beijing time) by outcome, for the console's "what people ask": counted in memory
//! with the `/metrics` counters and written to `data_dir/daily-questions.json` at most every 10 s and at
//! shutdown. A crash loses at most those seconds of counts, never a ticket; the file is small
//! (one line of a few numbers per day) and the days of the last year are kept.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Days kept in the file.
const KEEP_DAYS: usize = 400;
const WRITE_EVERY: Duration = Duration::from_secs(10);

/// Day (`YYYY-MM-DD`) → outcome → count.
pub type Counts = BTreeMap<String, BTreeMap<String, u64>>;

#[derive(Default)]
pub struct Daily {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    counts: Counts,
    file: Option<PathBuf>,
    written: Option<Instant>,
    dirty: bool,
}

impl Daily {
    /// Reads the counts kept in `data_dir` and keeps writing them there.
    pub fn open(&self, data_dir: &std::path::Path) {
        let file = data_dir.join("daily-questions.json");
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match std::fs::read(&file).map(|b| serde_json::from_slice::<Counts>(&b)) {
            Ok(Ok(counts)) => inner.counts = counts,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, file = %file.display(), "daily question counts unreadable; starting afresh")
            }
            Err(_) => {}
        }
        inner.file = Some(file);
    }

    /// Counts one question with `outcome` on the day of `now_ms`.
    pub fn record(&self, outcome: &str, now_ms: i64) {
        let day = beijing_day(now_ms);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .counts
            .entry(day)
            .or_default()
            .entry(outcome.to_owned())
            .or_default() += 1;
        inner.dirty = true;
        if inner.written.is_none_or(|w| w.elapsed() >= WRITE_EVERY) {
            inner.write();
        }
    }

    /// Writes unsaved counts (at shutdown).
    pub fn flush(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).write();
    }

    /// A copy of the counts.
    pub fn counts(&self) -> Counts {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .counts
            .clone()
    }
}

impl Inner {
    fn write(&mut self) {
        let (Some(file), true) = (&self.file, self.dirty) else {
            return;
        };
        while self.counts.len() > KEEP_DAYS {
            self.counts.pop_first();
        }
        let tmp = file.with_extension("json.tmp");
        let text = serde_json::to_vec(&self.counts).unwrap_or_default();
        let done = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, file));
        if let Err(e) = done {
            tracing::warn!(error = %e, "cannot write the daily question counts");
        }
        self.written = Some(Instant::now());
        self.dirty = false;
    }
}

/// Epoch ms as `YYYY-MM-DD HH:MM` in Beijing time.
pub fn beijing_time(ms: i64) -> String {
    let rest = (ms.div_euclid(1000) + 8 * 3600).rem_euclid(86_400);
    let day = crate::faq::Date::in_china_at_ms(ms);
    format!("{day} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

/// The Beijing-time day of epoch ms, as `YYYY-MM-DD`.
pub fn beijing_day(ms: i64) -> String {
    beijing_time(ms)[..10].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let d = Daily::default();
        d.open(dir.path());
        d.record("answered", 1_585_670_400_000);
        d.record("answered", 1_585_670_400_000);
        d.record("escalated", 1_585_670_399_000);
        d.flush();
        let again = Daily::default();
        again.open(dir.path());
        let c = again.counts();
        assert_eq!(c["2020-04-01"]["answered"], 2);
        assert_eq!(c["2020-03-31"]["escalated"], 1);
    }

    #[test]
    fn times_are_shown_in_beijing_time() {
        assert_eq!(beijing_time(0), "1970-01-01 08:00");
        // 2020-03-31 15:59:59 UTC is the next day in Beijing.
        assert_eq!(beijing_time(1_585_670_399_000), "2020-03-31 23:59");
        assert_eq!(beijing_day(1_585_670_400_000), "2020-04-01");
        assert_eq!(beijing_day(951_782_400_000), "2000-02-29");
    }
}
