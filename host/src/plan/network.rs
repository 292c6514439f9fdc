//! The network side of a plan: whose connections a request travels on, which HTTP version is
//! spoken, and host names sent to chosen addresses (`--resolve`, as curl has it).

use std::net::IpAddr;

/// Who owns the connections requests travel on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConnectionMode {
    /// Each user has its own connections per origin, kept alive across its requests and
    /// closed when it stops, as a browser or a Locust `HttpUser` has.
    #[default]
    PerUser,
    /// All users share one pool, as behind a gateway.
    Shared,
    /// Each task opens fresh connections (k6's `noConnectionReuse`), to load handshakes.
    PerIteration,
}

/// The HTTP version requests are sent with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/2 where TLS negotiates it (ALPN), HTTP/1.1 otherwise.
    #[default]
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 only (over plain TCP with prior knowledge).
    Http2,
}

/// `--resolve HOST:PORT:ADDR`: connections to `host:port` go to `addr`; the URL, the `Host`
/// header and TLS still name `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveEntry {
    /// The host name as URLs write it, lower case.
    pub host: String,
    /// The port it applies to.
    pub port: u16,
    /// Where connections go instead.
    pub addr: IpAddr,
}

/// Parses `--connections`: `per-user`, `shared` or `per-iteration`.
pub fn parse_connection_mode(text: &str) -> Result<ConnectionMode, String> {
    match text.trim() {
        "per-user" => Ok(ConnectionMode::PerUser),
        "shared" => Ok(ConnectionMode::Shared),
        "per-iteration" => Ok(ConnectionMode::PerIteration),
        _ => Err(format!(
            "`{text}` is not a connection mode: use per-user, shared or per-iteration"
        )),
    }
}

/// Parses `--resolve HOST:PORT:ADDR`, e.g. `api.example:443:10.0.0.7` or
/// `api.example:443:[::1]`.
pub fn parse_resolve(text: &str) -> Result<ResolveEntry, String> {
    let bad = || format!("`{text}` is not HOST:PORT:ADDR like api.example:443:10.0.0.7");
    let (host, rest) = text.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad());
    }
    Ok(ResolveEntry {
        host: host.to_ascii_lowercase(),
        port: port.parse().map_err(|_| bad())?,
        addr: addr.parse().map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_entries_name_host_port_and_address() {
        let entry = parse_resolve("API.example:8443:127.0.0.1").expect("valid");
        assert_eq!(entry.host, "api.example");
        assert_eq!(entry.port, 8443);
        assert_eq!(entry.addr, IpAddr::from([127, 0, 0, 1]));
        let v6 = parse_resolve("api.example:443:[::1]").expect("valid");
        assert_eq!(v6.addr, "::1".parse::<IpAddr>().expect("an address"));
        for bad in [
            "api.example",
            "api.example:443",
            ":443:1.2.3.4",
            "h:x:1.2.3.4",
            "h:1:nope",
        ] {
            assert!(parse_resolve(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn connection_modes_have_their_flag_names() {
        assert_eq!(
            parse_connection_mode("per-user"),
            Ok(ConnectionMode::PerUser)
        );
        assert_eq!(parse_connection_mode("shared"), Ok(ConnectionMode::Shared));
        assert_eq!(
            parse_connection_mode("per-iteration"),
            Ok(ConnectionMode::PerIteration)
        );
        assert!(parse_connection_mode("pooled").is_err());
    }
}
