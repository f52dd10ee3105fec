//! Outbound policy: which URLs the bot may post to (`server.allowed_outbound_hosts`, checked by the
//! poster before every request, whatever the platform or transport) and how often per robot (the
//! platforms allow 20 messages a minute and throttle beyond; the server keeps the count per
//! [`Outbound::rate_key`](super::Outbound::rate_key)). Pure logic, no I/O.

use url::Url;

/// Messages a robot (or webhook) may send in any 60 seconds.
pub(crate) const PER_MINUTE: usize = 20;

/// True when `url` may be posted to: HTTPS to a listed host, or plain HTTP to a listed loopback host.
/// List entries are `host` (any port) or `host:port`.
pub(crate) fn allowed(url: &str, hosts: &[String]) -> bool {
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
}
