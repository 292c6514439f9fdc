//! Building and sending one request: [`RequestBuilder`], [`Request`] and
//! [`Method`].

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::error::{HttpError, HttpErrorKind};
use crate::multipart::Multipart;
use crate::response::Response;
use crate::wait::millis_u32;
use crate::wit::wasmload::scenario::{http, types};

/// An HTTP method.
///
/// # Example
///
/// ```
/// use wasmload_guest::Method;
///
/// assert_eq!(Method::Get.to_string(), "GET");
/// assert_eq!(Method::from("patch"), Method::Patch);
/// assert_eq!(Method::from("PROPFIND"), Method::Other("PROPFIND".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// Any other method, by name (sent as given).
    Other(String),
}

impl Method {
    /// The method's name, as sent.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Method;
    ///
    /// assert_eq!(Method::Delete.as_str(), "DELETE");
    /// assert_eq!(Method::Other("PURGE".into()).as_str(), "PURGE");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other(name) => name,
        }
    }

    fn to_wit(&self) -> types::Method {
        match self {
            Method::Get => types::Method::Get,
            Method::Head => types::Method::Head,
            Method::Post => types::Method::Post,
            Method::Put => types::Method::Put,
            Method::Patch => types::Method::Patch,
            Method::Delete => types::Method::Delete,
            Method::Options => types::Method::Options,
            Method::Other(name) => types::Method::Other(name.clone()),
        }
    }
}

impl From<&str> for Method {
    /// Standard methods are matched case-insensitively; any other name
    /// becomes [`Method::Other`] unchanged.
    fn from(name: &str) -> Self {
        const KNOWN: [(&str, Method); 7] = [
            ("GET", Method::Get),
            ("HEAD", Method::Head),
            ("POST", Method::Post),
            ("PUT", Method::Put),
            ("PATCH", Method::Patch),
            ("DELETE", Method::Delete),
            ("OPTIONS", Method::Options),
        ];
        KNOWN
            .into_iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, method)| method)
            .unwrap_or_else(|| Method::Other(name.to_string()))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One query (or header) pair that [`RequestBuilder::query`] accepts: a
/// tuple `(key, value)`, or a reference to one, whose parts implement
/// `ToString` (`&str`, `String`, numbers, `bool`...).
///
/// # Example
///
/// ```
/// use wasmload_guest::QueryPair;
///
/// assert_eq!(("page", 1).into_pair(), ("page".to_string(), "1".to_string()));
/// assert_eq!((&("unread_only", "true")).into_pair(), ("unread_only".to_string(), "true".to_string()));
/// ```
pub trait QueryPair {
    /// The pair as two strings.
    fn into_pair(self) -> (String, String);
}

impl<K: ToString, V: ToString> QueryPair for (K, V) {
    fn into_pair(self) -> (String, String) {
        (self.0.to_string(), self.1.to_string())
    }
}

impl<K: ToString, V: ToString> QueryPair for &(K, V) {
    fn into_pair(self) -> (String, String) {
        (self.0.to_string(), self.1.to_string())
    }
}

/// A request ready to send, as built by [`RequestBuilder::build`]. Its
/// getters let you inspect (or test) what will be sent.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// let request = Client::new()
///     .get("/api/v1/products/1001")
///     .name("/api/v1/products/:id")
///     .build()?;
/// assert_eq!(request.method(), &Method::Get);
/// assert_eq!(request.url(), "/api/v1/products/1001");
/// assert_eq!(request.name(), Some("/api/v1/products/:id"));
/// assert_eq!(request.body(), None);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    name: Option<String>,
    timeout: Option<Duration>,
}

