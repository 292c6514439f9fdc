//! A user's own side of the broker, like a browser's: the connections its requests travel
//! on (its own, fresh ones each task, or the run's shared pool) and its cookie jar.

use std::time::Duration;

use cookie_store::CookieStore;
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use http::Request;
use hyper_util::client::legacy::Client;
use url::Url;

use super::connector::Connector;
use super::link::{Link, LinkError};
use super::net::{NetExecutor, ReadClock};
use super::wire::{read_body, root_cause, Body, Hop};
use super::BrokerError;
use crate::plan::{ConnectionMode, HttpVersion};

/// How long an idle connection of the shared pool is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A hyper client with a pool, over the run's connector.
pub type HttpClient = Client<Connector, Body>;

/// Makes connections with the run's connector (TLS configuration, resolver, proxy rules):
/// the shared pool, and the connections users own.
#[derive(Debug, Clone)]
pub struct ClientFactory {
    connector: Connector,
    local: Connector,
    version: HttpVersion,
}

impl ClientFactory {
    /// Connections through `connector` (for the pool, on the network runtime) and `local`
    /// (for users' own, on their own runtime), speaking `version`.
    pub fn new(connector: Connector, local: Connector, version: HttpVersion) -> Self {
        Self {
            connector,
            local,
            version,
        }
    }

    /// A client with a pool of its own.
    pub fn client(&self) -> HttpClient {
        Client::builder(NetExecutor)
            .pool_idle_timeout(IDLE_TIMEOUT)
            .http2_only(self.version == HttpVersion::Http2)
            .build(self.connector.clone())
    }
}

/// The connections a user's requests go on.
#[derive(Debug)]
enum Lines {
    /// A handle on the run's pool.
    Shared(Box<HttpClient>),
    /// The user's own, one per origin.
    Own(Vec<Link>),
}

/// One user's connections and cookies.
#[derive(Debug)]
pub struct UserAgent {
    lines: Lines,
    mode: ConnectionMode,
    cookies: Option<Box<CookieStore>>,
    /// For a sibling in a batch: the cookies it was sent, to hand to the user's own agent.
    cookie_log: Option<Vec<(Url, Vec<HeaderValue>)>>,
}

impl UserAgent {
    /// A new user's agent: no connection yet, or a handle on the run's `shared` pool.
    pub(super) fn new(shared: &HttpClient, mode: ConnectionMode) -> Self {
        let lines = match mode {
            ConnectionMode::Shared => Lines::Shared(Box::new(shared.clone())),
            ConnectionMode::PerUser | ConnectionMode::PerIteration => Lines::Own(Vec::new()),
        };
        Self {
            lines,
            mode,
            cookies: None,
            cookie_log: None,
        }
    }

    /// Another agent of this user, for the parallel requests of a batch: connections of its
    /// own (or the same shared pool), as a browser opens more connections for a page.
    pub fn sibling(&self) -> Self {
        let lines = match &self.lines {
            Lines::Shared(client) => Lines::Shared(client.clone()),
            Lines::Own(_) => Lines::Own(Vec::new()),
        };
        Self {
            lines,
            mode: self.mode,
            cookies: None,
            cookie_log: None,
        }
    }

    /// Gives `sibling` this user's cookies as they are now, and has it log those it is sent.
    pub fn lend_cookies(&self, sibling: &mut UserAgent) {
        sibling.cookies.clone_from(&self.cookies);
        sibling.cookie_log = Some(Vec::new());
    }

    /// Keeps the cookies `sibling` was sent during a batch, as if this agent had been sent
    /// them.
    pub fn adopt_cookies(&mut self, sibling: &mut UserAgent) {
        for (url, values) in sibling.cookie_log.take().unwrap_or_default() {
            let jar = self.cookies.get_or_insert_with(Box::default);
            for value in values {
                if let Ok(text) = value.to_str() {
                    let _ = jar.parse(text, &url);
                }
            }
        }
    }

    /// A task begins: with `--connections per-iteration` the user's connections are closed
    /// and the task opens new ones.
    pub(super) fn begin_task(&mut self) {
        if let (ConnectionMode::PerIteration, Lines::Own(links)) = (self.mode, &mut self.lines) {
            links.clear();
        }
    }

