//! How the connections look from outside: one line each in `/healthz`, and gauges and counters in
//! `/metrics` (state, reconnects, messages received per transport; described in `metrics::FAMILIES`).
//!
//! A connection that is refused or stopped does not fail `/healthz` by itself: restarting the bot
//! would not mend wrong credentials, and after `disconnected_event` it would take the robot back from
//! the instance that now holds it. Alert on `policybot_transport_state` instead.

use super::Transports;
use crate::platform::{LinkState as State, LinkStatus as Snapshot};
use crate::server::metrics::describe;

const STATES: [State; 5] = [
    State::Connecting,
    State::Connected,
    State::Reconnecting,
    State::Refused,
    State::Stopped,
];

impl Transports {
    /// One line per connection (each after a newline), `name: state` and the reason when it is not
    /// connected; empty when no transport is configured.
    pub fn health_lines(&self) -> String {
        self.snapshots().iter().map(health_line).collect()
    }

    /// True when every connection is up (or none is configured).
    pub fn all_connected(&self) -> bool {
        self.snapshots().iter().all(|s| s.state == State::Connected)
    }

    /// The transports' series in the Prometheus text format.
    pub fn metrics(&self) -> String {
        metrics(&self.snapshots())
    }

    fn snapshots(&self) -> Vec<Snapshot> {
        self.links().iter().map(|l| l.status()).collect()
    }
}

fn health_line(s: &Snapshot) -> String {
    if s.reason.is_empty() {
        format!("\n{}: {}", s.name, s.state.as_str())
    } else {
        format!("\n{}: {} ({})", s.name, s.state.as_str(), s.reason)
    }
}

/// The series of `snapshots`, described (nothing when there is none).
pub(crate) fn metrics(snapshots: &[Snapshot]) -> String {
    if snapshots.is_empty() {
        return String::new();
    }
    let mut out = describe("policybot_transport_state");
    for s in snapshots {
        for state in STATES {
            let v = u8::from(s.state == state);
            out.push_str(&format!(
                "policybot_transport_state{{transport=\"{}\",state=\"{}\"}} {v}\n",
                s.name,
                state.as_str()
            ));
        }
    }
    out.push_str(&describe("policybot_transport_reconnects_total"));
    for s in snapshots {
        out.push_str(&format!(
            "policybot_transport_reconnects_total{{transport=\"{}\"}} {}\n",
            s.name, s.reconnects
        ));
    }
    out.push_str(&describe("policybot_transport_messages_total"));
    for s in snapshots {
        out.push_str(&format!(
            "policybot_transport_messages_total{{transport=\"{}\"}} {}\n",
            s.name, s.messages
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(state: State, reason: &str) -> Snapshot {
        Snapshot {
            name: "wecom_aibot",
            state,
            reason: reason.into(),
            reconnects: 2,
            messages: 7,
        }
    }

    #[test]
    fn a_line_names_the_state_and_why() {
        assert_eq!(
            health_line(&snap(State::Connected, "")),
            "\nwecom_aibot: connected"
        );
        assert_eq!(
            health_line(&snap(State::Refused, "errcode 853000")),
            "\nwecom_aibot: refused (errcode 853000)"
        );
    }

    #[test]
    fn metrics_have_one_state_gauge_set_and_the_counters() {
        let text = metrics(&[snap(State::Stopped, "taken")]);
        assert!(text.contains(
            "policybot_transport_state{transport=\"wecom_aibot\",state=\"stopped\"} 1\n"
        ));
        assert!(text.contains(
            "policybot_transport_state{transport=\"wecom_aibot\",state=\"connected\"} 0\n"
        ));
        assert!(
            text.contains("policybot_transport_reconnects_total{transport=\"wecom_aibot\"} 2\n")
        );
        assert!(text.contains("policybot_transport_messages_total{transport=\"wecom_aibot\"} 7\n"));
        assert_eq!(metrics(&[]), "");
    }
}
