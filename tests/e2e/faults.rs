//! A target that misbehaves: resets mid-body, broken chunked encoding, stalls past the
//! timeout, 5xx, TLS spoken to a plain port, and a server killed mid-run and restarted. The
//! run goes on, each failure is counted under its endpoint with a clear message, and the
//! requests the server saw plus those that never reached it equal what wasmload reports.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use demo_api::{DemoConfig, DemoServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{eventually, free_port, guest, run, run_args, try_http, Background, Run};

/// Serves one fault per path over raw TCP and counts the HTTP requests it read.
async fn fault_server() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_connection(stream, Arc::clone(&counter)));
        }
    });
    (addr, seen)
}

async fn serve_connection(mut stream: TcpStream, seen: Arc<AtomicU64>) {
    let mut buffer = Vec::new();
    loop {
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
            if buffer.first() == Some(&0x16) {
                // A TLS handshake on this plain port: answer in plain HTTP, as a
                // misconfigured server would.
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                return;
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        buffer.drain(..head_end);
        let Some(path) = head.split_whitespace().nth(1).map(str::to_string) else {
            return;
        };
        seen.fetch_add(1, Ordering::SeqCst);
        let written = match path.as_str() {
            "/ok" => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await
            }
            "/error" => {
                stream
                    .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy")
                    .await
            }
            "/reset" => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\npartial")
                    .await;
                let _ = stream.set_zero_linger();
                return;
            }
            "/bad-chunked" => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nnot-hex\r\n")
                    .await;
                return;
            }
            "/stall" => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                return;
            }
            _ => {
                stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    .await
            }
        };
        if written.is_err() {
            return;
        }
    }
}

/// `# fails` and `# reqs` of every row, by name.
fn rows(run: &Run) -> BTreeMap<String, (u64, u64)> {
    run.stdout
        .lines()
        .take_while(|line| !line.starts_with("Response time percentiles"))
        .filter(|line| line.starts_with("GET "))
        .filter_map(|line| {
            let name = line.split_whitespace().nth(1)?.to_string();
            let (before, _) = line.split_once('|')?;
            let fields: Vec<&str> = before.split_whitespace().collect();
            let requests = fields.get(fields.len().checked_sub(2)?)?.parse().ok()?;
            let failures = fields.last()?.split('(').next()?.parse().ok()?;
            Some((name, (requests, failures)))
        })
        .collect()
}

/// Occurrences of failures whose line contains all of `parts`.
fn failures_with(run: &Run, parts: &[&str]) -> u64 {
    run.stdout
        .lines()
        .skip_while(|line| !line.starts_with("Error report"))
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn every_kind_of_target_fault_is_counted_under_its_endpoint() {
    let (addr, seen) = fault_server().await;
    let host = format!("http://{addr}");
    let tls_url = format!("https://{addr}/tls");
    let tls_env = format!("TLS_URL={tls_url}");
    let allow = format!("https://{addr}");
    let result = run(run_args(
        &guest("fault_paths"),
        &host,
        &[
            "--users",
            "4",
            "--run-time",
            "3s",
            "--request-timeout",
            "500ms",
            "--seed",
            "5",
            "--env",
            &tls_env,
            "--allow-host",
            &allow,
            "--quiet",
        ],
    ))
    .await;
    result.assert(result.code == 1, "failed requests exit 1");
    result.assert(!result.stderr.contains("panicked"), "no panic");
    result.assert(
        result.exceptions_containing("") == 0,
        "a target's faults are failed requests, not exceptions",
    );
    let rows = rows(&result);
    let row = |name: &str| rows.get(name).copied().unwrap_or_default();
    result.assert(
        row("/ok").0 > 0 && row("/ok").1 == 0,
        "healthy calls succeed",
    );
    for name in ["/reset", "/bad-chunked", "/stall", "/error"] {
        let (requests, failures) = row(name);
        result.assert(
            requests > 0 && failures == requests,
            &format!("every {name} call fails under its own row"),
        );
    }
    let (tls_requests, tls_failures) = row(&tls_url);
    result.assert(
        tls_requests > 0 && tls_failures == tls_requests,
        "TLS calls fail",
    );
    result.assert(
        failures_with(&result, &["/stall", "timed out"]) == row("/stall").0,
        "stalls fail as timeouts",
    );
    result.assert(
        failures_with(&result, &["/error", "HTTP 503 Service Unavailable"]) == row("/error").0,
        "5xx answers fail with their status",
    );
    result.assert(
        failures_with(&result, &["/reset", "transport error"]) == row("/reset").0,
        "resets fail as transport errors",
    );
    result.assert(
        failures_with(&result, &["/bad-chunked", "transport error"]) == row("/bad-chunked").0,
        "broken chunking fails as a transport error",
    );
    result.assert(
        failures_with(&result, &[tls_url.as_str(), "connection failed"]) == tls_requests,
        "TLS failures are connection failures",
    );
    // The server read every HTTP request; the TLS handshakes never became one.
    let (total, _) = result.aggregated();
    assert_eq!(
        total,
        seen.load(Ordering::SeqCst) + tls_requests,
        "seen + never sent"
    );
}

/// The sum of a counter family in the Prometheus text of `port`, or 0 before it answers.
async fn counter_total(port: u16, metric: &str) -> f64 {
    let Some((200, text)) = try_http(port, "GET", "/metrics").await else {
        return 0.0;
    };
    text.lines()
        .filter(|line| line.starts_with(metric))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn a_server_killed_and_restarted_mid_run_loses_nothing() {
    let server = DemoServer::start(([127, 0, 0, 1], 0).into(), DemoConfig::default())
        .await
        .expect("the demo API starts");
    let (url, addr) = (server.url(), server.addr());
    let (component, port) = (guest("seeded_choices").display().to_string(), free_port());
    let metrics = format!("127.0.0.1:{port}");
    let run = Background::spawn(&[
        "run",
        &component,
        "--host",
        &url,
        "--users",
        "4",
        "--prometheus",
        &metrics,
        "--quiet",
    ]);
    eventually(
        "20 requests before the kill",
        Duration::from_secs(60),
        || server.requests_served() >= 20,
    )
    .await;
    let served_before = server.shutdown().await;
    // Down until wasmload has counted refused requests, as its /metrics shows.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while counter_total(port, "wasmload_request_failures_total").await < 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no request failed while down"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let restarted = DemoServer::start(addr, DemoConfig::default())
        .await
        .expect("the demo API restarts on the same port");
    eventually(
        "20 requests after the restart",
        Duration::from_secs(60),
        || restarted.requests_served() >= 20,
    )
    .await;
    run.signal("-INT");
    let result = run.finish(Duration::from_secs(60)).await;
    let served_after = restarted.shutdown().await;
    // The guest's tasks return the failed sends as errors: failed requests, not exceptions.
    result.assert(
        result.code == 1,
        "refused requests are failed requests: exit code 1",
    );
    result.assert(!result.stderr.contains("panicked"), "no panic");
    result.assert(
        result.exceptions_containing("") == 0,
        "no exception: the scenario is not to blame",
    );
    result.assert(
        result
            .stdout
            .contains("tasks ended early because one of their requests failed"),
        "the report says how many tasks a failed request cut short",
    );
    let (total, failures) = result.aggregated();
    result.assert(
        failures_with(&result, &["connection failed"]) > 0,
        "requests made while the server was down are refused connections",
    );
    // Each failure is a request the server never answered; every other one it served.
    assert_eq!(
        total - failures,
        served_before + served_after,
        "reported successes vs requests the two servers served"
    );
}
