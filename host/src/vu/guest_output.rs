//! Guest stdout and stderr: forwarded line by line to the host log, prefixed with the user id.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// The longest partial line kept before it is logged anyway.
const MAX_LINE: usize = 4096;
/// How much of the latest stderr output is kept for exception messages.
const TAIL_LIMIT: usize = 2048;

/// The recent stderr text of one user, read when the guest traps to explain why (a Rust
/// panic prints its message there just before trapping).
#[derive(Debug, Clone, Default)]
pub struct StderrTail(Arc<Mutex<String>>);

impl StderrTail {
    /// Takes the kept text, leaving it empty.
    pub fn take(&self) -> String {
        self.0
            .lock()
            .map(|mut tail| std::mem::take(&mut *tail))
            .unwrap_or_default()
    }

    fn push_line(&self, line: &str) {
        if let Ok(mut tail) = self.0.lock() {
            if tail.len() + line.len() > TAIL_LIMIT {
                tail.clear();
            }
            if !tail.is_empty() {
                tail.push('\n');
            }
            tail.push_str(&line[..line.len().min(TAIL_LIMIT)]);
        }
    }
}

/// One of a user's output streams.
#[derive(Debug, Clone)]
pub struct GuestOutput {
    vu_id: u32,
    stream: &'static str,
    tail: Option<StderrTail>,
}

impl GuestOutput {
    /// The user's stdout.
    pub fn stdout(vu_id: u32) -> Self {
        Self {
            vu_id,
            stream: "stdout",
            tail: None,
        }
    }

    /// The user's stderr, whose latest lines are also kept in `tail`.
    pub fn stderr(vu_id: u32, tail: StderrTail) -> Self {
        Self {
            vu_id,
            stream: "stderr",
            tail: Some(tail),
        }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            output: self.clone(),
            pending: Vec::new(),
        })
    }
}

/// Splits written bytes into lines and logs each one.
struct LineWriter {
    output: GuestOutput,
    pending: Vec<u8>,
}

impl LineWriter {
    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        // A blank line (a Rust panic's message starts with one) says nothing in the log.
        if text.trim().is_empty() {
            return;
        }
        if let Some(tail) = &self.output.tail {
            tail.push_line(text);
        }
        tracing::info!(target: "guest", "[vu {}] {}: {}", self.output.vu_id, self.output.stream, text);
    }

    fn emit_complete_lines(&mut self) {
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
        if self.pending.len() > MAX_LINE {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        self.emit_complete_lines();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}
