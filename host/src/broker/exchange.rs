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
use http_body_util::Full;
use url::Url;

use super::agent::UserAgent;
use super::net::wall_nanos;
use super::{BrokerError, HttpBroker, OriginPolicy, Outgoing, Received};
use crate::in_place::boxed_future;
use crate::plan::display_size;

/// The `User-Agent` sent unless the scenario sets its own.
const DEFAULT_USER_AGENT: &str = concat!("wasmload/", env!("CARGO_PKG_VERSION"));

/// What one exchange came to.
#[derive(Debug)]
pub struct Exchanged {
    /// The whole response, or why there is none.
    pub result: Result<Received, BrokerError>,
    /// From the send to the answer's last byte (or to the error).
    pub latency: Duration,
}

impl HttpBroker {
    /// Sends a request on `agent`'s connections from `started`, follows allowed redirects
    /// and reads the whole response. `started` is the caller's reading of the clock, which
    /// starts the request's timeout too.
    pub async fn execute(
        &self,
        agent: &mut UserAgent,
        outgoing: Outgoing,
        started: Instant,
    ) -> Exchanged {
        let timeout = outgoing.timeout.unwrap_or(self.timeout);
        let exchange = boxed_future(|| self.follow(agent, outgoing, started, wall_nanos()));
        // A timeout too long to add to the clock is none, as with `tokio::time::timeout`.
        let outcome = match started.checked_add(timeout) {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), exchange)
                .await
                .unwrap_or(Err(BrokerError::Timeout)),
            None => exchange.await,
        };
        match outcome {
            Ok((received, latency)) => Exchanged {
                result: Ok(received),
                latency,
            },
            Err(err) => Exchanged {
                result: Err(err),
                latency: started.elapsed(),
            },
        }
    }

    /// The exchange, and the time from `started` (`started_wall` on the wall clock) to the
    /// arrival of the answer's last byte, read off the connection's clock.
    async fn follow(
        &self,
        agent: &mut UserAgent,
        outgoing: Outgoing,
        started: Instant,
        started_wall: u64,
    ) -> Result<(Received, Duration), BrokerError> {
        let Outgoing {
            mut method,
            mut url,
            headers,
            recipe,
            body,
            ..
        } = outgoing;
        let mut body = body.map(Bytes::from).unwrap_or_default();
        if body.len() > self.max_body {
            return Err(BrokerError::InvalidRequest(format!(
                "the request body of {} bytes is larger than --max-body ({})",
                body.len(),
                display_size(self.max_body as u64)
            )));
        }
        let mut first = Some(headers);
        let mut dropped = Dropped::default();
        for hop in 0..=self.max_redirects {
            let headers = match first.take() {
                Some(headers) => headers,
                None => dropped.from(recipe.build()?),
            };
            let headers = with_agent_headers(agent, &url, headers, hop);
            let request = build_request(&method, &url, headers, body.clone())?;
            let hop = agent
                .send(&self.factory, &url, request, self.max_body)
                .await?;
            agent.store_cookies(&url, &hop.headers);
            let status = hop.status;
            let Some(next) = redirect_target(status, &hop.headers, &url) else {
                let waited = started.elapsed();
                let arrived = hop.arrived_since(started_wall);
                let received = Received {
                    status: status.as_u16(),
                    headers: hop.headers,
                    body: hop.body,
                };
                let latency = arrived.map_or(waited, |read| read.min(waited));
                return Ok((received, latency));
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
                dropped.body = true;
            }
            if next.origin() != url.origin() {
                dropped.authorization = true;
            }
            url = next;
        }
        Err(BrokerError::Transport(format!(
            "more than {} redirects (--max-redirects)",
            self.max_redirects
        )))
    }
}

/// The scenario's headers that later hops of a redirect no longer carry.
#[derive(Debug, Default)]
struct Dropped {
    /// The body went (a 303, or a 301/302 after a POST): so do its headers.
    body: bool,
    /// The exchange left the origin that was given the credentials.
    authorization: bool,
}

impl Dropped {
    /// `headers` without what was dropped.
    fn from(&self, mut headers: HeaderMap) -> HeaderMap {
        if self.body {
            headers.remove(CONTENT_TYPE);
            headers.remove(CONTENT_LENGTH);
        }
        if self.authorization {
            headers.remove(AUTHORIZATION);
        }
        headers
    }
}

/// What the user's agent adds to a hop's headers: its `User-Agent` unless the scenario set
/// one, and the jar's cookies for `url`. A scenario's own `Cookie` header goes on the first
/// hop only; every later hop carries what the jar holds, as `requests` does.
fn with_agent_headers(
    agent: &UserAgent,
    url: &Url,
    mut headers: HeaderMap,
    hop: usize,
) -> HeaderMap {
    headers
        .entry(USER_AGENT)
        .or_insert(HeaderValue::from_static(DEFAULT_USER_AGENT));
    if hop > 0 {
        headers.remove(COOKIE);
    }
    if !headers.contains_key(COOKIE) {
        if let Some(cookies) = agent.cookie_header(url) {
            headers.insert(COOKIE, cookies);
        }
    }
    headers
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

/// The request of one hop, boxed, its parts set in place (a builder moves them at every
/// step).
fn build_request(
    method: &Method,
    url: &Url,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Box<http::Request<Full<Bytes>>>, BrokerError> {
    let uri = http::Uri::try_from(url.as_str())
        .map_err(|err| BrokerError::InvalidRequest(err.to_string()))?;
    let mut request = Box::new(http::Request::new(Full::new(body)));
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

/// Where a redirect response points, resolved against the URL that answered.
fn redirect_target(status: StatusCode, headers: &HeaderMap, current: &Url) -> Option<Url> {
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = headers.get(LOCATION)?.to_str().ok()?;
    current.join(location).ok()
}
