//! Redirects as a browser or Python's `requests` follows them: cookies from every hop kept
//! against the URL that set them, POST turned into GET by 301, 302 and 303 and kept by 307
//! and 308, and `--max-redirects` stopping a loop; checked by `redirect_paths` against a
//! server that answers only when the rules were followed.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;

use crate::support::{guest, run, run_args};

/// Answers `/login`, `/home`, `/r/{code}`, `/echo`, `/hop/…` and `/loop`.
async fn redirect_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new()
        .route("/login", post(login))
        .route("/home", get(home))
        .route("/r/{code}", post(redirect_with))
        .route("/echo", any(echo))
        .route("/hop/a", get(hop_a))
        .route("/hop/b", get(hop_b))
        .route("/hop/check", get(cookies_seen))
        .route("/loop", get(|| async { found("/loop", None) }))
        .with_state(addr);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A 302 to `location`, setting `cookie` if given.
fn found(location: &str, cookie: Option<&str>) -> Response {
    let mut response = (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response();
    if let Some(cookie) = cookie {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
}

async fn login() -> Response {
    found("/home", Some("session=s3cret; Path=/"))
}

async fn home(headers: HeaderMap) -> Response {
    match cookie_header(&headers) {
        cookies if cookies.contains("session=s3cret") => "welcome".into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn redirect_with(Path(code): Path<u16>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, [(header::LOCATION, "/echo")]).into_response()
}

async fn echo(method: Method, body: Bytes) -> String {
    format!("{method} {}", String::from_utf8_lossy(&body))
}

/// Sets `a=1` for 127.0.0.1 and sends the client on to `localhost`, another origin.
async fn hop_a(State(addr): State<SocketAddr>) -> Response {
    found(
        &format!("http://localhost:{}/hop/b", addr.port()),
        Some("a=1; Path=/"),
    )
}

/// Sets `b=2` for localhost and sends the client back to 127.0.0.1.
async fn hop_b(State(addr): State<SocketAddr>) -> Response {
    found(&format!("http://{addr}/hop/check"), Some("b=2; Path=/"))
}

async fn cookies_seen(headers: HeaderMap) -> String {
    cookie_header(&headers)
}

fn cookie_header(headers: &HeaderMap) -> String {
    headers
        .get(header::COOKIE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn redirects_follow_the_rules_of_browsers() {
    let addr = redirect_server().await;
    let flags = [
        "--iterations",
        "1",
        "--allow-host",
        "localhost",
        "--max-redirects",
        "3",
        "--quiet",
    ];
    let result = run(run_args(
        &guest("redirect_paths"),
        &format!("http://{addr}"),
        &flags,
    ))
    .await;
    let checks: Vec<&str> = result
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("Checks"))
        .skip(3)
        .take_while(|line| !line.trim().is_empty())
        .collect();
    result.assert(checks.len() == 8, "every rule was checked");
    for check in &checks {
        result.assert(
            check.trim_end().ends_with("100.00%"),
            &format!("the rule holds: {check}"),
        );
    }
    result.assert(
        result
            .stdout
            .contains("more than 3 redirects (--max-redirects)"),
        "the loop fails with the limit named",
    );
    result.assert(
        result.code == 1 && result.exceptions_containing("") == 0,
        "the one failed request (the loop) sets exit code 1, and nothing is an exception",
    );
}
