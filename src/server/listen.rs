//! The accept loop: at most `server.max_connections` open client connections, each served by
//! [`conn::serve`] with its timeouts; accept errors logged at warn with a back-off; on shutdown, stop
//! accepting and wait (within the grace period) for the connections to finish.
//!
//! A connection beyond the limit is answered `503` with `Retry-After` and closed at once rather than
//! made to wait: a waiting connection holds the very file descriptor the limit protects, both platforms
//! retry a callback that failed, and the timeouts free a slot held by an idle or slow client within
//! `header_read_timeout_secs`.

use super::SharedState;
use super::conn::{self, Timeouts};
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What an over-limit client is told before the connection is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\nconnection: close\r\n\r\n";
/// Descriptors kept free for the store, outbound HTTP and logs besides client connections.
const FD_HEADROOM: u64 = 64;
/// Shortest and longest pause after an accept error that is not one connection's own failure.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// At most one warning per this period about refused connections.
const REFUSED_WARN_EVERY: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then drains the connections.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    state: SharedState,
    shutdown: impl Future<Output = ()>,
) {
    let s = &state.config.server;
    let timeouts = Timeouts {
        header_read: Duration::from_secs(s.header_read_timeout_secs),
        idle: Duration::from_secs(s.idle_timeout_secs),
        shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
    };
    warn_fd_headroom(s.max_connections);
    let slots = Arc::new(Semaphore::new(s.max_connections as usize));
    let (cancel, tracker) = (CancellationToken::new(), TaskTracker::new());
    let mut refused = RefusedLog::default();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            stream = accept(&listener) => stream,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            state.metrics.connection_closed("limit");
            refused.note(s.max_connections);
            let _ = stream.try_write(BUSY);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, cancel, state) = (router.clone(), cancel.clone(), state.clone());
        tracker.spawn(async move {
            conn::serve(stream, router, timeouts, cancel, state).await;
            drop(slot);
        });
    }
    drop(listener);
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}

/// The next connection. Errors of one connection (aborted, reset) are skipped; others (EMFILE, ENFILE,
/// ENOBUFS…) are logged at warn and retried after a pause that doubles while they last.
async fn accept(listener: &TcpListener) -> TcpStream {
    let mut pause = BACKOFF_MIN;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(e) if is_connection_error(&e) => {
                tracing::debug!(error = %e, "accept: connection failed before it was accepted");
            }
            Err(e) => {
                tracing::warn!(error = %e, pause_ms = pause.as_millis() as u64, "accept failed; pausing");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(BACKOFF_MAX);
            }
        }
    }
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::ConnectionRefused | K::Interrupted
    )
}

/// Rate-limited warnings about connections refused at the limit.
#[derive(Default)]
struct RefusedLog {
    last: Option<Instant>,
    since_last: u64,
}

impl RefusedLog {
    fn note(&mut self, limit: u64) {
        self.since_last += 1;
        if self.last.is_some_and(|t| t.elapsed() < REFUSED_WARN_EVERY) {
            return;
        }
        tracing::warn!(
            limit,
            refused = self.since_last,
            "server.max_connections reached: refusing new connections (503)"
        );
        self.last = Some(Instant::now());
        self.since_last = 0;
    }
}

/// Warns when `max_connections` does not fit under the open-file limit (Linux: /proc/self/limits).
fn warn_fd_headroom(max_connections: u64) {
    let Some(limit) = open_file_limit() else {
        return;
    };
    if max_connections + FD_HEADROOM > limit {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "server.max_connections is too close to the open-file limit (ulimit -n): raise the limit or \
             lower max_connections, or a flood of connections will make accept fail with EMFILE"
        );
    }
}

/// The soft limit on open files, when the platform tells it.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
