//! Who may use the dashboard. On loopback, only pages served from this machine's own names
//! (a `Host` of another name is DNS rebinding); beyond loopback, only who has the
//! `--web-auth` credentials (HTTP Basic, as Locust's web UI). Controls must also come from
//! the dashboard's own origin.

use std::net::SocketAddr;

use anyhow::bail;
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

/// The names this machine answers to on loopback.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The dashboard's rule for requests.
#[derive(Debug, Clone)]
pub struct Access {
    /// `Basic …` for `--web-auth USER:PASSWORD`.
    credentials: Option<String>,
    /// Whether it listens on loopback only.
    loopback: bool,
    /// The address it listens on, as a `Host` may name it.
    listen: String,
}

impl Access {
    /// The rule for a dashboard on `addr` with `auth` (`USER:PASSWORD`); one listening
    /// beyond loopback must have credentials.
    pub fn new(addr: SocketAddr, auth: Option<&str>) -> anyhow::Result<Self> {
        let loopback = addr.ip().is_loopback();
        if !loopback && auth.is_none() {
            bail!(
                "--web {addr} is reachable from other machines: give --web-auth USER:PASSWORD, \
                 or listen on 127.0.0.1"
            );
        }
        if auth.is_some_and(|auth| !auth.contains(':')) {
            bail!("--web-auth takes USER:PASSWORD");
        }
        Ok(Self {
            credentials: auth.map(|auth| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(auth)
                )
            }),
            loopback,
            listen: addr.ip().to_string(),
        })
    }

    /// The response that refuses `request`, or `None` when it may go on.
    pub fn refusal(&self, request: &Request) -> Option<Response> {
        let headers = request.headers();
        if let Some(expected) = &self.credentials {
            let given = headers.get(AUTHORIZATION).map(HeaderValue::as_bytes);
            if given != Some(expected.as_bytes()) {
                let challenge = [(WWW_AUTHENTICATE, r#"Basic realm="wasmload""#)];
                return Some(
                    (StatusCode::UNAUTHORIZED, challenge, "credentials needed").into_response(),
                );
            }
        }
        let host = headers
            .get(HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or_default();
        if self.loopback && !self.names_this_machine(host) {
            return Some(forbidden(format!("unexpected Host `{host}`")));
        }
        if request.method() != Method::GET {
            if let Some(origin) = headers.get(ORIGIN) {
                let origin = origin.to_str().unwrap_or_default();
                let own = origin
                    .strip_prefix("http://")
                    .is_some_and(|authority| authority == host);
                if !own {
                    return Some(forbidden(format!(
                        "a control from another origin, `{origin}`"
                    )));
                }
            }
        }
        None
    }

    /// Whether `host` (with or without a port) is one of this machine's loopback names.
    fn names_this_machine(&self, host: &str) -> bool {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        LOOPBACK_NAMES.contains(&name) || name == self.listen
    }
}

fn forbidden(why: String) -> Response {
    (StatusCode::FORBIDDEN, format!("refused: {why}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(method).uri("/stop");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(axum::body::Body::empty()).expect("a request")
    }

    fn status(access: &Access, method: Method, headers: &[(&str, &str)]) -> StatusCode {
        access
            .refusal(&request(method, headers))
            .map_or(StatusCode::OK, |response| response.status())
    }

    #[test]
    fn on_loopback_only_this_machines_names_and_its_own_origin_get_in() {
        let access = Access::new("127.0.0.1:8089".parse().expect("addr"), None).expect("ok");
        let local = [("host", "127.0.0.1:8089")];
        assert_eq!(status(&access, Method::GET, &local), StatusCode::OK);
        assert_eq!(
            status(&access, Method::GET, &[("host", "localhost")]),
            StatusCode::OK
        );
        let rebound = [("host", "evil.example:8089")];
        assert_eq!(
            status(&access, Method::GET, &rebound),
            StatusCode::FORBIDDEN
        );
        let own = [
            ("host", "127.0.0.1:8089"),
            ("origin", "http://127.0.0.1:8089"),
        ];
        assert_eq!(status(&access, Method::POST, &own), StatusCode::OK);
        let cross = [
            ("host", "127.0.0.1:8089"),
            ("origin", "http://evil.example"),
        ];
        assert_eq!(status(&access, Method::POST, &cross), StatusCode::FORBIDDEN);
    }

    #[test]
    fn beyond_loopback_credentials_are_required_and_checked() {
        let addr: SocketAddr = "0.0.0.0:8089".parse().expect("addr");
        let refused = Access::new(addr, None).expect_err("no credentials");
        assert!(refused.to_string().contains("--web-auth USER:PASSWORD"));
        let access = Access::new(addr, Some("ops:secret")).expect("ok");
        let host = ("host", "loadgen.internal:8089");
        assert_eq!(
            status(&access, Method::GET, &[host]),
            StatusCode::UNAUTHORIZED
        );
        let wrong = ("authorization", "Basic b3BzOndyb25n");
        assert_eq!(
            status(&access, Method::GET, &[host, wrong]),
            StatusCode::UNAUTHORIZED
        );
        let right = ("authorization", "Basic b3BzOnNlY3JldA==");
        assert_eq!(status(&access, Method::GET, &[host, right]), StatusCode::OK);
    }
}
