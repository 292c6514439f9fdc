//! Utilities the host provides: sleeping, logging, the user's identity, run
//! parameters and named checks.

use std::fmt;
use std::time::Duration;

use crate::wit::wasmload::scenario::{runtime, types};

/// Suspends this user (and only this user) for `duration`, like
/// `time.sleep` in a Locust task. Sub-millisecond parts round up.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// sleep(Duration::from_secs(1));
/// ```
pub fn sleep(duration: Duration) {
    let millis = duration.as_nanos().div_ceil(1_000_000);
    runtime::sleep(u64::try_from(millis).unwrap_or(u64::MAX));
}

/// Waits this user's wait time, as between two tasks: between the steps of a
/// [sequence](crate::UserSpec::sequence).
pub(crate) fn wait_between_steps() {
    runtime::wait();
}

/// How important a log line is.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// log(LogLevel::Warn, "falling back to the anonymous catalogue");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Very detailed tracing.
    Trace,
    /// Debugging details.
    Debug,
    /// Normal information.
    Info,
    /// Something unexpected that the scenario copes with.
    Warn,
    /// Something went wrong.
    Error,
}

impl From<LogLevel> for types::LogLevel {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Trace => types::LogLevel::Trace,
            LogLevel::Debug => types::LogLevel::Debug,
            LogLevel::Info => types::LogLevel::Info,
            LogLevel::Warn => types::LogLevel::Warn,
            LogLevel::Error => types::LogLevel::Error,
        }
    }
}

/// Writes a line to the host's log; the host prefixes it with the user's id.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let report_id = 42;
/// log(LogLevel::Info, format_args!("report {report_id} is ready"));
/// ```
pub fn log(level: LogLevel, message: impl fmt::Display) {
    runtime::log(level.into(), &message.to_string());
}

/// Logs at [`LogLevel::Trace`].
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// log_trace("entering list_products");
/// ```
pub fn log_trace(message: impl fmt::Display) {
    log(LogLevel::Trace, message);
}

/// Logs at [`LogLevel::Debug`].
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// log_debug(format_args!("iteration {}", iteration()));
/// ```
pub fn log_debug(message: impl fmt::Display) {
    log(LogLevel::Debug, message);
}

/// Logs at [`LogLevel::Info`].
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// log_info("logged in");
/// ```
pub fn log_info(message: impl fmt::Display) {
    log(LogLevel::Info, message);
}

/// Logs at [`LogLevel::Warn`].
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// log_warn(format_args!("report not ready after {} polls", 5));
/// ```
pub fn log_warn(message: impl fmt::Display) {
    log(LogLevel::Warn, message);
}

/// Logs at [`LogLevel::Error`].
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// log_error("login failed");
/// ```
pub fn log_error(message: impl fmt::Display) {
    log(LogLevel::Error, message);
}

/// This user's id, counting from 0.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let email = format!("loadtest{}@example.com", vu_id() % 3 + 1);
/// ```
pub fn vu_id() -> u32 {
    runtime::vu_id()
}

/// How many tasks this user has started, counting the current one.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// if iteration() % 100 == 0 {
///     log_info("another hundred tasks");
/// }
/// ```
pub fn iteration() -> u64 {
    runtime::iteration()
}

/// A run parameter given with `--env KEY=VALUE`.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let category = env("CATEGORY").unwrap_or_else(|| "laptops".to_string());
/// ```
pub fn env(key: &str) -> Option<String> {
    runtime::env(key)
}

/// A run parameter given with `--env KEY=VALUE`, or `default` when absent.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let password = env_or("PASSWORD", "TestPass123!");
/// ```
pub fn env_or(key: &str, default: &str) -> String {
    env(key).unwrap_or_else(|| default.to_string())
}

/// Counts a named check as passed or failed (like k6's `check`) and returns
/// `passed`, so it can sit in a condition. A check does not change whether a
/// request is recorded as a success: use
/// [`Response::failure`](crate::Response::failure) for that.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// fn task(client: &Client) -> TaskResult {
///     let resp = client.get("/status").send()?;
///     if !check("status is 200", resp.status() == 200) {
///         resp.failure("Invalid response");
///     }
///     Ok(())
/// }
/// ```
pub fn check(name: &str, passed: bool) -> bool {
    runtime::check(name, passed);
    passed
}