impl Request {
    /// The method.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().delete("/api/v1/tickets/1").build()?;
    /// assert_eq!(request.method(), &Method::Delete);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL: a path joined to the run's `--host`, or an absolute URL.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/health").build()?;
    /// assert_eq!(request.url(), "/health");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The query pairs, in order; the host appends them to the URL.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/api/v1/orders").query(&[("status", "completed")]).build()?;
    /// assert_eq!(request.query(), &[("status".to_string(), "completed".to_string())]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The request's own headers, in order (the session's default headers
    /// are added by the host and are not listed).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/").header("X-Trace", "1").build()?;
    /// assert_eq!(request.headers(), &[("X-Trace".to_string(), "1".to_string())]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header, matched case-insensitively.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().post("/api/v1/tickets").json(&serde_json::json!({}))
    ///     .build()?;
    /// assert_eq!(request.header("content-type"), Some("application/json"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body, if any.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().post("/echo").body("hi").build()?;
    /// assert_eq!(request.body(), Some(&b"hi"[..]));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The name the request is reported under, if set (else the URL path).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/api/v1/reports/7/status")
    ///     .name("/api/v1/reports/:id/status").build()?;
    /// assert_eq!(request.name(), Some("/api/v1/reports/:id/status"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The timeout that overrides the run's, if set.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/slow").timeout(Duration::from_secs(2)).build()?;
    /// assert_eq!(request.timeout(), Some(Duration::from_secs(2)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sends the request through the host and waits for the whole response.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn task(client: &Client) -> TaskResult {
    ///     let request = client.get("/health").build()?;
    ///     let resp = request.send()?;
    ///     log_info(format_args!("health: {}", resp.status()));
    ///     Ok(())
    /// }
    /// ```
    pub fn send(self) -> Result<Response, HttpError> {
        let (request, method) = self.into_wit();
        let result = http::send(&request);
        answered(result, method, request)
    }

    /// The WIT request, and the method for the response.
    fn into_wit(self) -> (types::Request, Method) {
        let request = types::Request {
            method: self.method.to_wit(),
            url: self.url,
            query: self.query,
            headers: self.headers,
            body: self.body,
            name: self.name,
            timeout_ms: self.timeout.map(millis_u32),
        };
        (request, self.method)
    }

    /// `"METHOD name-or-url"`, used in error messages.
    fn label(&self) -> String {
        format!(
            "{} {}",
            self.method,
            self.name.as_deref().unwrap_or(&self.url)
        )
    }
}

/// The SDK's response, or error, for `request`'s answer.
fn answered(
    result: Result<http::Response, types::HttpError>,
    method: Method,
    request: types::Request,
) -> Result<Response, HttpError> {
    // The row name, or the URL: what messages about this request call it.
    let target = request.name.unwrap_or(request.url);
    match result {
        Ok(inner) => Ok(Response::new(inner, method, target)),
        Err(err) => Err(from_wit_error(err, format!("{method} {target}"))),
    }
}

/// Sends `requests` at once and returns their answers in order; a request that could not be
/// built is not sent, and its error takes its place.
pub(crate) fn send_batch(requests: Vec<RequestBuilder>) -> Vec<Result<Response, HttpError>> {
    // `None` for a request sent, its error for one that could not be built.
    let mut slots = Vec::with_capacity(requests.len());
    let (mut sendable, mut methods) = (Vec::new(), Vec::new());
    for request in requests {
        match request.build() {
            Ok(request) => {
                let (request, method) = request.into_wit();
                sendable.push(request);
                methods.push(method);
                slots.push(None);
            }
            Err(err) => slots.push(Some(err)),
        }
    }
    let mut answers = http::send_batch(&sendable)
        .into_iter()
        .zip(sendable.into_iter().zip(methods));
    slots
        .into_iter()
        .map(|slot| match slot {
            Some(err) => Err(err),
            None => match answers.next() {
                Some((result, (request, method))) => answered(result, method, request),
                None => Err(HttpError::new(
                    HttpErrorKind::Transport,
                    "the host answered fewer requests than were sent",
                    "batch".into(),
                )),
            },
        })
        .collect()
}

fn from_wit_error(err: types::HttpError, label: String) -> HttpError {
    let (kind, detail) = match err {
        types::HttpError::Refused(detail) => (HttpErrorKind::Refused, detail),
        types::HttpError::InvalidRequest(detail) => (HttpErrorKind::InvalidRequest, detail),
        types::HttpError::Connect(detail) => (HttpErrorKind::Connect, detail),
        types::HttpError::Timeout => (HttpErrorKind::Timeout, String::new()),
        types::HttpError::Transport(detail) => (HttpErrorKind::Transport, detail),
    };
    HttpError::new(kind, detail, label)
}

