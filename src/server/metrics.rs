//! Counters and a latency histogram, rendered in the Prometheus text format at `GET /metrics`.
//! Hand-written: a handful of series does not justify a metrics framework.
//!
//! Every family has its `# HELP` and `# TYPE` ([`FAMILIES`]), and every series whose labels are known in
//! advance is present from start at zero, so a dashboard or an alert (`increase(…[5m]) > 0`) sees it
//! before the first event.

use crate::faq::Status;
use crate::matcher::Outcome;
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

/// Every family: name, type, help text, in the order `/metrics` lists them. The long connections'
/// families come last: [`crate::server::transport`] renders them, only when a connection is configured.
pub const FAMILIES: [(&str, &str, &str); 20] = [
    (
        "policybot_questions_total",
        "counter",
        "Questions from enterprise groups, by platform and outcome (answered, clarify, escalated, smalltalk, throttled).",
    ),
    (
        "policybot_duplicates_dropped_total",
        "counter",
        "Platform redeliveries of a message already handled, dropped.",
    ),
    (
        "policybot_callbacks_rejected_total",
        "counter",
        "Callbacks refused, by platform and reason (unconfigured, signature, stale, replay, malformed).",
    ),
    (
        "policybot_connections_closed_total",
        "counter",
        "Client connections the server closed itself, by reason (header_timeout, idle_timeout, limit, shutdown_grace).",
    ),
    (
        "policybot_outbound_total",
        "counter",
        "Outbound posts to groups and officers, by result (sent, retry, failed).",
    ),
    (
        "policybot_outbound_by_destination_total",
        "counter",
        "Outbound posts by destination kind (group: into an asker's group; officers: an officer webhook) and result (sent, retry, failed).",
    ),
    (
        "policybot_officer_actions_total",
        "counter",
        "Officers' actions on tickets from chat, the admin API and the CLI, by action and result (done, refused).",
    ),
    (
        "policybot_tickets",
        "gauge",
        "Tickets waiting for an answer, by state (open, claimed; overdue: either, waiting longer than officers.sla).",
    ),
    (
        "policybot_ticket_oldest_pending_seconds",
        "gauge",
        "Age of the oldest ticket waiting for an answer (0 when none waits).",
    ),
    (
        "policybot_match_seconds",
        "histogram",
        "Time to match one question against the FAQ base.",
    ),
    (
        "policybot_outbox_pending",
        "gauge",
        "Messages queued for delivery and not yet sent.",
    ),
    (
        "policybot_data_dir_bytes",
        "gauge",
        "Bytes used by the data dir (the sled database).",
    ),
    (
        "policybot_faq_entries",
        "gauge",
        "FAQ entries by status on the as-of day (in_force, expiring, upcoming, lapsed, superseded).",
    ),
    (
        "policybot_faq_snapshot_version",
        "gauge",
        "Version of the FAQ snapshot served: 1 at start, one more for each reload served.",
    ),
    (
        "policybot_faq_snapshot_loaded_at_seconds",
        "gauge",
        "When the FAQ snapshot served was loaded, in Unix seconds.",
    ),
    (
        "policybot_faq_snapshot_load_duration_seconds",
        "gauge",
        "How long loading and checking the FAQ snapshot served took.",
    ),
    (
        "policybot_faq_reload_failures_total",
        "counter",
        "FAQ reloads refused (faq check failed or the base did not load); the old snapshot kept serving.",
    ),
    (
        "policybot_transport_state",
        "gauge",
        "Each long connection's state (1 for the current one).",
    ),
    (
        "policybot_transport_reconnects_total",
        "counter",
        "Connections opened again after the first, per transport.",
    ),
    (
        "policybot_transport_messages_total",
        "counter",
        "Messages received over each long connection.",
    ),
];

/// Platforms as labelled.
const PLATFORMS: [&str; 2] = ["dingtalk", "wecom"];
/// What became of a question, as `policybot_questions_total` and the console's daily counts name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// The matcher's outcome (for a two-question message, the first question's).
    Matched(Outcome),
    /// A question for the officers refused by the flood limits: no ticket was opened.
    Throttled,
}

