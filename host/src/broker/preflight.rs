//! The check before a run: does the target accept connections at all? A run against a host
//! that is down or mistyped is refused with one line instead of a report full of failures.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{lookup_host, TcpStream};
use tokio::time::timeout;
use url::Url;

use super::Route;

/// How long the name lookup, and each connection attempt, may take.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects once to where requests to `host` go by `route` (its own address, the one
/// `--resolve` names, or the proxy); the error says why nothing accepted.
pub async fn preflight(host: &Url, route: &Route) -> Result<(), String> {
    let (name, port) = match route {
        Route::Address(addr) => return connect_any(&[*addr]).await,
        Route::Proxy(proxy) => {
            let proxy = Url::parse(proxy).map_err(|err| format!("the proxy {proxy}: {err}"))?;
            let port = proxy.port_or_known_default().unwrap_or(80);
            (proxy.host_str().unwrap_or_default().to_string(), port)
        }
        Route::Direct => (
            host.host_str().unwrap_or_default().to_string(),
            host.port_or_known_default().unwrap_or(80),
        ),
    };
    let addrs: Vec<SocketAddr> = timeout(
        PREFLIGHT_TIMEOUT,
        lookup_host((name.trim_matches(['[', ']']).to_string(), port)),
    )
    .await
    .map_err(|_| "name lookup timed out".to_string())?
    .map_err(|err| err.to_string())?
    .collect();
    connect_any(&addrs).await
}

/// Connects to the first of `addrs` that accepts.
async fn connect_any(addrs: &[SocketAddr]) -> Result<(), String> {
    let mut last_error = String::from("the name has no addresses");
    for &addr in addrs {
        match timeout(PREFLIGHT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(err)) => last_error = err.to_string(),
            Err(_) => last_error = format!("connecting to {addr} timed out"),
        }
    }
    Err(last_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listening_host_passes_and_a_closed_port_is_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let open =
            Url::parse(&format!("http://{}", listener.local_addr().expect("addr"))).expect("a URL");
        assert_eq!(preflight(&open, &Route::Direct).await, Ok(()));
        drop(listener);
        let refused = preflight(&open, &Route::Direct)
            .await
            .expect_err("nothing listens");
        assert!(refused.contains("refused"), "{refused}");
    }
}
