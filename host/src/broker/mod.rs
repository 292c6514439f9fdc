//! The HTTP broker: every guest request goes through the run's one client stack (one runtime,
//! one TLS configuration, one resolver), on connections each user owns by default; it is
//! checked against the allow-list (redirects included) and timed from send to the last body
//! byte.

mod agent;
mod connector;
mod exchange;
mod headers;
mod kernel_stamps;
mod link;
mod net;
mod origins;
mod preflight;
mod tls;
mod wire;

pub use agent::UserAgent;
pub use exchange::Exchanged;
pub use headers::{header_pair, DefaultHeaders, HeaderRecipe};
pub use net::start as start_network;
pub use origins::OriginPolicy;
pub use preflight::preflight;
pub use tls::TlsOptions;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::header::HeaderMap;
use http::Method;
use hyper_rustls::HttpsConnector;
use url::Url;

use crate::plan::{ConnectionMode, HttpVersion, ResolveEntry};
use agent::{ClientFactory, HttpClient};
use connector::NetConnector;

/// `--request-timeout` when not given.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// `--max-body` when not given.
pub const DEFAULT_MAX_BODY: usize = 16 << 20;
/// `--max-redirects` when not given.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;
/// The longest a connection attempt may take, whatever the request timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request produced no response; the `Display` text is the recorded failure message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    /// The destination is not allowed.
    #[error("{0}")]
    Refused(String),
    /// The request could not be built (bad URL, header or method).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The connection could not be made.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The response did not complete in time.
    #[error("timed out")]
    Timeout,
    /// The connection failed mid-request or mid-response.
    #[error("transport error: {0}")]
    Transport(String),
}

/// A request ready to send.
#[derive(Debug)]
pub struct Outgoing {
    /// HTTP method.
    pub method: Method,
    /// Absolute, allowed URL.
    pub url: Url,
    /// The first hop's headers, session defaults included.
    pub headers: HeaderMap,
    /// What they were made from, for the hops after a redirect.
    pub recipe: HeaderRecipe,
    /// Body bytes.
    pub body: Option<Vec<u8>>,
    /// Per-request timeout, if it differs from the run's.
    pub timeout: Option<Duration>,
}

/// A complete response.
#[derive(Debug)]
pub struct Received {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// What the broker needs to know of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerOptions {
    /// The base URL relative paths are joined to (`--host`).
    pub base: Url,
    /// Extra hosts or origins requests may go to (`--allow-host`).
    pub allow_hosts: Vec<String>,
    /// Default timeout of one request, from send to the last body byte.
    pub request_timeout: Duration,
    /// Largest request or response body, in bytes.
    pub max_body: usize,
    /// Redirects one request may follow.
    pub max_redirects: usize,
    /// Who owns the connections.
    pub connections: ConnectionMode,
    /// The HTTP version spoken.
    pub http_version: HttpVersion,
    /// What TLS trusts and presents.
    pub tls: TlsOptions,
    /// `--proxy`; without it, the environment's `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`.
    pub proxy: Option<Url>,
    /// `--resolve` entries.
    pub resolve: Vec<ResolveEntry>,
}

impl BrokerOptions {
    /// Options for requests to `base` only, with every default.
    pub fn new(base: Url) -> Self {
        Self {
            base,
            allow_hosts: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            connections: ConnectionMode::default(),
            http_version: HttpVersion::default(),
            tls: TlsOptions::default(),
            proxy: None,
            resolve: Vec::new(),
        }
    }
}

/// The run's client stack and the rules every request obeys.
#[derive(Debug, Clone)]
pub struct HttpBroker {
    factory: ClientFactory,
    shared: HttpClient,
    net: NetConnector,
    mode: ConnectionMode,
    /// `--host`, its path ending in `/`, so that a relative reference (`orders`) stays under
    /// the host's own path as a path (`/orders`) does.
    base: Url,
    /// The base URL's path without its last `/` (`/v2` of `https://api.example/v2/`), put
    /// before every path a guest gives, as Locust and Gatling do; empty for a bare origin.
    prefix: String,
    origins: Arc<OriginPolicy>,
    timeout: Duration,
    max_body: usize,
    max_redirects: usize,
}

