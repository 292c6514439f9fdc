//! What every way of sending shares: one hop's answer, reading a whole body within
//! `--max-body`, and the messages of transport errors.

use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderMap;
use http::StatusCode;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};

use super::BrokerError;
use crate::plan::display_size;

/// The body type requests are sent with.
pub type Body = Full<Bytes>;

/// The answer to one hop of an exchange, body read whole.
#[derive(Debug)]
pub struct Hop {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// When its last bytes arrived (wall nanoseconds), as its connection's clock read it.
    pub arrived: Option<u64>,
}

impl Hop {
    /// The time from `started` (wall nanoseconds) to the arrival of the last bytes, if
    /// they came after `started`.
    pub fn arrived_since(&self, started: u64) -> Option<Duration> {
        let arrived = self.arrived?;
        (arrived > started).then(|| Duration::from_nanos(arrived - started))
    }
}

/// Reads a whole response body, failing past `max_body` bytes.
pub async fn read_body(body: hyper::body::Incoming, max_body: usize) -> Result<Bytes, BrokerError> {
    match Limited::new(body, max_body).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(BrokerError::Transport(format!(
            "the response body is larger than --max-body ({})",
            display_size(max_body as u64)
        ))),
        Err(err) => Err(BrokerError::Transport(root_cause(err.as_ref()))),
    }
}

/// The innermost cause of `err`: the message that says what went wrong on the wire. Running
/// out of file descriptors also says what to do, since no request can get through after it.
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let out_of_files = cause
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::raw_os_error)
        .is_some_and(|code| code == libc::EMFILE || code == libc::ENFILE);
    if out_of_files {
        format!(
            "{cause}: no connection can be opened; raise the open-file limit (ulimit -n), run \
             fewer users, or share connections with --connections shared"
        )
    } else {
        cause.to_string()
    }
}

#[cfg(test)]
mod root_cause_tests {
    use super::root_cause;

    #[test]
    fn running_out_of_files_says_what_to_do() {
        let err = std::io::Error::from_raw_os_error(libc::EMFILE);
        let message = root_cause(&err);
        assert!(message.contains("os error 24"), "{message}");
        assert!(message.contains("ulimit -n"), "{message}");
        let refused = std::io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert!(!root_cause(&refused).contains("ulimit"));
    }
}
