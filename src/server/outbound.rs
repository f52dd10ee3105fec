//! Outbound policy: which URLs the bot may post to (`server.allowed_outbound_hosts`) and how often per
//! robot (the platforms allow 20 messages a minute and throttle beyond). Pure logic, no I/O.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

const PER_MINUTE: usize = 20;

/// True when `url` may be posted to: HTTPS to a listed host, or plain HTTP to a listed loopback host.
/// List entries are `host` (any port) or `host:port`.
pub fn allowed(url: &str, hosts: &[String]) -> bool {
    let Ok(u) = Url::parse(url) else { return false };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && loopback);
    let port = u.port_or_known_default().unwrap_or(0);
    scheme_ok
        && hosts.iter().any(|h| match h.rsplit_once(':') {
            Some((hh, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
                hh == host && p.parse() == Ok(port)
            }
            _ => h == host,
        })
}

/// Sliding-window limit of sends per robot.
#[derive(Default)]
pub struct RateLimiter {
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Takes a slot for `key` now, or says how long to wait for one.
    pub fn try_take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let q = map.entry(key.to_owned()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            q.pop_front();
        }
        if q.len() >= PER_MINUTE {
            let oldest = *q.front().expect("non-empty");
            return Err(Duration::from_secs(60) - now.duration_since(oldest));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_listed_hosts_over_https_are_allowed() {
        let list = hosts(&["oapi.dingtalk.com", "qyapi.weixin.qq.com"]);
        assert!(allowed(
            "https://oapi.dingtalk.com/robot/sendBySession?session=x",
            &list
        ));
        assert!(!allowed("http://oapi.dingtalk.com/robot", &list));
        assert!(!allowed("https://evil.example/robot", &list));
        assert!(!allowed("https://oapi.dingtalk.com.evil.example/", &list));
        assert!(!allowed("not a url", &list));
    }

    #[test]
    fn plain_http_only_to_a_listed_loopback_host_and_port() {
        let list = hosts(&["127.0.0.1:8081", "10.0.0.1"]);
        assert!(allowed("http://127.0.0.1:8081/hook", &list));
        assert!(!allowed("http://127.0.0.1:8082/hook", &list));
        assert!(!allowed("http://10.0.0.1/hook", &list));
    }

    #[test]
    fn the_limiter_allows_twenty_a_minute_per_robot() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..20 {
            assert!(l.try_take("r", t0).is_ok());
        }
        assert!(l.try_take("r", t0).is_err());
        assert!(l.try_take("other", t0).is_ok());
        assert!(l.try_take("r", t0 + Duration::from_secs(60)).is_ok());
    }
}
