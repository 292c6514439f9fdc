//! One exchange as a browser or Python's `requests` makes it: send on the user's connections,
//! keep the cookies of every hop against the URL that set them, follow allowed redirects
//! (301, 302 and 303 turn a POST into a GET; 307 and 308 keep the method and body), and read
//! the whole response, all within the request's timeout.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION,
    USER_AGENT,
};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use url::Url;

use super::agent::{HttpClient, UserAgent};
use super::net::ReadClock;
use super::{BrokerError, HttpBroker, OriginPolicy, Outgoing, Received};

/// The `User-Agent` sent unless the scenario sets its own.
const DEFAULT_USER_AGENT: &str = concat!("wasmload/", env!("CARGO_PKG_VERSION"));

impl HttpBroker {
    /// Sends a request on `agent`'s connections, follows allowed redirects and reads the
    /// whole response; returns the outcome and the time from send to the last body byte (or
    /// to the error).
    pub async fn execute(
        &self,
        agent: &mut UserAgent,
        outgoing: Outgoing,
    ) -> (Result<Received, BrokerError>, Duration) {
        let timeout = outgoing.timeout.unwrap_or(self.timeout);
        let started = Instant::now();
        match tokio::time::timeout(timeout, self.follow(agent, outgoing, started)).await {
            Ok(Ok((received, elapsed))) => (Ok(received), elapsed),
            Ok(Err(err)) => (Err(err), started.elapsed()),
            Err(_) => (Err(BrokerError::Timeout), started.elapsed()),
        }
    }

    /// The exchange, and the time from `started` to the last byte of the answer, read off the
    /// connection's clock where the bytes arrived.
    async fn follow(
        &self,
        agent: &mut UserAgent,
        outgoing: Outgoing,
        started: Instant,
    ) -> Result<(Received, Duration), BrokerError> {
        let Outgoing {
            mut method,
            mut url,
            mut headers,
            body,
            ..
        } = outgoing;
        headers
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(DEFAULT_USER_AGENT));
        let mut body = body.map(Bytes::from).unwrap_or_default();
        if body.len() > self.max_body {
            return Err(BrokerError::InvalidRequest(format!(
                "the request body of {} bytes is larger than --max-body ({})",
                body.len(),
                display_size(self.max_body)
            )));
        }
        for hop in 0..=self.max_redirects {
            // A scenario's own Cookie header goes on its first hop; every hop after that
            // carries what the jar holds for the URL, as `requests` does.
            if hop > 0 {
                headers.remove(COOKIE);
            }
            if !headers.contains_key(COOKIE) {
                if let Some(cookies) = agent.cookie_header(&url) {
                    headers.insert(COOKIE, cookies);
                }
            }
            let request = build_request(&method, &url, &headers, body.clone())?;
            let response = send(agent.client(), request).await?;
            agent.store_cookies(&url, response.headers());
            let status = response.status();
            let Some(next) = redirect_target(status, response.headers(), &url) else {
                let clock = response.extensions().get::<ReadClock>().cloned();
                let received = read_whole(response, self.max_body).await?;
                let waited = started.elapsed();
                let elapsed = clock.and_then(|clock| clock.since(started));
                return Ok((received, elapsed.map_or(waited, |read| read.min(waited))));
            };
            if !self.origins.allows(&next) {
                return Err(BrokerError::Refused(format!(
                    "redirect {}",
                    OriginPolicy::refusal(&next)
                )));
            }
            if becomes_get(status, &method) {
                method = Method::GET;
                body = Bytes::new();
                headers.remove(CONTENT_TYPE);
                headers.remove(CONTENT_LENGTH);
            }
            if next.origin() != url.origin() {
                headers.remove(AUTHORIZATION);
            }
            url = next;
        }
        Err(BrokerError::Transport(format!(
            "more than {} redirects (--max-redirects)",
            self.max_redirects
        )))
    }
}

/// Whether a redirect with `status` turns `method` into a GET without a body: a 303 does for
/// every method but HEAD, a 301 or 302 for a POST; 307 and 308 never do.
fn becomes_get(status: StatusCode, method: &Method) -> bool {
    match status {
        StatusCode::SEE_OTHER => method != Method::HEAD,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => method == Method::POST,
        _ => false,
    }
}

fn build_request(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<http::Request<Full<Bytes>>, BrokerError> {
    let mut request = http::Request::builder()
        .method(method.clone())
        .uri(url.as_str())
        .body(Full::new(body))
        .map_err(|err| BrokerError::InvalidRequest(err.to_string()))?;
    *request.headers_mut() = headers.clone();
    Ok(request)
}

async fn send(
    client: &HttpClient,
    request: http::Request<Full<Bytes>>,
) -> Result<http::Response<hyper::body::Incoming>, BrokerError> {
    client.request(request).await.map_err(|err| {
        if err.is_connect() {
            BrokerError::Connect(root_cause(&err))
        } else {
            BrokerError::Transport(root_cause(&err))
        }
    })
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

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}