/// A request being built, like `requests`' keyword arguments. Get one from
/// [`Client::get`](crate::Client::get) and friends, chain options, then
/// [`send`](RequestBuilder::send) it.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// let request = Client::new()
///     .get("/api/v1/products")
///     .query(&[("category", "laptops"), ("sort", "price_asc")])
///     .query(&[("limit", 20)])
///     .name("/api/v1/products")
///     .build()?;
/// let query: Vec<_> = request.query().iter().map(|(k, v)| format!("{k}={v}")).collect();
/// assert_eq!(query, ["category=laptops", "sort=price_asc", "limit=20"]);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    request: Request,
    error: Option<String>,
}

impl RequestBuilder {
    pub(crate) fn new(method: Method, url: String) -> Self {
        RequestBuilder {
            request: Request {
                method,
                url,
                query: Vec::new(),
                headers: Vec::new(),
                body: None,
                name: None,
                timeout: None,
            },
            error: None,
        }
    }

    /// Appends query pairs: any iterable of `(key, value)` tuples (or
    /// references to them) whose parts implement `ToString`, such as
    /// `&[("limit", "10")]`, `&[("page", 1)]` or a `Vec<(String, String)>`.
    /// Keys may repeat.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new()
    ///     .get("/api/v1/customers/search")
    ///     .query(&[("query", "smith")])
    ///     .query(&[("page", 1), ("page_size", 25)])
    ///     .query(vec![("include_inactive", false)])
    ///     .build()?;
    /// assert_eq!(request.query()[2], ("page_size".to_string(), "25".to_string()));
    /// assert_eq!(request.query()[3], ("include_inactive".to_string(), "false".to_string()));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn query<I>(mut self, pairs: I) -> Self
    where
        I: IntoIterator,
        I::Item: QueryPair,
    {
        self.request
            .query
            .extend(pairs.into_iter().map(QueryPair::into_pair));
        self
    }

