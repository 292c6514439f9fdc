//! Network I/O and its clock. Every read of a connection is stamped with the time its bytes
//! arrived (the kernel's receive timestamp), so a response is timed when it reached the
//! machine, however busy the threads that run guests are. The connections of the shared pool
//! and of HTTP/2 run as tasks of their own, on a runtime apart from the guests'
//! (`--io-threads`), so their writes are not queued behind guest code either.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use tokio::io::{AsyncWrite, Interest};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

use super::kernel_stamps;

/// The threads that drive connections, as `start` set them (0: the users' threads do).
static NET_THREADS: OnceLock<usize> = OnceLock::new();

/// Makes the network runtime now, with `threads` threads (`None`: half the cores, at least
/// one; 0: no runtime of its own, the users' threads drive connections). Later calls keep
/// the first choice.
pub fn start(threads: Option<usize>) {
    kernel_stamps::switch_on();
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

/// The wall clock now, in nanoseconds since the Unix epoch: the clock the kernel stamps
/// received bytes with, so a request's start and its response's arrival are on one clock.
pub fn wall_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos().min(u128::from(u64::MAX)) as u64)
}

/// When a connection's last bytes arrived; a pooled response carries its connection's
/// clock, and a user's own connection keeps it.
#[derive(Debug, Clone, Default)]
pub struct ReadClock(Arc<AtomicU64>);

impl ReadClock {
    /// When the connection's last read arrived (wall nanoseconds), if it has read.
    pub fn last_read(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Acquire)).filter(|&read| read > 0)
    }

    fn tick(&self, arrived: u64) {
        self.0.store(arrived, Ordering::Release);
    }
}

/// A TCP connection whose reads are stamped with the time their bytes arrived: the kernel's
/// receive timestamp where it gives one (Linux), else the time of the read. A response is
/// then timed when it reached the machine, however late a busy thread got to read it.
#[derive(Debug)]
pub struct TimedIo {
    stream: TcpStream,
    clock: ReadClock,
}

impl TimedIo {
    /// Stamps the reads of `stream`.
    pub fn new(stream: TcpStream) -> Self {
        kernel_stamps::enable(&stream);
        Self {
            stream,
            clock: ReadClock::default(),
        }
    }
}

impl Read for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.stream.poll_read_ready(cx))?;
            // SAFETY: the kernel only writes into the buffer, and `advance` counts only the
            // bytes it reported as written.
            let unfilled = unsafe { buf.as_mut() };
            let room = unfilled.len();
            let mut read = None;
            // A read that does not fill the buffer has drained the socket: answering it as
            // `WouldBlock` clears the readiness, so the next read waits for new bytes
            // instead of asking the kernel once more for nothing (as tokio's own reads do).
            let outcome = self.stream.try_io(Interest::READABLE, || {
                let (count, arrived) = kernel_stamps::recv(&self.stream, unfilled)?;
                read = Some((count, arrived));
                if count > 0 && count < room {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                Ok(())
            });
            if let Some((count, arrived)) = read {
                if count > 0 {
                    self.clock.tick(arrived.unwrap_or_else(wall_nanos));
                }
                // SAFETY: `count` bytes were written by the kernel.
                unsafe { buf.advance(count) };
                return Poll::Ready(Ok(()));
            }
            match outcome {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                Err(err) => return Poll::Ready(Err(err)),
                Ok(()) => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl Write for TimedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

impl Connection for TimedIo {
    fn connected(&self) -> Connected {
        self.stream.connected().extra(self.clock.clone())
    }
}