impl HttpBroker {
    /// Builds the run's client stack; an unreadable certificate or key is named.
    pub fn new(options: &BrokerOptions) -> anyhow::Result<Self> {
        net::start(None);
        let origins = Arc::new(OriginPolicy::new(&options.base, &options.allow_hosts)?);
        let connect_timeout = options.request_timeout.min(MAX_CONNECT_TIMEOUT);
        let net = NetConnector::new(connect_timeout, &options.resolve, options.proxy.as_ref());
        let tls =
            tls::client_config(&options.tls, options.http_version).context("cannot set up TLS")?;
        let tls = Arc::new(tls);
        let connector = HttpsConnector::from((net.clone(), Arc::clone(&tls)));
        let local = HttpsConnector::from((net.local(), tls));
        let factory = ClientFactory::new(connector, local, options.http_version);
        Ok(Self {
            shared: factory.client(),
            factory,
            net,
            mode: options.connections,
            base: directory_of(&options.base),
            prefix: options.base.path().trim_end_matches('/').to_string(),
            origins,
            timeout: options.request_timeout,
            max_body: options.max_body,
            max_redirects: options.max_redirects,
        })
    }

    /// A new user's agent: its connections (per `--connections`) and an empty cookie jar.
    pub fn new_agent(&self) -> UserAgent {
        UserAgent::new(&self.shared, self.mode)
    }

    /// A user begins a task; with `--connections per-iteration` it gets fresh connections.
    pub fn begin_task(&self, agent: &mut UserAgent) {
        agent.begin_task();
    }

    /// Where a connection to `url`'s host really goes: the proxy that tunnels it, or the
    /// address `--resolve` names, if either applies.
    pub fn route_of(&self, url: &Url) -> Route {
        if let Some(proxy) = self.net.proxy_for(url) {
            return Route::Proxy(proxy.to_string());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        match url
            .host_str()
            .and_then(|host| self.net.resolved(host, port))
        {
            Some(addr) => Route::Address(addr),
            None => Route::Direct,
        }
    }

    /// Turns the guest's URL (absolute; a path such as `/orders`, which goes after `--host`'s
    /// own path; or a relative reference such as `orders`, joined under it) and query pairs
    /// into an allowed absolute URL.
    pub fn resolve(&self, url: &str, query: &[(String, String)]) -> Result<Url, BrokerError> {
        if is_origin_relative(url) {
            return Ok(self.on_base_origin(url, query));
        }
        let mut resolved = match Url::parse(url) {
            Ok(absolute) => absolute,
            Err(url::ParseError::RelativeUrlWithoutBase) => self
                .base
                .join(url)
                .map_err(|err| BrokerError::InvalidRequest(format!("`{url}`: {err}")))?,
            Err(err) => return Err(BrokerError::InvalidRequest(format!("`{url}`: {err}"))),
        };
        if !matches!(resolved.scheme(), "http" | "https") {
            return Err(BrokerError::InvalidRequest(format!(
                "`{url}`: only http and https are supported"
            )));
        }
        if !self.origins.allows(&resolved) {
            return Err(BrokerError::Refused(OriginPolicy::refusal(&resolved)));
        }
        if !query.is_empty() {
            resolved.query_pairs_mut().extend_pairs(query);
        }
        Ok(resolved)
    }

    /// Resolves a path such as `/api/v1/orders?x=1` after the base URL (its origin and path
    /// prefix) without parsing the origin again (the hot path: most requests are paths, and
    /// the origin is allowed).
    fn on_base_origin(&self, reference: &str, query: &[(String, String)]) -> Url {
        let reference = reference.split('#').next().unwrap_or(reference);
        let (path, own_query) = match reference.split_once('?') {
            Some((path, own_query)) => (path, Some(own_query)),
            None => (reference, None),
        };
        let mut resolved = self.base.clone();
        if self.prefix.is_empty() {
            resolved.set_path(path);
        } else {
            resolved.set_path(&format!("{}{path}", self.prefix));
        }
        resolved.set_query(own_query);
        resolved.set_fragment(None);
        if !query.is_empty() {
            resolved.query_pairs_mut().extend_pairs(query);
        }
        resolved
    }
}

/// Where connections to a host go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// To the host's own addresses.
    Direct,
    /// Through a tunnel of this proxy.
    Proxy(String),
    /// To this address (`--resolve`).
    Address(std::net::SocketAddr),
}

