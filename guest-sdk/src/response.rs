//! A received response, with Locust's `catch_response` outcome control.

use std::cell::{Cell, OnceCell};
use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::request::Method;
use crate::wit::wasmload::scenario::http;

/// A received response (the WIT `response` resource).
///
/// The host has timed the request; it records the sample when the
/// `Response` is dropped, with the outcome chosen by
/// [`failure`](Response::failure) or [`success`](Response::success), and by
/// default a failure for a status of 400 or more — like a Locust response
/// used with `catch_response=True`. Keep it alive only as long as you need
/// it.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// fn get_home(client: &Client) -> TaskResult {
///     let resp = client.get("/").send()?;
///     if resp.status() != 200 {
///         resp.failure(format_args!("Got {} instead of 200", resp.status()));
///     }
///     Ok(()) // `resp` is dropped here and the sample recorded.
/// }
/// ```
pub struct Response {
    inner: http::Response,
    method: Method,
    target: String,
    request: OnceCell<String>,
    status: OnceCell<u16>,
    body: OnceCell<Vec<u8>>,
    outcome: Cell<Option<bool>>,
}

impl Response {
    /// Wraps a response to `method` `target` (the request's name, or its URL). The status,
    /// body and label are fetched or built only when asked for, so a task that ignores the
    /// response costs no extra host calls.
    pub(crate) fn new(inner: http::Response, method: Method, target: String) -> Self {
        Response {
            inner,
            method,
            target,
            request: OnceCell::new(),
            status: OnceCell::new(),
            body: OnceCell::new(),
            outcome: Cell::new(None),
        }
    }

    /// The status code.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.post("/api/v1/reports/sales").json(&serde_json::json!({})).send()?;
    ///     if resp.status() == 202 {
    ///         log_info("report accepted");
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn status(&self) -> u16 {
        *self.status.get_or_init(|| self.inner.status())
    }

    /// All response headers, in order (names may repeat).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/").send()?;
    ///     for (name, value) in resp.headers() {
    ///         log_debug(format_args!("{name}: {value}"));
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn headers(&self) -> Vec<(String, String)> {
        self.inner.headers()
    }

    /// The first value of a header, matched case-insensitively.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/api/v1/products").send()?;
    ///     let is_json = resp
    ///         .header("content-type")
    ///         .is_some_and(|v| v.starts_with("application/json"));
    ///     check("products are JSON", is_json);
    ///     Ok(())
    /// }
    /// ```
    pub fn header(&self, name: &str) -> Option<String> {
        self.inner.header(name)
    }

    /// The body. It is fetched from the host on the first call and cached.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/api/v1/reports/1/download").send()?;
    ///     check("report is not empty", !resp.bytes().is_empty());
    ///     Ok(())
    /// }
    /// ```
    pub fn bytes(&self) -> &[u8] {
        self.body.get_or_init(|| self.inner.body())
    }

    /// The body as UTF-8 text.
    ///
    /// # Errors
    ///
    /// If the body is not valid UTF-8.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/").send()?;
    ///     if !resp.text()?.contains("Welcome") {
    ///         resp.failure("no welcome message");
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn text(&self) -> Result<&str, Error> {
        std::str::from_utf8(self.bytes()).map_err(|err| {
            Error::msg(format!(
                "{}: the response body (status {}) is not valid UTF-8: {err}",
                self.request(),
                self.status()
            ))
        })
    }

    /// The body decoded from JSON into `T` (use `serde_json::Value` for
    /// anything). Like Locust, a body that does not decode does **not** mark
    /// the response as failed: call [`failure`](Response::failure) if it
    /// should.
    ///
    /// # Errors
    ///
    /// If the body is not the expected JSON; the message names the request
    /// and the status.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use serde::Deserialize;
    /// use wasmload_guest::prelude::*;
    ///
    /// #[derive(Deserialize)]
    /// struct Token {
    ///     access_token: String,
    /// }
    ///
    /// fn login(client: &Client) -> TaskResult {
    ///     let resp = client.post("/api/v1/auth/login")
    ///         .json(&serde_json::json!({"username": "ops@example.com", "password": "OpsPass123!"}))
    ///         .send()?;
    ///     let token: Token = resp.json()?;
    ///     client.set_default_header("Authorization", format!("Bearer {}", token.access_token));
    ///     Ok(())
    /// }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(self.bytes()).map_err(|err| {
            Error::msg(format!(
                "{}: the response body (status {}) is not the expected JSON: {err}",
                self.request(),
                self.status()
            ))
        })
    }

    /// The time from sending the request to receiving the last body byte,
    /// as measured by the host.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/api/v1/products").send()?;
    ///     if resp.elapsed() > Duration::from_millis(300) {
    ///         resp.failure("slower than the 300 ms target");
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn elapsed(&self) -> Duration {
        Duration::from_micros(self.inner.elapsed_us())
    }

    /// Records this response as a failure with a message, whatever its
    /// status (Locust's `response.failure(msg)`). The last call of
    /// `failure`/`success` wins.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn get_users(client: &Client) -> TaskResult {
    ///     let resp = client.get("/users").send()?;
    ///     let has_users = resp.json::<serde_json::Value>().is_ok_and(|v| v.get("users").is_some());
    ///     if resp.status() != 200 || !has_users {
    ///         resp.failure("Invalid response");
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn failure(&self, message: impl fmt::Display) {
        self.inner.failure(&message.to_string());
        self.outcome.set(Some(false));
    }

    /// Records this response as a success, whatever its status (Locust's
    /// `response.success()`), for example when a 404 is expected.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/api/v1/products/0").send()?;
    ///     if resp.status() == 404 {
    ///         resp.success();
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn success(&self) {
        self.inner.success();
        self.outcome.set(Some(true));
    }

    /// Whether the sample will be recorded as a success: the outcome last
    /// set by [`failure`](Response::failure)/[`success`](Response::success),
    /// or else whether the status is below 400 (the host's default).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/health").send()?;
    ///     ensure!(resp.is_success(), "health check failed with {}", resp.status());
    ///     Ok(())
    /// }
    /// ```
    pub fn is_success(&self) -> bool {
        self.outcome.get().unwrap_or(self.status() < 400)
    }

    /// The request this responds to, as `"METHOD name-or-url"`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let resp = client.get("/api/v1/users/me").name("/api/v1/users/me").send()?;
    ///     assert_eq!(resp.request(), "GET /api/v1/users/me");
    ///     Ok(())
    /// }
    /// ```
    pub fn request(&self) -> &str {
        self.request
            .get_or_init(|| format!("{} {}", self.method, self.target))
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("request", &self.request())
            .field("status", &self.status())
            .field("body_fetched", &self.body.get().map(Vec::len))
            .field("outcome", &self.outcome.get())
            .finish()
    }
}
