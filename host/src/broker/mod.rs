//! The HTTP broker: every guest request goes through one shared, pooled client, is checked
//! against the allow-list, and is timed from send to the last body byte.

mod origins;

pub use origins::OriginPolicy;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{redirect, Method, Url};

use crate::config::RunConfig;

/// How many redirects one request may follow.
const MAX_REDIRECTS: usize = 10;

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

/// The shared client and the rules every request obeys.
#[derive(Debug, Clone)]
pub struct HttpBroker {
    client: reqwest::Client,
    base: Url,
    origins: Arc<OriginPolicy>,
    timeout: Duration,
}

impl HttpBroker {
    /// Builds the shared client for a run.
    pub fn new(config: &RunConfig) -> anyhow::Result<Self> {
        let origins = Arc::new(OriginPolicy::new(&config.host, &config.allow_hosts)?);
        let redirect_origins = Arc::clone(&origins);
        let redirects = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if redirect_origins.allows(attempt.url()) {
                attempt.follow()
            } else {
                let refusal = OriginPolicy::refusal(attempt.url());
                attempt.error(format!("redirect {refusal}"))
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(concat!("wasmload/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(redirects)
            .build()?;
        Ok(Self {
            client,
            base: config.host.clone(),
            origins,
            timeout: config.request_timeout,
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

    /// Sends a request and reads the whole response; returns the outcome and the time from
    /// send to the last body byte (or to the error).
    pub async fn execute(&self, outgoing: Outgoing) -> (Result<Received, BrokerError>, Duration) {
        let mut request = self
            .client
            .request(outgoing.method, outgoing.url)
            .headers(outgoing.headers)
            .timeout(outgoing.timeout.unwrap_or(self.timeout));
        if let Some(body) = outgoing.body {
            request = request.body(body);
        }
        let started = Instant::now();
        let result = async {
            let mut response = request.send().await?;
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let body = response.bytes().await?;
            Ok(Received {
                status,
                headers,
                body,
            })
        }
        .await
        .map_err(classify);
        (result, started.elapsed())
    }
}

/// Whether `url` is a path on the base origin: it starts with one `/` (two would name a host).
fn is_origin_relative(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//")
}

/// Maps a client error to the guest-visible kinds, with the innermost cause as the message.
fn classify(err: reqwest::Error) -> BrokerError {
    let cause = root_cause(&err);
    if err.is_timeout() {
        BrokerError::Timeout
    } else if err.is_redirect() {
        BrokerError::Refused(cause)
    } else if err.is_builder() {
        BrokerError::InvalidRequest(cause)
    } else if err.is_connect() {
        BrokerError::Connect(cause)
    } else {
        BrokerError::Transport(cause)
    }
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
    use crate::cli::LoadArgs;
    use crate::config::LoadDefaults;

    fn broker(host: &str) -> HttpBroker {
        let defaults = LoadDefaults {
            users: 1,
            spawn_rate: None,
            run_time: None,
        };
        let config = RunConfig::resolve(host, &LoadArgs::default(), defaults).expect("config");
        HttpBroker::new(&config).expect("broker")
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
