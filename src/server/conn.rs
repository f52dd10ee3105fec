//! One client connection, HTTP/1.1, with the timeouts a public endpoint needs (the model of Go's
//! `ReadHeaderTimeout`/`IdleTimeout`):
//!
//! - a request head must arrive whole within `header_read_timeout` of the connection opening, or of the
//!   first byte of the next request on a kept-alive connection, however slowly it drips in;
//! - a kept-alive connection that starts no new request within `idle_timeout` is closed, and so is one
//!   whose response the client stops reading for as long;
//! - on shutdown a connection without a request in progress is dropped at once, one with a request in
//!   progress finishes it (hyper's graceful shutdown) within the grace period, then is dropped.
//!
//! A [`Clock`] tracks where the connection is: the socket wrapper [`Watched`] moves it from idle to
//! reading a head on the first byte, the service moves it to busy while the router handles a request
//! (the router's own 10 s timeout bounds that) and back to idle when the response is ready. It is one
//! atomic word, so the request path pays two stores; the watchdog sleeps until the current phase's
//! deadline and checks whether the phase moved on meanwhile.

use super::SharedState;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The connection timeouts (`server.*` in the config).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
    pub shutdown_grace: Duration,
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request head to complete, since this instant.
    Head(Instant),
    /// A request is being handled.
    Busy,
    /// A response was produced at this instant; no byte of a next request yet.
    Idle(Instant),
}

/// The phase as one atomic word: the kind in the low two bits, the milliseconds since `start` above.
struct Clock {
    start: Instant,
    word: AtomicU64,
    /// Wakes the watchdog when the phase changes, so a deadline is never computed from a stale phase.
    changed: tokio::sync::Notify,
}

const HEAD: u64 = 0;
const BUSY: u64 = 1;
const IDLE: u64 = 2;

impl Clock {
    fn new() -> Clock {
        Clock {
            start: Instant::now(),
            word: AtomicU64::new(HEAD),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn set(&self, kind: u64) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.word.store(ms << 2 | kind, Ordering::Release);
        self.changed.notify_one();
    }

    /// Idle → reading a head (a byte of a new request arrived); no change in other phases.
    fn byte_arrived(&self) {
        if self.word.load(Ordering::Acquire) & 3 == IDLE {
            self.set(HEAD);
        }
    }

    fn get(&self) -> Phase {
        let word = self.word.load(Ordering::Acquire);
        let since = self.start + Duration::from_millis(word >> 2);
        match word & 3 {
            HEAD => Phase::Head(since),
            IDLE => Phase::Idle(since),
            _ => Phase::Busy,
        }
    }
}

/// Why the server closed a connection on its own.
#[derive(Debug, Clone, Copy)]
enum Expired {
    Header,
    Idle,
}

/// Serves `stream` until the client is done, a timeout expires, or `shutdown` is cancelled and the grace
/// period is over.
pub async fn serve(
    stream: TcpStream,
    router: Router,
    timeouts: Timeouts,
    shutdown: CancellationToken,
    state: SharedState,
) {
    let clock = Arc::new(Clock::new());
    let service = hyper::service::service_fn({
        let clock = clock.clone();
        move |req: hyper::Request<Incoming>| {
            let (router, clock) = (router.clone(), clock.clone());
            clock.set(BUSY);
            async move {
                let response = router.oneshot(req).await;
                clock.set(IDLE);
                response
            }
        }
    });
    let io = TokioIo::new(Watched {
        inner: stream,
        clock: clock.clone(),
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        why = expiry(&clock, timeouts) => {
            state.metrics.connection_closed(match why {
                Expired::Header => "header_timeout",
                Expired::Idle => "idle_timeout",
            });
            return;
        }
        () = shutdown.cancelled() => {}
    }
    if matches!(clock.get(), Phase::Head(_)) {
        // Nothing owed to a client that has not sent a whole request.
        return;
    }
    conn.as_mut().graceful_shutdown();
    if tokio::time::timeout(timeouts.shutdown_grace, conn)
        .await
        .is_err()
    {
        state.metrics.connection_closed("shutdown_grace");
    }
}

/// Resolves when the current phase has outlived its timeout. A busy connection has no deadline here
/// (the router's own timeout ends a request); every phase change wakes the watchdog to start over.
async fn expiry(clock: &Clock, t: Timeouts) -> Expired {
    loop {
        let phase = clock.get();
        let deadline = match phase {
            Phase::Head(since) => Some((since + t.header_read, Expired::Header)),
            Phase::Idle(since) => Some((since + t.idle, Expired::Idle)),
            Phase::Busy => None,
        };
        let Some((at, why)) = deadline else {
            clock.changed.notified().await;
            continue;
        };
        tokio::select! {
            () = tokio::time::sleep_until(at) => {
                if clock.get() == phase {
                    return why;
                }
            }
            () = clock.changed.notified() => {}
        }
    }
}

/// The socket, moving the phase from idle to reading a head when a byte of a new request arrives.
struct Watched {
    inner: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.clock.byte_arrived();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