/// `url` with its path ending in `/` (`https://api.example/v2` is `https://api.example/v2/`).
fn directory_of(url: &Url) -> Url {
    let mut directory = url.clone();
    if !directory.path().ends_with('/') {
        let path = format!("{}/", directory.path());
        directory.set_path(&path);
    }
    directory
}

/// Whether `url` is a path on the base origin: it starts with one `/` (two would name a host).
fn is_origin_relative(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//")
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn options(host: &str) -> BrokerOptions {
        BrokerOptions::new(Url::parse(host).expect("a URL"))
    }

    fn broker(host: &str) -> HttpBroker {
        HttpBroker::new(&options(host)).expect("broker")
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn paths_go_after_the_hosts_own_path() {
        for host in ["https://api.example/v2", "https://api.example/v2/"] {
            let broker = broker(host);
            for (path, expected) in [
                ("/", "https://api.example/v2/"),
                ("/orders?x=1", "https://api.example/v2/orders?x=1"),
                ("/a/../b", "https://api.example/v2/b"),
                ("orders", "https://api.example/v2/orders"),
                ("?x=1", "https://api.example/v2/?x=1"),
            ] {
                let resolved = broker.resolve(path, &[]).expect("allowed");
                assert_eq!(resolved.as_str(), expected, "{host} + {path}");
            }
        }
        let absolute = broker("https://api.example/v2").resolve("https://api.example/x", &[]);
        assert_eq!(absolute.expect("allowed").as_str(), "https://api.example/x");
    }

    #[test]
    fn paths_resolve_as_a_join_on_a_bare_origin_would() {
        for host in ["http://127.0.0.1:8000", "https://api.example/"] {
            let broker = broker(host);
            let base = Url::parse(host).expect("host");
            for path in [
                "/",
                "/api/v1/orders",
                "/a/./b/../c",
                "/search?q=a b&x=1",
                "/with#fragment",
                "/caf\u{e9}/%41",
            ] {
                let fast = broker.resolve(path, &[]).expect("allowed");
                let mut joined = base.join(path).expect("joins");
                joined.set_fragment(None);
                assert_eq!(fast, joined, "{host} + {path}");
            }
        }
    }

    /// A server on 127.0.0.1 with redirects, the way a real target sends them.
    async fn redirecting_server() -> String {
        use axum::http::{header, StatusCode as Status};
        use axum::routing::{get, post};
        let redirect = |status: Status, to: &'static str| {
            move || async move { (status, [(header::LOCATION, to)]) }
        };
        let app = axum::Router::new()
            .route("/target", get(|| async { "arrived" }))
            .route("/once", get(redirect(Status::FOUND, "/target")))
            .route(
                "/relative",
                get(redirect(Status::MOVED_PERMANENTLY, "target")),
            )
            .route("/see-other", post(redirect(Status::SEE_OTHER, "/method")))
            .route("/method", get(|| async { "GET" }))
            .route(
                "/away",
                get(redirect(Status::FOUND, "http://forbidden.invalid/")),
            )
            .route("/loop", get(redirect(Status::FOUND, "/loop")))
            .route("/big", get(|| async { vec![b'x'; 2 << 20] }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    async fn fetch(
        broker: &HttpBroker,
        method: Method,
        path: &str,
    ) -> Result<Received, BrokerError> {
        let outgoing = Outgoing {
            method,
            url: broker.resolve(path, &[]).expect("allowed"),
            headers: HeaderMap::new(),
            recipe: HeaderRecipe::default(),
            body: Some(b"payload".to_vec()),
            timeout: None,
        };
        broker
            .execute(&mut broker.new_agent(), outgoing, Instant::now())
            .await
            .result
    }

    #[tokio::test]
    async fn redirects_are_followed_within_the_allowed_origins() {
        let broker = broker(&redirecting_server().await);
        let direct = fetch(&broker, Method::GET, "/target")
            .await
            .expect("direct");
        assert_eq!(&direct.body[..], b"arrived");
        for path in ["/once", "/relative"] {
            let received = fetch(&broker, Method::GET, path).await.expect(path);
            assert_eq!(received.status, 200);
            assert_eq!(&received.body[..], b"arrived");
        }
        let see_other = fetch(&broker, Method::POST, "/see-other")
            .await
            .expect("303");
        assert_eq!(&see_other.body[..], b"GET", "303 turns a POST into a GET");
        let away = fetch(&broker, Method::GET, "/away").await;
        assert!(
            matches!(&away, Err(BrokerError::Refused(m)) if m.contains("--allow-host forbidden.invalid")),
            "{away:?}"
        );
        let endless = fetch(&broker, Method::GET, "/loop").await;
        assert!(
            matches!(&endless, Err(BrokerError::Transport(m)) if m.contains("redirects")),
            "{endless:?}"
        );
    }

    #[tokio::test]
    async fn bodies_over_the_cap_fail_with_a_clear_message() {
        let url = redirecting_server().await;
        let capped = HttpBroker::new(&BrokerOptions {
            max_body: 1 << 20,
            ..options(&url)
        })
        .expect("broker");
        let big = fetch(&capped, Method::GET, "/big").await;
        assert!(
            matches!(&big, Err(BrokerError::Transport(m)) if m.contains("larger than --max-body (1.0 MiB)")),
            "{big:?}"
        );
        let within = fetch(&broker(&url), Method::GET, "/big")
            .await
            .expect("16 MiB cap");
        assert_eq!(within.body.len(), 2 << 20);
        let outgoing = Outgoing {
            method: Method::POST,
            url: capped.resolve("/target", &[]).expect("allowed"),
            headers: HeaderMap::new(),
            recipe: HeaderRecipe::default(),
            body: Some(vec![0; (1 << 20) + 1]),
            timeout: None,
        };
        let upload = capped
            .execute(&mut capped.new_agent(), outgoing, Instant::now())
            .await
            .result;
        assert!(
            matches!(&upload, Err(BrokerError::InvalidRequest(m)) if m.contains("--max-body")),
            "{upload:?}"
        );
    }

    /// A server that answers one request per connection, then closes it and says so.
    async fn one_answer_per_connection() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (closed, closes) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut chunk = [0; 1024];
                while !head.windows(4).any(|end| end == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(count) => head.extend_from_slice(&chunk[..count]),
                    }
                }
                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                let _ = socket.write_all(answer).await;
                drop(socket);
                let _ = closed.send(());
            }
        });
        (url, closes)
    }

    #[tokio::test]
    async fn a_kept_alive_connection_the_server_closed_is_replaced_before_sending() {
        let (url, mut closes) = one_answer_per_connection().await;
        let broker = broker(&url);
        let mut agent = broker.new_agent();
        for _ in 0..3 {
            let outgoing = Outgoing {
                method: Method::GET,
                url: broker.resolve("/", &[]).expect("allowed"),
                headers: HeaderMap::new(),
                recipe: HeaderRecipe::default(),
                body: None,
                timeout: None,
            };
            let received = broker
                .execute(&mut agent, outgoing, Instant::now())
                .await
                .result;
            assert_eq!(&received.expect("answered").body[..], b"ok");
            closes
                .recv()
                .await
                .expect("the server closed the connection");
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let broker = broker(&format!("http://127.0.0.1:{port}"));
        let result = fetch(&broker, Method::GET, "/").await;
        assert!(matches!(result, Err(BrokerError::Connect(_))), "{result:?}");
    }

    #[test]
    fn query_pairs_are_appended_and_encoded() {
        let broker = broker("http://127.0.0.1:8000");
        let url = broker
            .resolve("/api/v1/orders?page=2", &pairs(&[("status", "a b&c")]))
            .expect("allowed");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8000/api/v1/orders?page=2&status=a+b%26c"
        );
    }

    #[test]
    fn other_origins_are_refused_and_other_schemes_invalid() {
        let broker = broker("http://127.0.0.1:8000");
        assert!(broker.resolve("http://127.0.0.1:8000/x", &[]).is_ok());
        assert!(matches!(
            broker.resolve("//evil.example/x", &[]),
            Err(BrokerError::Refused(_))
        ));
        assert!(matches!(
            broker.resolve("http://evil.example/x", &[]),
            Err(BrokerError::Refused(_))
        ));
        assert!(matches!(
            broker.resolve("ftp://127.0.0.1:8000/x", &[]),
            Err(BrokerError::InvalidRequest(_))
        ));
        assert!(broker.resolve("relative/path", &[]).is_ok());
    }
}
