//! The time, as the program records it: milliseconds since the Unix epoch (ticket history, expiry of
//! records, platform timestamps).

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
