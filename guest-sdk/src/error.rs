//! Errors: the task-level [`Error`], the transport-level [`HttpError`], and
//! the [`fail!`](crate::fail) / [`ensure!`](crate::ensure) shortcuts.

use std::fmt;

/// What a task, `on_start` or a helper returns: `Ok(())`, or an [`Error`] that
/// the host counts as an exception of the task (like an exception raised in a
/// Locust task).
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// fn parse_limit(raw: &str) -> TaskResult {
///     let limit: u32 = raw.parse()?; // std errors convert with `?`
///     ensure!(limit <= 100, "limit {limit} is too large");
///     Ok(())
/// }
///
/// assert!(parse_limit("20").is_ok());
/// assert_eq!(parse_limit("500").unwrap_err().to_string(), "limit 500 is too large");
/// assert!(parse_limit("many").is_err());
/// ```
pub type TaskResult = Result<(), Error>;

/// An error from a scenario: a human-readable message, like `anyhow::Error`.
///
/// Any `std::error::Error` (for example `serde_json::Error` or [`HttpError`])
/// converts into it, so `?` works in tasks; [`Error::msg`] builds one from any
/// message. `Error` deliberately does not implement `std::error::Error` itself,
/// which is what makes that blanket conversion possible.
///
/// When a task returns an `Error`, its message becomes the WIT `err(string)`
/// of `run-task` and is reported by the host.
///
/// # Example
///
/// ```
/// use wasmload_guest::Error;
///
/// let from_std: Error = "x".parse::<u8>().unwrap_err().into();
/// assert_eq!(from_std.to_string(), "invalid digit found in string");
///
/// let custom = Error::msg("no report id in the response");
/// assert_eq!(custom.to_string(), "no report id in the response");
/// ```
pub struct Error {
    message: String,
}

impl Error {
    /// Creates an error from any message.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::{Error, TaskResult};
    ///
    /// fn task() -> TaskResult {
    ///     Err(Error::msg("task said no"))
    /// }
    /// assert_eq!(task().unwrap_err().to_string(), "task said no");
    /// ```
    pub fn msg(message: impl fmt::Display) -> Self {
        Error {
            message: message.to_string(),
        }
    }

    /// Prefixes the message with what was being done: `"{context}: {self}"`.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Error;
    ///
    /// let err = Error::msg("connection refused").context("login");
    /// assert_eq!(err.to_string(), "login: connection refused");
    /// ```
    #[must_use]
    pub fn context(self, context: impl fmt::Display) -> Self {
        Error {
            message: format!("{context}: {}", self.message),
        }
    }

    /// The message, as [`Display`](fmt::Display) shows it.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Error;
    ///
    /// assert_eq!(Error::msg("boom").message(), "boom");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    /// Keeps the error's message and those of its sources, joined by `": "`.
    fn from(err: E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !message.ends_with(&cause_text) {
                message.push_str(": ");
                message.push_str(&cause_text);
            }
            source = cause.source();
        }
        Error { message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    /// Shows the bare message, so that `fn main() -> Result<(), Error>` and
    /// `unwrap()` print something readable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Error> for String {
    /// The message, so that `?` works in a library export that returns
    /// `result<_, string>` in WIT (`Result<_, String>` in Rust).
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// fn export() -> Result<(), String> {
    ///     Err(Error::msg("no token"))?
    /// }
    /// assert_eq!(export(), Err("no token".to_string()));
    /// ```
    fn from(err: Error) -> Self {
        err.message
    }
}

impl From<HttpError> for String {
    /// The error as displayed, so that `send()?` works in a library export that returns
    /// `Result<_, String>`.
    fn from(err: HttpError) -> Self {
        err.to_string()
    }
}

/// Adds a description of what was being done to a failing `Result` or a
/// missing `Option`, turning it into an [`Error`].
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// fn report_id(body: &serde_json::Value) -> Result<u64, Error> {
///     body.get("report_id")
///         .and_then(|id| id.as_u64())
///         .context("the report response has no numeric report_id")
/// }
///
/// let err = report_id(&serde_json::json!({})).unwrap_err();
/// assert_eq!(err.to_string(), "the report response has no numeric report_id");
///
/// let parsed: Result<u32, _> = "x".parse::<u32>();
/// let err = parsed.context("reading LIMIT").unwrap_err();
/// assert_eq!(err.to_string(), "reading LIMIT: invalid digit found in string");
/// ```
pub trait Context<T> {
    /// Converts to `Result<T, Error>`, prefixing the error with `context`
    /// (for an `Option`, `None` becomes an error whose message is `context`).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let missing: Option<u8> = None;
    /// assert_eq!(missing.context("no id").unwrap_err().to_string(), "no id");
    /// ```
    fn context(self, context: impl fmt::Display) -> Result<T, Error>;

