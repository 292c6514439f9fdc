//! A connection one user owns, kept alive across its requests as a browser keeps one. An
//! HTTP/1.1 connection is driven inside the user's own task, so a request is written, and
//! its answer read, with no hand-off to another task or thread; an HTTP/2 connection (when
//! TLS negotiates it, or with `--http2`) runs its own task on the network runtime.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};

use bytes::Bytes;
use http::header::{HeaderValue, HOST};
use http::response::Parts;
use http::{Request, Uri};
use hyper::client::conn::{http1, http2, TrySendError};
use hyper::rt::Executor;
use hyper_rustls::MaybeHttpsStream;
use hyper_util::client::legacy::connect::Connection as _;
use tower_service::Service;
use url::Url;

use super::connector::Connector;
use super::net::{NetExecutor, ReadClock, TimedIo};
use super::wire::{read_body, root_cause, Body, Hop};
use super::BrokerError;
use crate::plan::HttpVersion;

type Io = MaybeHttpsStream<TimedIo>;
type Http1Connection = Pin<Box<http1::Connection<Io, Body>>>;

/// Why a hop failed on a link.
pub enum LinkError {
    /// The request never left: the connection had closed. It may go on a fresh one.
    Unsent(Box<Request<Body>>),
    /// The exchange failed; the link is spent.
    Failed(BrokerError),
}

/// One connection to one origin.
pub struct Link {
    https: bool,
    host: String,
    port: u16,
    clock: Option<ReadClock>,
    wire: Wire,
    /// An exchange began and did not finish (its future was dropped, on a timeout): what
    /// the connection holds is unknown, so it is not used again.
    interrupted: bool,
}

enum Wire {
    Http1 {
        sender: http1::SendRequest<Body>,
        /// `None` once the connection has ended.
        connection: Option<Http1Connection>,
        host: HeaderValue,
    },
    Http2 {
        sender: http2::SendRequest<Body>,
    },
}

impl Link {
    /// Opens a connection to `url`'s origin through `connector`, speaking `version`.
    pub async fn open(
        connector: &Connector,
        version: HttpVersion,
        url: &Url,
    ) -> Result<Self, BrokerError> {
        let https = url.scheme() == "https";
        let host = url.host_str().unwrap_or_default().to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let origin: Uri = format!("{}://{authority}", url.scheme())
            .parse()
            .map_err(|err| BrokerError::InvalidRequest(format!("`{url}`: {err}")))?;
        let mut connector = connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|err| BrokerError::Connect(root_cause(err.as_ref())))?;
        let io = connector
            .call(origin)
            .await
            .map_err(|err| BrokerError::Connect(root_cause(err.as_ref())))?;
        let connected = io.connected();
        let mut extras = http::Extensions::new();
        connected.get_extras(&mut extras);
        let handshake = |err: hyper::Error| BrokerError::Connect(root_cause(&err));
        let wire = if version == HttpVersion::Http2 || connected.is_negotiated_h2() {
            let (sender, connection) = http2::Builder::new(NetExecutor)
                .handshake(io)
                .await
                .map_err(handshake)?;
            NetExecutor.execute(connection);
            Wire::Http2 { sender }
        } else {
            let (sender, connection) = http1::handshake(io).await.map_err(handshake)?;
            let host = HeaderValue::from_str(&authority)
                .map_err(|err| BrokerError::InvalidRequest(err.to_string()))?;
            Wire::Http1 {
                sender,
                connection: Some(Box::pin(connection)),
                host,
            }
        };
        Ok(Self {
            https,
            host,
            port,
            clock: extras.get::<ReadClock>().cloned(),
            wire,
            interrupted: false,
        })
    }

    /// Whether this link goes to `url`'s origin.
    pub fn serves(&self, url: &Url) -> bool {
        (url.scheme() == "https") == self.https
            && url.port_or_known_default() == Some(self.port)
            && url.host_str() == Some(self.host.as_str())
    }

    /// Whether the link may carry another request: its last exchange finished and the
    /// connection has not been seen to close.
    pub fn usable(&self) -> bool {
        !self.interrupted
            && match &self.wire {
                Wire::Http1 { connection, .. } => connection.is_some(),
                Wire::Http2 { sender } => !sender.is_closed(),
            }
    }

    /// Sends `request` (absolute URI) and reads its whole answer.
    pub async fn round_trip(
        &mut self,
        request: Box<Request<Body>>,
        max_body: usize,
    ) -> Result<Hop, LinkError> {
        self.interrupted = true;
        let answer = match &mut self.wire {
            Wire::Http1 {
                sender,
                connection,
                host,
            } => http1_round_trip(sender, connection, host, request, max_body).await,
            Wire::Http2 { sender } => http2_round_trip(sender, request, max_body).await,
        };
        self.interrupted = false;
        let (parts, body) = answer?;
        Ok(Hop {
            status: parts.status,
            headers: parts.headers,
            body,
            arrived: self.clock.as_ref().and_then(ReadClock::last_read),
        })
    }
}

/// An HTTP/1.1 exchange, driving the connection in this task: origin-form target, `Host`
/// header, the whole body read.
async fn http1_round_trip(
    sender: &mut http1::SendRequest<Body>,
    connection: &mut Option<Http1Connection>,
    host: &HeaderValue,
    mut request: Box<Request<Body>>,
    max_body: usize,
) -> Result<(Parts, Bytes), LinkError> {
    request
        .headers_mut()
        .entry(HOST)
        .or_insert_with(|| host.clone());
    if let Some(target) = request.uri().path_and_query().cloned() {
        *request.uri_mut() = Uri::from(target);
    }
    if drive(connection, sender.ready()).await.is_err() {
        return Err(LinkError::Unsent(request));
    }
    let response = drive(connection, sender.try_send_request(*request))
        .await
        .map_err(unsent_or_failed)?;
    let (parts, body) = response.into_parts();
    let body = drive(connection, read_body(body, max_body))
        .await
        .map_err(LinkError::Failed)?;
    Ok((parts, body))
}

/// An HTTP/2 exchange on a connection whose task runs elsewhere.
async fn http2_round_trip(
    sender: &mut http2::SendRequest<Body>,
    request: Box<Request<Body>>,
    max_body: usize,
) -> Result<(Parts, Bytes), LinkError> {
    if sender.ready().await.is_err() {
        return Err(LinkError::Unsent(request));
    }
    let response = sender
        .try_send_request(*request)
        .await
        .map_err(unsent_or_failed)?;
    let (parts, body) = response.into_parts();
    let body = read_body(body, max_body).await.map_err(LinkError::Failed)?;
    Ok((parts, body))
}

/// A request hyper gave back was never sent; any other error spent the link.
fn unsent_or_failed(mut err: TrySendError<Request<Body>>) -> LinkError {
    match err.take_message() {
        Some(request) => LinkError::Unsent(Box::new(request)),
        None => LinkError::Failed(BrokerError::Transport(root_cause(&err.into_error()))),
    }
}

/// Runs `work` while driving `connection` in the same task; a connection that ends is
/// dropped, which hands back the requests it had not sent.
async fn drive<F: Future>(connection: &mut Option<Http1Connection>, work: F) -> F::Output {
    let mut work = pin!(work);
    poll_fn(|cx| {
        if let Some(open) = connection {
            if open.as_mut().poll(cx).is_ready() {
                *connection = None;
            }
        }
        work.as_mut().poll(cx)
    })
    .await
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("https", &self.https)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("usable", &self.usable())
            .finish()
    }
}