impl Counted {
    pub fn as_str(self) -> &'static str {
        match self {
            Counted::Matched(o) => o.as_str(),
            Counted::Throttled => "throttled",
        }
    }
}

/// What the bot did with a question.
const OUTCOMES: [Counted; 5] = [
    Counted::Matched(Outcome::Answered),
    Counted::Matched(Outcome::Clarify),
    Counted::Matched(Outcome::Escalated),
    Counted::Matched(Outcome::Smalltalk),
    Counted::Throttled,
];
/// Why a callback was refused, per platform (DingTalk's sign can be replayed; WeCom's cannot).
const REJECTIONS: [(&str, &[&str]); 2] = [
    (
        "dingtalk",
        &["unconfigured", "signature", "stale", "replay", "malformed"],
    ),
    (
        "wecom",
        &["unconfigured", "signature", "stale", "malformed"],
    ),
];
const CLOSE_REASONS: [&str; 4] = ["header_timeout", "idle_timeout", "limit", "shutdown_grace"];
const OUTBOUND_RESULTS: [&str; 3] = ["sent", "retry", "failed"];
/// Where an outbound post goes.
const DESTINATIONS: [&str; 2] = ["group", "officers"];
/// What officers do with tickets (`Action::name` of the changing actions).
const OFFICER_ACTIONS: [&str; 7] = [
    "claim",
    "take_over",
    "answer",
    "close",
    "merge",
    "reopen",
    "draft",
];
const ACTION_RESULTS: [&str; 2] = ["done", "refused"];

pub struct Metrics {
    /// (metric name, label string) → count.
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    latency_buckets: [AtomicU64; 8],
    latency_count: AtomicU64,
    latency_sum_ns: AtomicU64,
    /// Questions per day by outcome, kept in the data dir for the console.
    pub daily: super::daily::Daily,
}

impl Default for Metrics {
    /// Every known series at zero.
    fn default() -> Metrics {
        let mut zeros = BTreeMap::new();
        for p in PLATFORMS {
            for o in OUTCOMES {
                zeros.insert(("policybot_questions_total", questions(p, o.as_str())), 0);
            }
            zeros.insert(("policybot_duplicates_dropped_total", platform(p)), 0);
        }
        for (p, reasons) in REJECTIONS {
            for r in reasons {
                zeros.insert(("policybot_callbacks_rejected_total", rejected(p, r)), 0);
            }
        }
        for r in CLOSE_REASONS {
            zeros.insert(("policybot_connections_closed_total", reason(r)), 0);
        }
        for r in OUTBOUND_RESULTS {
            zeros.insert(("policybot_outbound_total", result(r)), 0);
            for d in DESTINATIONS {
                zeros.insert(
                    ("policybot_outbound_by_destination_total", sent_to(d, r)),
                    0,
                );
            }
        }
        for a in OFFICER_ACTIONS {
            for r in ACTION_RESULTS {
                zeros.insert(("policybot_officer_actions_total", acted(a, r)), 0);
            }
        }
        zeros.insert(("policybot_faq_reload_failures_total", String::new()), 0);
        Metrics {
            counters: Mutex::new(zeros),
            latency_buckets: Default::default(),
            latency_count: AtomicU64::new(0),
            latency_sum_ns: AtomicU64::new(0),
            daily: super::daily::Daily::default(),
        }
    }
}

fn questions(platform: &str, outcome: &str) -> String {
    format!("platform=\"{platform}\",outcome=\"{outcome}\"")
}

fn platform(platform: &str) -> String {
    format!("platform=\"{platform}\"")
}

fn rejected(platform: &str, reason: &str) -> String {
    format!("platform=\"{platform}\",reason=\"{reason}\"")
}

fn reason(reason: &str) -> String {
    format!("reason=\"{reason}\"")
}