    /// Like [`context`](Context::context), but builds the text only on error.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let id = 7;
    /// let parsed = "seven".parse::<u8>().with_context(|| format!("parsing id {id}"));
    /// assert_eq!(parsed.unwrap_err().to_string(), "parsing id 7: invalid digit found in string");
    /// ```
    fn with_context<C, F>(self, context: F) -> Result<T, Error>
    where
        C: fmt::Display,
        F: FnOnce() -> C;
}

impl<T, E> Context<T> for Result<T, E>
where
    E: Into<Error>,
{
    fn context(self, context: impl fmt::Display) -> Result<T, Error> {
        self.map_err(|e| e.into().context(context))
    }

    fn with_context<C, F>(self, context: F) -> Result<T, Error>
    where
        C: fmt::Display,
        F: FnOnce() -> C,
    {
        self.map_err(|e| e.into().context(context()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, context: impl fmt::Display) -> Result<T, Error> {
        self.ok_or_else(|| Error::msg(context))
    }

    fn with_context<C, F>(self, context: F) -> Result<T, Error>
    where
        C: fmt::Display,
        F: FnOnce() -> C,
    {
        self.ok_or_else(|| Error::msg(context()))
    }
}

/// Returns early from a task (or any function returning `Result<_, Error>`)
/// with an [`Error`] built from a format string.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// fn check_status(status: u16) -> TaskResult {
///     if status != 202 {
///         fail!("expected 202 Accepted, got {status}");
///     }
///     Ok(())
/// }
///
/// assert!(check_status(202).is_ok());
/// assert_eq!(check_status(500).unwrap_err().to_string(), "expected 202 Accepted, got 500");
/// ```
#[macro_export]
macro_rules! fail {
    ($($arg:tt)+) => {
        return ::core::result::Result::Err(
            ::core::convert::From::from($crate::Error::msg(::std::format!($($arg)+)))
        )
    };
}

/// Returns early with an [`Error`] unless a condition holds. Without a
/// message, the error names the condition.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// fn validate(users: &[&str]) -> TaskResult {
///     ensure!(!users.is_empty());
///     ensure!(users.len() < 100, "too many users: {}", users.len());
///     Ok(())
/// }
///
/// assert!(validate(&["alice"]).is_ok());
/// assert_eq!(validate(&[]).unwrap_err().to_string(), "condition failed: `!users.is_empty()`");
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        if !$cond {
            $crate::fail!("condition failed: `{}`", ::core::stringify!($cond));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            $crate::fail!($($arg)+);
        }
    };
}

/// Why a request produced no response: the WIT `http-error`, plus the request
/// it concerns. The host has already recorded the request as a failure.
///
/// It implements `std::error::Error`, so `?` turns it into an [`Error`] in a
/// task. Match on [`kind`](HttpError::kind) to handle some errors yourself.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
/// use wasmload_guest::HttpErrorKind;
///
/// fn poll(client: &Client) -> TaskResult {
///     match client.get("/slow").timeout(Duration::from_secs(1)).send() {
///         Ok(resp) => log_info(format_args!("status {}", resp.status())),
///         // A timeout is already counted as a failure; keep the task going.
///         Err(err) if err.kind() == HttpErrorKind::Timeout => log_warn(&err),
///         Err(err) => return Err(err.into()),
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    kind: HttpErrorKind,
    detail: String,
    request: String,
}

/// The kinds of [`HttpError`], one per case of the WIT `http-error`.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
/// use wasmload_guest::HttpErrorKind;
///
/// fn allowed(client: &Client) -> bool {
///     match client.get("http://forbidden.invalid:9/").send() {
///         Err(err) => err.kind() != HttpErrorKind::Refused,
///         Ok(_) => true,
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The target is not an allowed origin; the detail names the flag that
    /// would allow it.
    Refused,
    /// The URL, a header or the body could not be used (this includes a body
    /// that could not be serialized, in which case nothing was sent).
    InvalidRequest,
    /// The connection could not be made.
    Connect,
    /// No complete response arrived within the timeout.
    Timeout,
    /// The connection failed while the request or response was in flight.
    Transport,
}

impl HttpError {
    pub(crate) fn new(kind: HttpErrorKind, detail: impl Into<String>, request: String) -> Self {
        HttpError {
            kind,
            detail: detail.into(),
            request,
        }
    }

    /// Which kind of failure this is.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    /// use wasmload_guest::HttpErrorKind;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     if let Err(err) = client.get("/health").send() {
    ///         if err.kind() == HttpErrorKind::Connect {
    ///             log_error("the target is down");
    ///         }
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// The host's explanation (empty for [`HttpErrorKind::Timeout`]).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     if let Err(err) = client.get("http://elsewhere.example/").send() {
    ///         log_warn(format_args!("refused: {}", err.detail()));
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The request it concerns, as `"METHOD name-or-url"`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     if let Err(err) = client.get("/api/v1/products/1001").name("/api/v1/products/:id").send() {
    ///         assert_eq!(err.request(), "GET /api/v1/products/:id");
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn request(&self) -> &str {
        &self.request
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            HttpErrorKind::Refused => "request refused",
            HttpErrorKind::InvalidRequest => "invalid request",
            HttpErrorKind::Connect => "connection failed",
            HttpErrorKind::Timeout => "timed out",
            HttpErrorKind::Transport => "transport error",
        };
        write!(f, "{}: {what}", self.request)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::num::ParseIntError);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("reading the limit")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn from_std_error_keeps_the_source_chain() {
        let inner = "x".parse::<u8>().expect_err("not a number");
        let err: Error = Outer(inner).into();
        assert_eq!(
            err.to_string(),
            "reading the limit: invalid digit found in string"
        );
    }

    #[test]
    fn http_error_display() {
        let err = HttpError::new(
            HttpErrorKind::Refused,
            "forbidden.invalid is not allowed (use --allow-host)",
            "GET http://forbidden.invalid:9/".into(),
        );
        assert_eq!(
            err.to_string(),
            "GET http://forbidden.invalid:9/: request refused: forbidden.invalid is not allowed (use --allow-host)"
        );
        let timeout = HttpError::new(HttpErrorKind::Timeout, "", "GET /slow".into());
        assert_eq!(timeout.to_string(), "GET /slow: timed out");
        let as_error: Error = timeout.into();
        assert_eq!(as_error.message(), "GET /slow: timed out");
    }
}
