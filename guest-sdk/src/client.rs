//! [`Client`]: the user's HTTP session (Locust's `self.client`).

use crate::error::HttpError;
use crate::request::{Method, RequestBuilder};
use crate::response::Response;
use crate::wit::wasmload::scenario::{metrics, session};

/// This virtual user's HTTP session, like Locust's `self.client`.
///
/// It is only a handle: the session itself (default headers, cookies,
/// connections) lives in the host, one per user. Tasks and `on_start`
/// receive it as an argument; every `Client` value of a user refers to the
/// same session.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// fn list_orders(client: &Client) -> TaskResult {
///     client
///         .get("/api/v1/orders")
///         .query(&[("status", "completed")])
///         .query(&[("limit", 10)])
///         .name("/api/v1/orders")
///         .send()?;
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Client {
    _session: (),
}

impl Client {
    /// A handle to this user's session. Tasks get one as an argument, so you
    /// rarely need this (except to build requests in tests).
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
    pub fn new() -> Self {
        Client { _session: () }
    }

    /// Starts a request with any method, e.g. `Method::Options` or
    /// `"PROPFIND"`. `url` is a path joined to the run's `--host`, or an
    /// absolute URL (the host refuses origins it was not told to allow).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().request(Method::Options, "/api/v1/products").build()?;
    /// assert_eq!(request.method(), &Method::Options);
    /// let request = Client::new().request("PURGE", "/cache").build()?;
    /// assert_eq!(request.method().as_str(), "PURGE");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn request(&self, method: impl Into<Method>, url: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(method.into(), url.into())
    }

    /// Starts a `GET` request.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn health_check(client: &Client) -> TaskResult {
    ///     client.get("/health").name("/health").send()?;
    ///     Ok(())
    /// }
    /// ```
    pub fn get(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::Get, url)
    }

    /// Starts a `POST` request.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new()
    ///     .post("/api/v1/reports/sales")
    ///     .json(&serde_json::json!({"start_date": "2025-01-01", "format": "csv"}))
    ///     .name("/api/v1/reports/sales")
    ///     .build()?;
    /// assert_eq!(request.method(), &Method::Post);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn post(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::Post, url)
    }

    /// Starts a `PUT` request.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().put("/api/v1/items/1").body("{}").build()?;
    /// assert_eq!(request.method(), &Method::Put);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn put(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::Put, url)
    }

    /// Starts a `PATCH` request.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new()
    ///     .patch("/api/v1/users/me/preferences")
    ///     .json(&serde_json::json!({"theme": "dark"}))
    ///     .build()?;
    /// assert_eq!(request.method(), &Method::Patch);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn patch(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::Patch, url)
    }

    /// Starts a `DELETE` request.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().delete("/api/v1/tickets/7").name("/api/v1/tickets/:id").build()?;
    /// assert_eq!(request.method(), &Method::Delete);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn delete(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::Delete, url)
    }

    /// Starts a `HEAD` request.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let request = Client::new().head("/health").build()?;
    /// assert_eq!(request.method(), &Method::Head);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn head(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::Head, url)
    }

    /// Sets a header sent with every later request of this user (Locust's
    /// `self.client.headers.update(...)`). A request's own headers override it.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn on_login(client: &Client, token: &str) {
    ///     client.set_default_header("Authorization", format!("Bearer {token}"));
    /// }
    /// ```
    pub fn set_default_header(&self, name: impl AsRef<str>, value: impl AsRef<str>) {
        session::set_header(name.as_ref(), value.as_ref());
    }

    /// Removes a default header set with
    /// [`set_default_header`](Client::set_default_header).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn logout(client: &Client) -> TaskResult {
    ///     client.post("/api/v1/auth/logout").send()?;
    ///     client.remove_default_header("Authorization");
    ///     Ok(())
    /// }
    /// ```
    pub fn remove_default_header(&self, name: impl AsRef<str>) {
        session::remove_header(name.as_ref());
    }

    /// Forgets every cookie this user has received.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn start_anonymous(client: &Client) {
    ///     client.clear_cookies();
    /// }
    /// ```
    pub fn clear_cookies(&self) {
        session::clear_cookies();
    }

    /// Sends several requests at once, as a browser loads a page's resources (k6's
    /// `http.batch`), on this user's connections (one more for each request in flight), and
    /// returns their answers in the order given. Each is timed and recorded on its own; a
    /// request that cannot be built is not sent, and its error takes its place.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn load_home_page(client: &Client) -> TaskResult {
    ///     let answers = client.batch(vec![
    ///         client.get("/api/v1/products").query(&[("limit", "5")]),
    ///         client.get("/api/v1/notifications"),
    ///         client.get("/health"),
    ///     ]);
    ///     for answer in answers {
    ///         answer?;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn batch(&self, requests: Vec<RequestBuilder>) -> Vec<Result<Response, HttpError>> {
        crate::request::send_batch(requests)
    }

    /// Runs `step` as the group `name` (k6's `group`, Gatling's `group`): its duration is
    /// recorded as a row of type `GROUP`, which thresholds can name (`GROUP checkout:p95<2s`),
    /// and the requests inside keep their own rows, tagged with the group. Groups nest, as
    /// `outer::inner`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// fn check_out(client: &Client) -> TaskResult {
    ///     client.group("checkout", |client| {
    ///         client.get("/api/v1/cart").send()?;
    ///         client.post("/api/v1/orders").send()?;
    ///         Ok(())
    ///     })
    /// }
    /// ```
    pub fn group<T>(&self, name: &str, step: impl FnOnce(&Client) -> T) -> T {
        metrics::begin_group(name);
        let result = step(self);
        metrics::end_group();
        result
    }
}