fn result(result: &str) -> String {
    format!("result=\"{result}\"")
}

fn sent_to(destination: &str, result: &str) -> String {
    format!("destination=\"{destination}\",result=\"{result}\"")
}

fn acted(action: &str, result: &str) -> String {
    format!("action=\"{action}\",result=\"{result}\"")
}

/// `# HELP` and `# TYPE` of family `name`.
pub fn describe(name: &str) -> String {
    let (_, kind, help) = FAMILIES
        .iter()
        .find(|(n, ..)| *n == name)
        .expect("every rendered family is in FAMILIES");
    format!("# HELP {name} {help}\n# TYPE {name} {kind}\n")
}

impl Metrics {
    fn inc(&self, name: &'static str, labels: String) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry((name, labels)).or_default() += 1;
    }

    /// A question handled (recorded as handled, its ticket opened or joined, or refused).
    pub fn question(&self, platform: Platform, outcome: Counted) {
        self.daily.record(outcome.as_str(), super::now_ms());
        self.inc(
            "policybot_questions_total",
            questions(platform.as_str(), outcome.as_str()),
        );
    }

    pub fn duplicate(&self, p: Platform) {
        self.inc("policybot_duplicates_dropped_total", platform(p.as_str()));
    }

    /// A refused callback: `unconfigured` (no secret to check it with), `signature`, `stale` (its
    /// timestamp is outside the window), `replay`, `malformed`.
    pub fn rejected(&self, platform: &str, why: &str) {
        self.inc(
            "policybot_callbacks_rejected_total",
            rejected(platform, why),
        );
    }

    /// A client connection the server closed itself: `header_timeout`, `idle_timeout`, `limit` (refused),
    /// `shutdown_grace`.
    pub fn connection_closed(&self, why: &str) {
        self.inc("policybot_connections_closed_total", reason(why));
    }

    /// An outbound post's result, to a `group` or the `officers`.
    pub fn outbound(&self, destination: &str, r: &str) {
        self.inc("policybot_outbound_total", result(r));
        self.inc(
            "policybot_outbound_by_destination_total",
            sent_to(destination, r),
        );
    }

    /// An officer's action on a ticket (listing and showing are not counted), `done` or `refused`.
    pub fn officer_action(&self, action: &str, done: bool) {
        if OFFICER_ACTIONS.contains(&action) {
            let r = if done { "done" } else { "refused" };
            self.inc("policybot_officer_actions_total", acted(action, r));
        }
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

    /// A reload of `faq/` refused (the served snapshot stayed).
    pub fn faq_reload_failed(&self) {
        self.inc("policybot_faq_reload_failures_total", String::new());
    }

    /// The served FAQ snapshot: its version, when it was loaded (Unix seconds), how long loading took.
    pub fn faq_snapshot(&self, kb: &Snapshot) -> String {
        format!(
            "{}policybot_faq_snapshot_version {}\n{}policybot_faq_snapshot_loaded_at_seconds {:.3}\n\
             {}policybot_faq_snapshot_load_duration_seconds {:.3}\n",
            describe("policybot_faq_snapshot_version"),
            kb.version,
            describe("policybot_faq_snapshot_loaded_at_seconds"),
            kb.loaded_at_unix_secs(),
            describe("policybot_faq_snapshot_load_duration_seconds"),
            kb.load_duration.as_secs_f64(),
        )
    }

    /// The Prometheus exposition text of the counters, the histogram and the outbox gauge (`outbox`
    /// messages pending).
    pub fn render(&self, outbox: usize) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        // Every counter kept here has its series from start (at zero); one with none is rendered by
        // its owner (the long connections').
        let kept = |family: &str| counters.keys().any(|(name, _)| *name == family);
        for (family, ..) in FAMILIES
            .iter()
            .filter(|(name, kind, _)| *kind == "counter" && kept(name))
        {
            out.push_str(&describe(family));
            for ((_, labels), v) in counters.iter().filter(|((name, _), _)| name == family) {
                match labels.as_str() {
                    "" => out.push_str(&format!("{family} {v}\n")),
                    _ => out.push_str(&format!("{family}{{{labels}}} {v}\n")),
                }
            }
        }
        drop(counters);
        out.push_str(&self.histogram());
        out.push_str(&gauge("policybot_outbox_pending", outbox as u64));
        out
    }

