//! The check before a run: does the target accept connections at all? A run against a host
//! that is down or mistyped is refused with one line instead of a report full of failures.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{lookup_host, TcpStream};
use tokio::time::timeout;
use url::Url;

/// How long the name lookup, and each connection attempt, may take.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects once to `host`'s address; the error says why nothing accepted.
pub async fn preflight(host: &Url) -> Result<(), String> {
    let name = host.host_str().unwrap_or_default();
    let port = host.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = timeout(
        PREFLIGHT_TIMEOUT,
        lookup_host((name.trim_matches(['[', ']']), port)),
    )
    .await
    .map_err(|_| "name lookup timed out".to_string())?
    .map_err(|err| err.to_string())?
    .collect();
    let mut last_error = String::from("the name has no addresses");
    for addr in addrs {
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
        assert_eq!(preflight(&open).await, Ok(()));
        drop(listener);
        let refused = preflight(&open).await.expect_err("nothing listens");
        assert!(refused.contains("refused"), "{refused}");
    }
}
