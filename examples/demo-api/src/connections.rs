//! Counting the connections the server holds: a listener whose streams report when they are
//! accepted and when they close, so tests can see how many connections a client keeps open.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::traffic::Traffic;

/// A TCP listener whose connections are counted in [`Traffic`].
pub(crate) struct CountingListener {
    inner: TcpListener,
    traffic: Arc<Traffic>,
}

impl CountingListener {
    /// Counts the connections `inner` accepts.
    pub(crate) fn new(inner: TcpListener, traffic: Arc<Traffic>) -> Self {
        Self { inner, traffic }
    }
}

impl axum::serve::Listener for CountingListener {
    type Io = CountedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        // Small JSON responses: don't let Nagle delay them. Failure only costs latency.
        let _ = stream.set_nodelay(true);
        self.traffic.connection_opened();
        let counted = CountedStream {
            inner: stream,
            traffic: Arc::clone(&self.traffic),
        };
        (counted, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted connection; dropping it counts it as closed.
pub(crate) struct CountedStream {
    inner: TcpStream,
    traffic: Arc<Traffic>,
}

impl Drop for CountedStream {
    fn drop(&mut self) {
        self.traffic.connection_closed();
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
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
