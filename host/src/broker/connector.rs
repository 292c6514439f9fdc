//! How a connection is made: straight to the URL's host, to the address `--resolve` names for
//! it, or through an HTTP CONNECT tunnel of a proxy (`--proxy`, or `HTTPS_PROXY`,
//! `HTTP_PROXY` and `NO_PROXY` as curl reads them); TLS goes on top for `https`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use tower_service::Service;
use url::Url;

use super::net::{on_net, TimedIo};
use crate::plan::ResolveEntry;

/// A boxed connector error.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The connector every client of the run uses: TLS over [`NetConnector`].
pub type Connector = HttpsConnector<NetConnector>;

/// Where connections go: `--resolve` overrides and the proxy rules.
#[derive(Debug, Clone)]
pub struct NetConnector {
    http: HttpConnector,
    resolve: Arc<[ResolveEntry]>,
    proxy: Option<Arc<Matcher>>,
    /// Opens sockets on the calling task's runtime rather than the network runtime.
    local: bool,
}

impl NetConnector {
    /// A connector with `connect_timeout`, sending `resolve`'s hosts to their addresses and
    /// tunnelling through `proxy` (or the environment's proxy, if it names one).
    pub fn new(connect_timeout: Duration, resolve: &[ResolveEntry], proxy: Option<&Url>) -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        let matcher = match proxy {
            Some(url) => Matcher::builder()
                .all(url.as_str().to_string())
                .no(no_proxy_from_env())
                .build(),
            None => Matcher::from_env(),
        };
        let proxies = matcher
            .intercept(&Uri::from_static("http://probe.invalid"))
            .is_some()
            || matcher
                .intercept(&Uri::from_static("https://probe.invalid"))
                .is_some();
        Self {
            http,
            resolve: resolve.into(),
            proxy: proxies.then(|| Arc::new(matcher)),
            local: false,
        }
    }

    /// The same connector, opening sockets on the runtime of the task that calls it: for a
    /// connection that task drives itself.
    pub fn local(&self) -> Self {
        Self {
            local: true,
            ..self.clone()
        }
    }

    /// The proxy requests to `url` go through, if any.
    pub fn proxy_for(&self, url: &Url) -> Option<Uri> {
        let uri: Uri = url.as_str().parse().ok()?;
        let intercept = self.proxy.as_ref()?.intercept(&uri)?;
        Some(intercept.uri().clone())
    }

    /// The address `--resolve` names for `host:port`.
    pub fn resolved(&self, host: &str, port: u16) -> Option<SocketAddr> {
        let host = host.trim_matches(['[', ']']);
        self.resolve
            .iter()
            .find(|entry| entry.port == port && entry.host.eq_ignore_ascii_case(host))
            .map(|entry| SocketAddr::new(entry.addr, port))
    }

    /// `dst` with its host replaced by the address `--resolve` names, if it names one.
    fn redirected(&self, dst: &Uri) -> Option<Uri> {
        let port = dst.port_u16().unwrap_or(match dst.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
        let addr = self.resolved(dst.host()?, port)?;
        Uri::builder()
            .scheme(dst.scheme_str().unwrap_or("http"))
            .authority(addr.to_string())
            .path_and_query("/")
            .build()
            .ok()
    }
}

/// Runs `future` here if `local`, else on the network runtime.
async fn on_net_unless<F>(local: bool, future: F) -> std::io::Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if local {
        Ok(future.await)
    } else {
        on_net(future).await
    }
}

/// `NO_PROXY` (or `no_proxy`), for hosts a `--proxy` must not be used for.
fn no_proxy_from_env() -> String {
    std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default()
}

impl Service<Uri> for NetConnector {
    type Response = TimedIo;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        if let Some(intercept) = self
            .proxy
            .as_ref()
            .and_then(|matcher| matcher.intercept(&dst))
        {
            let mut tunnel = Tunnel::new(intercept.uri().clone(), self.http.clone());
            if let Some(auth) = intercept.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            let local = self.local;
            return Box::pin(async move {
                let io = on_net_unless(local, async move { tunnel.call(dst).await })
                    .await?
                    .map_err(|err| BoxError::from(format!("proxy tunnel: {err}")))?;
                Ok(TimedIo::new(io.into_inner()))
            });
        }
        let target = self.redirected(&dst).unwrap_or(dst);
        let mut http = self.http.clone();
        let local = self.local;
        Box::pin(async move {
            let io = on_net_unless(local, async move { http.call(target).await })
                .await?
                .map_err(BoxError::from)?;
            Ok(TimedIo::new(io.into_inner()))
        })
    }
}
