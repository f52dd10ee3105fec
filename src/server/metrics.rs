//! Counters and a latency histogram, rendered in the Prometheus text format at `GET /metrics`.
//! Hand-written: a handful of series does not justify a metrics framework.

use crate::faq::Status;
use crate::platform::Platform;
use crate::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the match latency buckets.
const BUCKETS: [f64; 8] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.001, 0.005, 0.025,
];

#[derive(Default)]
pub struct Metrics {
    /// (metric name, label string) → count.
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    latency_buckets: [AtomicU64; 8],
    latency_count: AtomicU64,
    latency_sum_ns: AtomicU64,
    /// Reloads of `faq/` refused (the served snapshot stayed).
    faq_reload_failures: AtomicU64,
    /// Questions per day by outcome, kept in the data dir for the console.
    pub daily: super::daily::Daily,
}

impl Metrics {
    fn inc(&self, name: &'static str, labels: String) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry((name, labels)).or_default() += 1;
    }

    pub fn question(&self, platform: Platform, outcome: &str) {
        self.daily.record(outcome, super::now_ms());
        self.inc(
            "policybot_questions_total",
            format!("platform=\"{}\",outcome=\"{outcome}\"", platform.as_str()),
        );
    }

    pub fn duplicate(&self, platform: Platform) {
        self.inc(
            "policybot_duplicates_dropped_total",
            format!("platform=\"{}\"", platform.as_str()),
        );
    }

    pub fn rejected(&self, platform: &str, reason: &str) {
        self.inc(
            "policybot_callbacks_rejected_total",
            format!("platform=\"{platform}\",reason=\"{reason}\""),
        );
    }

    /// A client connection the server closed itself: `header_timeout`, `idle_timeout`, `limit` (refused),
    /// `shutdown_grace`.
    pub fn connection_closed(&self, reason: &str) {
        self.inc(
            "policybot_connections_closed_total",
            format!("reason=\"{reason}\""),
        );
    }

    pub fn outbound(&self, result: &str) {
        self.inc("policybot_outbound_total", format!("result=\"{result}\""));
    }

    pub fn match_latency(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (b, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ns
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    pub fn faq_reload_failed(&self) {
        self.faq_reload_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The served FAQ snapshot (version, when it was loaded in Unix seconds, how long loading took) and
    /// the refused reloads.
    pub fn faq_snapshot(&self, kb: &Snapshot) -> String {
        let failures = self.faq_reload_failures.load(Ordering::Relaxed);
        format!(
            "# TYPE policybot_faq_snapshot_version gauge\npolicybot_faq_snapshot_version {}\n\
             # TYPE policybot_faq_snapshot_loaded_at_seconds gauge\npolicybot_faq_snapshot_loaded_at_seconds {:.3}\n\
             # TYPE policybot_faq_snapshot_load_duration_seconds gauge\npolicybot_faq_snapshot_load_duration_seconds {:.3}\n\
             # TYPE policybot_faq_reload_failures_total counter\npolicybot_faq_reload_failures_total {failures}\n",
            kb.version,
            kb.loaded_at_unix_secs(),
            kb.load_duration.as_secs_f64(),
        )
    }

    /// The Prometheus exposition text. `outbox` is the current outbox length.
    pub fn render(&self, outbox: usize) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let mut last = "";
        for ((name, labels), v) in counters.iter() {
            if *name != last {
                out.push_str(&format!("# TYPE {name} counter\n"));
                last = name;
            }
            out.push_str(&format!("{name}{{{labels}}} {v}\n"));
        }
        out.push_str("# TYPE policybot_match_seconds histogram\n");
        for (b, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            out.push_str(&format!(
                "policybot_match_seconds_bucket{{le=\"{bound}\"}} {}\n",
                b.load(Ordering::Relaxed)
            ));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "policybot_match_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        let sum = self.latency_sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        out.push_str(&format!(
            "policybot_match_seconds_sum {sum}\npolicybot_match_seconds_count {count}\n"
        ));
        out.push_str(&format!(
            "# TYPE policybot_outbox_pending gauge\npolicybot_outbox_pending {outbox}\n"
        ));
        out
    }
}

/// Gauges of FAQ entries by status on the as-of day (in force, expiring, upcoming, lapsed, superseded).
pub fn faq_status(counts: &[(Status, usize)]) -> String {
    let mut out = String::from("# TYPE policybot_faq_entries gauge\n");
    for (status, n) in counts {
        out.push_str(&format!(
            "policybot_faq_entries{{status=\"{}\"}} {n}\n",
            status.as_str()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_lists_counters_and_the_histogram() {
        let m = Metrics::default();
        m.question(Platform::DingTalk, "answered");
        m.question(Platform::DingTalk, "answered");
        m.match_latency(Duration::from_micros(8));
        let text = m.render(3);
        assert!(
            text.contains(
                "policybot_questions_total{platform=\"dingtalk\",outcome=\"answered\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("policybot_match_seconds_bucket{le=\"0.00001\"} 1"),
            "{text}"
        );
        assert!(text.contains("policybot_outbox_pending 3"));
    }

    #[test]
    fn the_faq_snapshot_is_its_version_load_time_and_duration_with_the_refused_reloads() {
        let base = crate::faq::fixtures::base(
            vec![crate::faq::fixtures::entry("a", "q", &[], &[], "x")],
            "x",
        );
        let kb = Snapshot::build(base, crate::matcher::Thresholds::default());
        let m = Metrics::default();
        m.faq_reload_failed();
        let text = m.faq_snapshot(&kb);
        assert!(
            text.contains("policybot_faq_snapshot_version 1\n"),
            "{text}"
        );
        let at = format!(
            "policybot_faq_snapshot_loaded_at_seconds {:.3}\n",
            kb.loaded_at_unix_secs()
        );
        assert!(text.contains(&at), "{text}");
        assert!(text.contains("# TYPE policybot_faq_snapshot_load_duration_seconds gauge\n"));
        assert!(
            text.contains("policybot_faq_reload_failures_total 1\n"),
            "{text}"
        );
    }

    #[test]
    fn faq_status_is_one_gauge_per_status() {
        let text = faq_status(&[(Status::InForce, 5), (Status::Lapsed, 2)]);
        assert_eq!(
            text,
            "# TYPE policybot_faq_entries gauge\npolicybot_faq_entries{status=\"in_force\"} 5\n\
             policybot_faq_entries{status=\"lapsed\"} 2\n"
        );
    }
}
