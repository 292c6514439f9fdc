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
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
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
