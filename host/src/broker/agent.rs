//! A user's own side of the broker, like a browser's: the client its requests travel on (its
//! own connections, fresh ones each task, or the run's shared pool) and its cookie jar.

use std::time::Duration;

use bytes::Bytes;
use cookie_store::CookieStore;
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use url::Url;

use super::connector::Connector;
use super::net::NetExecutor;
use crate::plan::{ConnectionMode, HttpVersion};

/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A hyper client over the run's connector.
pub type HttpClient = Client<Connector, Full<Bytes>>;

/// Builds clients that share the run's connector (TLS configuration, resolver, proxy rules).
#[derive(Debug, Clone)]
pub struct ClientFactory {
    connector: Connector,
    version: HttpVersion,
}

impl ClientFactory {
    /// Clients over `connector`, speaking `version`.
    pub fn new(connector: Connector, version: HttpVersion) -> Self {
        Self { connector, version }
    }

    /// A client with a pool of its own.
    pub fn client(&self) -> HttpClient {
        Client::builder(NetExecutor)
            .pool_idle_timeout(IDLE_TIMEOUT)
            .http2_only(self.version == HttpVersion::Http2)
            .build(self.connector.clone())
    }
}

/// One user's connections and cookies.
#[derive(Debug)]
pub struct UserAgent {
    client: HttpClient,
    mode: ConnectionMode,
    cookies: Option<Box<CookieStore>>,
}

impl UserAgent {
    /// A new user's agent: its own client, or a handle on the run's `shared` one.
    pub(super) fn new(factory: &ClientFactory, shared: &HttpClient, mode: ConnectionMode) -> Self {
        let client = match mode {
            ConnectionMode::Shared => shared.clone(),
            ConnectionMode::PerUser | ConnectionMode::PerIteration => factory.client(),
        };
        Self {
            client,
            mode,
            cookies: None,
        }
    }

    /// The client requests go on now.
    pub(super) fn client(&self) -> &HttpClient {
        &self.client
    }

    /// A task begins: with `--connections per-iteration` the user's connections are closed
    /// and the task opens new ones.
    pub(super) fn begin_task(&mut self, factory: &ClientFactory) {
        if self.mode == ConnectionMode::PerIteration {
            self.client = factory.client();
        }
    }

    /// The `Cookie` header the jar holds for `url`, if any.
    pub fn cookie_header(&self, url: &Url) -> Option<HeaderValue> {
        let jar = self.cookies.as_deref()?;
        let value = jar
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if value.is_empty() {
            None
        } else {
            HeaderValue::from_str(&value).ok()
        }
    }

    /// Keeps the cookies a response from `url` sets, against `url`.
    pub fn store_cookies(&mut self, url: &Url, headers: &HeaderMap) {
        let mut set_cookies = headers.get_all(SET_COOKIE).iter().peekable();
        if set_cookies.peek().is_none() {
            return;
        }
        let jar = self.cookies.get_or_insert_with(Box::default);
        for value in set_cookies {
            if let Ok(text) = value.to_str() {
                // A malformed or foreign cookie is ignored, as a browser would.
                let _ = jar.parse(text, url);
            }
        }
    }

    /// Forgets every cookie.
    pub fn clear_cookies(&mut self) {
        self.cookies = None;
    }
}
