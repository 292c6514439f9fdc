//! Network I/O apart from guest code: connections are opened and driven on a runtime of their
//! own (`--io-threads`), whose reactor notices a response as soon as it arrives, and every read
//! is timestamped there, so a response is timed when its bytes arrived, however busy the
//! threads that run guests are.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use tokio::runtime::Runtime;

/// The threads that drive connections, as `start` set them (0: the users' threads do).
static NET_THREADS: OnceLock<usize> = OnceLock::new();

/// Makes the network runtime now, with `threads` threads (`None`: half the cores, at least
/// one; 0: no runtime of its own, the users' threads drive connections). Later calls keep
/// the first choice.
pub fn start(threads: Option<usize>) {
    clock_base();
    NET_THREADS.get_or_init(|| threads.unwrap_or_else(default_threads));
    net_runtime();
}

/// Half the cores, at least one.
fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    (cores / 2).max(1)
}

/// The runtime connections run on, made on first use and kept for the process's life;
/// `None` if it cannot be made, and then connections run on the users' runtime.
fn net_runtime() -> Option<&'static Runtime> {
    static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let threads = *NET_THREADS.get_or_init(default_threads);
            if threads == 0 {
                return None;
            }
            let built = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("wasmload-net")
                .enable_all()
                .build();
            match built {
                Ok(runtime) => Some(runtime),
                Err(err) => {
                    tracing::warn!("network I/O shares the users' threads: {err}");
                    None
                }
            }
        })
        .as_ref()
}

/// Runs `future` on the network runtime: a socket opened there is watched by that runtime's
/// reactor, so its readiness is noticed even while the users' threads are busy.
pub async fn on_net<F>(future: F) -> io::Result<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match net_runtime() {
        Some(runtime) => runtime.spawn(future).await.map_err(io::Error::other),
        None => Ok(future.await),
    }
}

/// Spawns hyper's connection tasks on the network runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetExecutor;

impl<F> hyper::rt::Executor<F> for NetExecutor
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        match net_runtime() {
            Some(runtime) => drop(runtime.spawn(future)),
            None => drop(tokio::spawn(future)),
        }
    }
}

/// The instant timestamps in atomics count from; set it before the first request.
pub fn clock_base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Nanoseconds from the clock base to `at` (0 before it).
fn nanos_at(at: Instant) -> u64 {
    at.saturating_duration_since(clock_base())
        .as_nanos()
        .min(u128::from(u64::MAX)) as u64
}

/// When a connection last read bytes; a response carries its connection's clock.
#[derive(Debug, Clone, Default)]
pub struct ReadClock(Arc<AtomicU64>);

impl ReadClock {
    /// The time from `started` to the connection's last read, if it read after `started`.
    pub fn since(&self, started: Instant) -> Option<Duration> {
        let read = self.0.load(Ordering::Acquire);
        let start = nanos_at(started);
        (read > start).then(|| Duration::from_nanos(read - start))
    }

    fn tick(&self) {
        self.0.store(nanos_at(Instant::now()), Ordering::Release);
    }
}

/// A connection whose reads are timestamped.
#[derive(Debug)]
pub struct TimedIo<T> {
    inner: T,
    clock: ReadClock,
}

impl<T> TimedIo<T> {
    /// Times the reads of `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            clock: ReadClock::default(),
        }
    }
}

impl<T: Read + Unpin> Read for TimedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if polled.is_ready() {
            self.clock.tick();
        }
        polled
    }
}

impl<T: Write + Unpin> Write for TimedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
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
}

impl<T: Connection> Connection for TimedIo<T> {
    fn connected(&self) -> Connected {
        self.inner.connected().extra(self.clock.clone())
    }
}