    fn histogram(&self) -> String {
        let mut out = describe("policybot_match_seconds");
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
        out
    }
}

/// One unlabelled gauge of [`FAMILIES`] with its help.
pub fn gauge(name: &str, value: u64) -> String {
    format!("{}{name} {value}\n", describe(name))
}

/// The ticket gauges: how many wait open, claimed and overdue, and how long the oldest has waited.
pub fn tickets(g: &crate::ticket::Gauges) -> String {
    let mut out = describe("policybot_tickets");
    for (state, n) in [
        ("open", g.open),
        ("claimed", g.claimed),
        ("overdue", g.overdue),
    ] {
        out.push_str(&format!("policybot_tickets{{state=\"{state}\"}} {n}\n"));
    }
    out.push_str(&gauge(
        "policybot_ticket_oldest_pending_seconds",
        (g.oldest_ms / 1000) as u64,
    ));
    out
}

/// Gauges of FAQ entries by status on the as-of day (in force, expiring, upcoming, lapsed, superseded).
pub fn faq_status(counts: &[(Status, usize)]) -> String {
    let mut out = describe("policybot_faq_entries");
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
        m.question(Platform::DingTalk, Counted::Matched(Outcome::Answered));
        m.question(Platform::DingTalk, Counted::Matched(Outcome::Answered));
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

    fn snapshot() -> Snapshot {
        let base = crate::faq::fixtures::base(
            vec![crate::faq::fixtures::entry("a", "q", &[], &[], "x")],
            "x",
        );
        Snapshot::build(base, crate::matcher::Thresholds::default())
    }

    #[test]
    fn the_faq_snapshot_is_its_version_load_time_and_duration_with_the_refused_reloads() {
        let kb = snapshot();
        let m = Metrics::default();
        m.faq_reload_failed();
        let text = m.faq_snapshot(&kb) + &m.render(0);
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
    fn every_family_is_described_once_and_known_series_start_at_zero() {
        let mut text = Metrics::default().render(0);
        text.push_str(&gauge("policybot_data_dir_bytes", 0));
        text.push_str(&faq_status(&[(Status::InForce, 1)]));
        text.push_str(&Metrics::default().faq_snapshot(&snapshot()));
        text.push_str(&tickets(&crate::ticket::Gauges::default()));
        let link = crate::platform::Link::new("wecom_aibot").status();
        text.push_str(&crate::server::transport::status::metrics(&[link]));
        for (name, kind, _) in FAMILIES {
            assert_eq!(
                text.matches(&format!("# HELP {name} ")).count(),
                1,
                "{name}"
            );
            assert_eq!(
                text.matches(&format!("# TYPE {name} {kind}\n")).count(),
                1,
                "{name}"
            );
        }
        for zero in [
            "policybot_questions_total{platform=\"wecom\",outcome=\"escalated\"} 0\n",
            "policybot_callbacks_rejected_total{platform=\"dingtalk\",reason=\"stale\"} 0\n",
            "policybot_connections_closed_total{reason=\"limit\"} 0\n",
            "policybot_outbound_total{result=\"failed\"} 0\n",
        ] {
            assert!(text.contains(zero), "{zero} in:\n{text}");
        }
    }

    #[test]
    fn faq_status_is_one_gauge_per_status() {
        let text = faq_status(&[(Status::InForce, 5), (Status::Lapsed, 2)]);
        assert!(
            text.ends_with(
                "# TYPE policybot_faq_entries gauge\npolicybot_faq_entries{status=\"in_force\"} 5\n\
                 policybot_faq_entries{status=\"lapsed\"} 2\n"
            ),
            "{text}"
        );
    }
}
