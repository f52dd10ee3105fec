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
//! A [`Phase`] clock tracks where the connection is: the socket wrapper [`Watched`] moves it from idle to
//! reading a head on the first byte, the service moves it to busy while the router handles a request
//! (the router's own 10 s timeout bounds that) and back to idle when the response is ready.

use super::SharedState;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
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
    let (phase, mut watch_phase) = watch::channel(Phase::Head(Instant::now()));
    let phase = Arc::new(phase);
    let service = hyper::service::service_fn({
        let phase = phase.clone();
        move |req: hyper::Request<Incoming>| {
            let (router, phase) = (router.clone(), phase.clone());
            phase.send_replace(Phase::Busy);
            async move {
                let response = router.oneshot(req).await;
                phase.send_replace(Phase::Idle(Instant::now()));
                response
            }
        }
    });
    let io = TokioIo::new(Watched {
        inner: stream,
        phase,
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
        why = expiry(&mut watch_phase, timeouts) => {
            state.metrics.connection_closed(match why {
                Expired::Header => "header_timeout",
                Expired::Idle => "idle_timeout",
            });
            return;
        }
        () = shutdown.cancelled() => {}
    }
    if matches!(*watch_phase.borrow(), Phase::Head(_)) {
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

/// Resolves when the current phase has outlived its timeout.
async fn expiry(phase: &mut watch::Receiver<Phase>, t: Timeouts) -> Expired {
    loop {
        let deadline = match *phase.borrow_and_update() {
            Phase::Head(since) => Some((since + t.header_read, Expired::Header)),
            Phase::Idle(since) => Some((since + t.idle, Expired::Idle)),
            Phase::Busy => None,
        };
        let changed = async {
            if phase.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        match deadline {
            Some((at, why)) => tokio::select! {
                () = tokio::time::sleep_until(at) => return why,
                () = changed => {}
            },
            None => changed.await,
        }
    }
}

/// The socket, moving the phase from idle to reading a head when a byte of a new request arrives.
struct Watched {
    inner: TcpStream,
    phase: Arc<watch::Sender<Phase>>,
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
            self.phase.send_if_modified(|p| match p {
                Phase::Idle(_) => {
                    *p = Phase::Head(Instant::now());
                    true
                }
                _ => false,
            });
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