    /// Sends `request` (absolute URI) and reads its whole answer: on the pool, or on the
    /// user's connection to the origin, opened if it has none (and once more if a kept-alive
    /// one turns out to have closed before the request left). The request is boxed: it goes
    /// down several calls, each of which would otherwise copy it.
    pub(super) async fn send(
        &mut self,
        factory: &ClientFactory,
        url: &Url,
        request: Box<Request<Body>>,
        max_body: usize,
    ) -> Result<Hop, BrokerError> {
        let links = match &mut self.lines {
            Lines::Shared(client) => return pooled(client, *request, max_body).await,
            Lines::Own(links) => links,
        };
        links.retain(Link::usable);
        let mut request = request;
        let mut reused = true;
        loop {
            let index = match links.iter().position(|link| link.serves(url)) {
                Some(index) => index,
                None => {
                    reused = false;
                    // Boxed: connecting is rare, and its large future would otherwise be
                    // moved with every request's.
                    links.push(Box::pin(Link::open(&factory.local, factory.version, url)).await?);
                    links.len() - 1
                }
            };
            let Some(link) = links.get_mut(index) else {
                return Err(BrokerError::Transport("no connection".into()));
            };
            match link.round_trip(request, max_body).await {
                Ok(hop) => return Ok(hop),
                Err(LinkError::Unsent(unsent)) if reused => {
                    links.swap_remove(index);
                    request = unsent;
                }
                Err(LinkError::Unsent(_)) => {
                    links.swap_remove(index);
                    return Err(BrokerError::Transport(
                        "the connection closed before the request was sent".into(),
                    ));
                }
                Err(LinkError::Failed(err)) => {
                    links.swap_remove(index);
                    return Err(err);
                }
            }
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
        let mut sent = Vec::new();
        for value in set_cookies {
            if let Ok(text) = value.to_str() {
                // A malformed or foreign cookie is ignored, as a browser would.
                let _ = jar.parse(text, url);
            }
            sent.push(value.clone());
        }
        if let Some(log) = &mut self.cookie_log {
            log.push((url.clone(), sent));
        }
    }

    /// Forgets every cookie.
    pub fn clear_cookies(&mut self) {
        self.cookies = None;
    }
}

/// One hop on the shared pool.
async fn pooled(
    client: &HttpClient,
    request: Request<Body>,
    max_body: usize,
) -> Result<Hop, BrokerError> {
    let response = client.request(request).await.map_err(|err| {
        if err.is_connect() {
            BrokerError::Connect(root_cause(&err))
        } else {
            BrokerError::Transport(root_cause(&err))
        }
    })?;
    let clock = response.extensions().get::<ReadClock>().cloned();
    let (parts, body) = response.into_parts();
    let body = read_body(body, max_body).await?;
    Ok(Hop {
        status: parts.status,
        headers: parts.headers,
        body,
        // Read after the body: its last bytes are the last read.
        arrived: clock.as_ref().and_then(ReadClock::last_read),
    })
}

#[cfg(test)]
mod tests {
    use http::header::HeaderValue;

    use super::super::{BrokerOptions, HttpBroker};
    use super::*;

    #[test]
    fn a_requests_future_stays_small_to_move() {
        // Every request's future is moved into its caller's; connecting, which is rare, is
        // boxed so that its futures (7 KiB of them) do not ride along, and the request is
        // boxed so that each call on the way down to hyper does not keep a copy of it.
        let url = Url::parse("http://127.0.0.1:9/").expect("a URL");
        let broker = HttpBroker::new(&BrokerOptions::new(url.clone())).expect("a broker");
        let mut agent = broker.new_agent();
        let request = Box::new(Request::new(Body::new(bytes::Bytes::new())));
        let send = agent.send(&broker.factory, &url, request, 1024);
        let size = std::mem::size_of_val(&send);
        assert!(size < 2048, "a request's future takes {size} bytes");
    }

    #[test]
    fn a_batch_sibling_starts_with_the_users_cookies_and_hands_back_the_new_ones() {
        let url = Url::parse("http://127.0.0.1:8000/").expect("a URL");
        let broker = HttpBroker::new(&BrokerOptions::new(url.clone())).expect("a broker");
        let mut user = broker.new_agent();
        let mut headers = HeaderMap::new();
        headers.insert(SET_COOKIE, HeaderValue::from_static("session=one; Path=/"));
        user.store_cookies(&url, &headers);
        let mut sibling = user.sibling();
        user.lend_cookies(&mut sibling);
        assert_eq!(
            sibling.cookie_header(&url),
            Some(HeaderValue::from_static("session=one"))
        );
        let mut sent = HeaderMap::new();
        sent.insert(SET_COOKIE, HeaderValue::from_static("cart=7; Path=/"));
        sibling.store_cookies(&url, &sent);
        assert_eq!(
            user.cookie_header(&url),
            Some(HeaderValue::from_static("session=one")),
            "not the user's until the batch ends"
        );
        user.adopt_cookies(&mut sibling);
        let header = user.cookie_header(&url).expect("cookies");
        let header = header.to_str().expect("text");
        assert!(
            header.contains("session=one") && header.contains("cart=7"),
            "{header}"
        );
    }
}