    /// Adds a header (names may repeat; the session's default headers are
    /// overridden by the request's).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/").header("Accept", "application/json").build()?;
    /// assert_eq!(request.header("accept"), Some("application/json"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.headers.push((name.into(), value.into()));
        self
    }

    /// Sets `Authorization: Bearer {token}` for this request only (use
    /// [`Client::set_default_header`](crate::Client::set_default_header) for
    /// every request of the user).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/api/v1/users/me").bearer_auth("abc").build()?;
    /// assert_eq!(request.header("Authorization"), Some("Bearer abc"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn bearer_auth(self, token: impl fmt::Display) -> Self {
        self.replace_header("Authorization", format!("Bearer {token}"))
    }

    /// Sends `value` as a JSON body with `Content-Type: application/json`
    /// (`requests`' `json=`). A value that cannot be serialized makes
    /// [`send`](RequestBuilder::send) fail with
    /// [`HttpErrorKind::InvalidRequest`] without sending anything.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new()
    ///     .post("/api/v1/auth/login")
    ///     .json(&serde_json::json!({"username": "agent@example.com", "password": "SupportPass123!"}))
    ///     .build()?;
    /// assert_eq!(request.header("Content-Type"), Some("application/json"));
    /// let sent: serde_json::Value = serde_json::from_slice(request.body().unwrap())?;
    /// assert_eq!(sent["username"], "agent@example.com");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                self.request.body = Some(body);
                self.replace_header("Content-Type", "application/json")
            }
            Err(err) => {
                self.error = Some(format!("the JSON body could not be serialized: {err}"));
                self
            }
        }
    }

    /// Sends `value` as an `application/x-www-form-urlencoded` body
    /// (`requests`' `data=` with a dict). A value that cannot be encoded
    /// makes [`send`](RequestBuilder::send) fail with
    /// [`HttpErrorKind::InvalidRequest`].
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new()
    ///     .post("/login")
    ///     .form(&[("username", "ops@example.com"), ("password", "OpsPass123!")])
    ///     .build()?;
    /// assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    /// assert_eq!(request.body(), Some(&b"username=ops%40example.com&password=OpsPass123%21"[..]));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_urlencoded::to_string(value) {
            Ok(body) => {
                self.request.body = Some(body.into_bytes());
                self.replace_header("Content-Type", "application/x-www-form-urlencoded")
            }
            Err(err) => {
                self.error = Some(format!("the form body could not be encoded: {err}"));
                self
            }
        }
    }

    /// Sends a `multipart/form-data` body (`requests`' `files=` and `data=`)
    /// and sets the `Content-Type` header with its boundary.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let form = Multipart::new()
    ///     .text("source", "dashboard")
    ///     .file("file", "customers.csv", "text/csv", "email\n");
    /// let request = Client::new().post("/api/v1/imports/customers").multipart(form).build()?;
    /// let content_type = request.header("Content-Type").unwrap();
    /// assert!(content_type.starts_with("multipart/form-data; boundary="));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn multipart(mut self, form: Multipart) -> Self {
        let (content_type, body) = form.encode();
        self.request.body = Some(body);
        self.replace_header("Content-Type", content_type)
    }

    /// Sends raw bytes (or a string) as the body; set a `Content-Type`
    /// yourself if the server needs one.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new()
    ///     .put("/api/v1/blobs/1")
    ///     .header("Content-Type", "application/octet-stream")
    ///     .body(vec![0u8, 1, 2])
    ///     .build()?;
    /// assert_eq!(request.body(), Some(&[0u8, 1, 2][..]));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.request.body = Some(body.into());
        self
    }

    /// The row the request is reported under, like Locust's `name=`
    /// (otherwise the URL path): use it to group URLs that contain ids.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let product_id = 1001;
    /// let request = Client::new()
    ///     .get(format!("/api/v1/products/{product_id}"))
    ///     .name("/api/v1/products/:id")
    ///     .build()?;
    /// assert_eq!(request.name(), Some("/api/v1/products/:id"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.request.name = Some(name.into());
        self
    }

    /// Overrides the run's request timeout for this request (sent in whole
    /// milliseconds).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().get("/slow").timeout(Duration::from_millis(1500)).build()?;
    /// assert_eq!(request.timeout(), Some(Duration::from_millis(1500)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request.timeout = Some(timeout);
        self
    }

    /// Finishes the request without sending it, for inspection or to send
    /// later with [`Request::send`]. Fails if a body could not be encoded.
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().head("/health").build()?;
    /// assert_eq!(request.method(), &Method::Head);
    ///
    /// // JSON object keys must be strings: this body cannot be serialized.
    /// let bad: BTreeMap<(u8, u8), u8> = BTreeMap::from([((1, 2), 3)]);
    /// let err = Client::new().post("/x").json(&bad).build().unwrap_err();
    /// assert_eq!(err.kind(), wasmload_guest::HttpErrorKind::InvalidRequest);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn build(self) -> Result<Request, HttpError> {
        match self.error {
            Some(detail) => Err(HttpError::new(
                HttpErrorKind::InvalidRequest,
                detail,
                self.request.label(),
            )),
            None => Ok(self.request),
        }
    }

    /// Sends the request through the host and waits for the whole response.
    /// The host times and records it; the sample is recorded when the
    /// [`Response`] is dropped, with the outcome chosen by
    /// [`Response::failure`] / [`Response::success`] (by default, a status
    /// of 400 or more is a failure).
    ///
    /// An `Err` means there is no response at all (refused, connection
    /// failed, timeout...); the host has already counted it as a failure.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn refresh_token(client: &Client) -> TaskResult {
    ///     client.post("/api/v1/auth/refresh").name("/api/v1/auth/refresh").send()?;
    ///     Ok(())
    /// }
    /// ```
    pub fn send(self) -> Result<Response, HttpError> {
        self.build()?.send()
    }

    /// Replaces any header of that name (case-insensitively) by one value.
    fn replace_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.request
            .headers
            .retain(|(key, _)| !key.eq_ignore_ascii_case(name));
        self.request.headers.push((name.to_string(), value.into()));
        self
    }
}
