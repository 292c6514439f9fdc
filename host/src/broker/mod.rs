//! The HTTP broker: every guest request goes through one shared, pooled client, is checked
//! against the allow-list (redirects included), and is timed from send to the last body byte.

mod origins;
mod preflight;

pub use origins::OriginPolicy;
pub use preflight::preflight;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION,
    USER_AGENT,
};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use url::Url;

/// `--request-timeout` when not given.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// `--max-body` when not given.
pub const DEFAULT_MAX_BODY: usize = 16 << 20;

/// How many redirects one request may follow.
const MAX_REDIRECTS: usize = 10;
/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest a connection attempt may take, whatever the request timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared client: HTTP/1.1 and HTTP/2, plain or TLS (rustls with the webpki roots).
type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

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
    /// Headers, session defaults included.
    pub headers: HeaderMap,
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
}

impl BrokerOptions {
    /// Options for requests to `base` only, with the default timeout and body cap.
    pub fn new(base: Url) -> Self {
        Self {
            base,
            allow_hosts: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// The shared client and the rules every request obeys.
#[derive(Debug, Clone)]
pub struct HttpBroker {
    client: HttpClient,
    base: Url,
    origins: Arc<OriginPolicy>,
    timeout: Duration,
    max_body: usize,
}

impl HttpBroker {
    /// Builds the shared client for a run.
    pub fn new(options: &BrokerOptions) -> anyhow::Result<Self> {
        let origins = Arc::new(OriginPolicy::new(&options.base, &options.allow_hosts)?);
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(options.request_timeout.min(MAX_CONNECT_TIMEOUT)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(https);
        Ok(Self {
            client,
            base: options.base.clone(),
            origins,
            timeout: options.request_timeout,
            max_body: options.max_body,
        })
    }

    /// Turns the guest's URL (absolute, or a path joined to `--host`) and query pairs into an
    /// allowed absolute URL.
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

    /// Resolves a path such as `/api/v1/orders?x=1` against the base origin without parsing
    /// the origin again (the hot path: most requests are paths, and the origin is allowed).
    fn on_base_origin(&self, reference: &str, query: &[(String, String)]) -> Url {
        let reference = reference.split('#').next().unwrap_or(reference);
        let (path, own_query) = match reference.split_once('?') {
            Some((path, own_query)) => (path, Some(own_query)),
            None => (reference, None),
        };
        let mut resolved = self.base.clone();
        resolved.set_path(path);
        resolved.set_query(own_query);
        resolved.set_fragment(None);
        if !query.is_empty() {
            resolved.query_pairs_mut().extend_pairs(query);
        }
        resolved
    }

    /// Sends a request, follows allowed redirects and reads the whole response; returns the
    /// outcome and the time from send to the last body byte (or to the error).
    pub async fn execute(&self, outgoing: Outgoing) -> (Result<Received, BrokerError>, Duration) {
        let timeout = outgoing.timeout.unwrap_or(self.timeout);
        let started = Instant::now();
        let result = tokio::time::timeout(timeout, self.follow(outgoing))
            .await
            .unwrap_or(Err(BrokerError::Timeout));
        (result, started.elapsed())
    }

    async fn follow(&self, outgoing: Outgoing) -> Result<Received, BrokerError> {
        let Outgoing {
            mut method,
            mut url,
            mut headers,
            body,
            ..
        } = outgoing;
        headers
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(concat!(
                "wasmload/",
                env!("CARGO_PKG_VERSION")
            )));
        let mut body = body.map(Bytes::from).unwrap_or_default();
        if body.len() > self.max_body {
            return Err(BrokerError::InvalidRequest(format!(
                "the request body of {} bytes is larger than --max-body ({})",
                body.len(),
                display_size(self.max_body)
            )));
        }
        for _ in 0..=MAX_REDIRECTS {
            let response = self
                .send_once(&method, &url, &headers, body.clone())
                .await?;
            let Some(next) = redirect_target(response.status(), response.headers(), &url) else {
                return read_whole(response, self.max_body).await;
            };
            if !self.origins.allows(&next) {
                return Err(BrokerError::Refused(format!(
                    "redirect {}",
                    OriginPolicy::refusal(&next)
                )));
            }
            let status = response.status();
            if status == StatusCode::SEE_OTHER
                || (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
            {
                method = Method::GET;
                body = Bytes::new();
                headers.remove(CONTENT_TYPE);
                headers.remove(CONTENT_LENGTH);
            }
            if next.origin() != url.origin() {
                headers.remove(AUTHORIZATION);
                headers.remove(COOKIE);
            }
            url = next;
        }
        Err(BrokerError::Transport(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<http::Response<hyper::body::Incoming>, BrokerError> {
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .body(Full::new(body))
            .map_err(|err| BrokerError::InvalidRequest(err.to_string()))?;
        *request.headers_mut() = headers.clone();
        self.client.request(request).await.map_err(|err| {
            if err.is_connect() {
                BrokerError::Connect(root_cause(&err))
            } else {
                BrokerError::Transport(root_cause(&err))
            }
        })
    }
}

/// Where a redirect response points, resolved against the URL that answered.
fn redirect_target(status: StatusCode, headers: &HeaderMap, current: &Url) -> Option<Url> {
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = headers.get(LOCATION)?.to_str().ok()?;
    current.join(location).ok()
}

/// Reads the whole body of a response.
async fn read_whole(
    response: http::Response<hyper::body::Incoming>,
    max_body: usize,
) -> Result<Received, BrokerError> {
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, max_body)
        .collect()
        .await
        .map_err(|err| {
            if err.is::<LengthLimitError>() {
                BrokerError::Transport(format!(
                    "the response body is larger than --max-body ({})",
                    display_size(max_body)
                ))
            } else {
                BrokerError::Transport(root_cause(err.as_ref()))
            }
        })?
        .to_bytes();
    Ok(Received {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

/// A byte count as `16.0 MiB`.
fn display_size(bytes: usize) -> String {
    bytesize::ByteSize::b(bytes as u64)
        .display()
        .iec()
        .to_string()
}

/// Whether `url` is a path on the base origin: it starts with one `/` (two would name a host).
fn is_origin_relative(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//")
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
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
    fn paths_resolve_as_a_join_on_the_host_would() {
        for host in ["http://127.0.0.1:8000", "https://api.example/v2/"] {
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
            body: Some(b"payload".to_vec()),
            timeout: None,
        };
        broker.execute(outgoing).await.0
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
            body: Some(vec![0; (1 << 20) + 1]),
            timeout: None,
        };
        let upload = capped.execute(outgoing).await.0;
        assert!(
            matches!(&upload, Err(BrokerError::InvalidRequest(m)) if m.contains("--max-body")),
            "{upload:?}"
        );
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
