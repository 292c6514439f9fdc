//! `--web`: the live dashboard waits for Start, shows data in a real browser while the run
//! goes on, changes the user count, and stops the run.

use std::process::Stdio;
use std::time::Duration;

use crate::browser::{artifact, check_page};
use crate::support::{demo_server, free_port, guest, http_with, run, try_http, wasmload};

/// A control as the dashboard's page sends it: a JSON body, from its own origin.
async fn control(port: u16, path: &str, body: &str) -> u16 {
    let headers = [("Host", "localhost"), ("Content-Type", "application/json")];
    http_with(port, "POST", path, &headers, body).await.0
}

/// Polls `GET /stats` until `ready` holds for the snapshot, for at most 30 s.
async fn stats_until(port: u16, what: &str, ready: impl Fn(&serde_json::Value) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some((200, body))) =
            tokio::time::timeout(Duration::from_secs(5), try_http(port, "GET", "/stats")).await
        {
            let snapshot: serde_json::Value = serde_json::from_str(&body).expect("JSON stats");
            if ready(&snapshot) {
                return;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "never saw {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_dashboard_starts_shows_changes_and_stops_the_run() {
    let server = demo_server().await;
    let port = free_port();
    let (component, url) = (guest("status_checks").display().to_string(), server.url());
    let addr = format!("127.0.0.1:{port}");
    let child = tokio::process::Command::from(wasmload(&[
        "run", &component, "--host", &url, "--web", &addr, "--quiet",
    ]))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("wasmload starts");

    stats_until(port, "the run waiting for Start", |s| {
        s["state"] == "waiting"
    })
    .await;
    assert_eq!(server.requests_served(), 0, "nothing runs before Start");
    let status = control(port, "/start", r#"{"users": 4, "spawn_rate": 20}"#).await;
    assert_eq!(status, 204);
    stats_until(port, "4 users", |s| {
        s["state"] == "running" && s["users"] == 4
    })
    .await;

    let page = format!("http://{addr}/");
    let printed = tokio::task::spawn_blocking(move || {
        check_page(&page, &artifact("live-dashboard.png"), &["requests"], 3)
    })
    .await
    .expect("the page check");
    assert!(printed.contains("chart-users="), "{printed}");

    refuses_what_other_sites_send(port).await;
    let status = control(port, "/users", r#"{"users": 7}"#).await;
    assert_eq!(status, 204);
    stats_until(port, "7 users", |s| {
        s["users"] == 7 && s["target_users"] == 7
    })
    .await;
    let status = control(port, "/users", r#"{"users": 0}"#).await;
    assert_eq!(status, 422, "0 users is refused");

    let status = control(port, "/stop", "{}").await;
    assert_eq!(status, 204);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("wasmload stops")
        .expect("wasmload exits");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("stopped by hand: the dashboard's Stop"),
        "{stdout}"
    );
    assert!(stdout.contains("peak 7 running"), "{stdout}");
    let (requests, _) = crate::support::Run {
        code: 0,
        stdout: stdout.into_owned(),
        stderr: String::new(),
    }
    .aggregated();
    assert_eq!(requests, server.requests_served(), "reported vs served");
    server.shutdown().await;
}

/// What a cross-site form, another site's script or a rebound DNS name sends is refused,
/// and the run goes on as it was.
async fn refuses_what_other_sites_send(port: u16) {
    let form = [
        ("Host", "localhost"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let (status, _) = http_with(port, "POST", "/stop", &form, "").await;
    assert_eq!(status, 415, "a cross-site form cannot stop the run");
    let (status, _) = http_with(port, "POST", "/users?users=9", &form, "users=9").await;
    assert_eq!(status, 415, "nor change its users");
    let json_from_elsewhere = [
        ("Host", "localhost"),
        ("Origin", "http://evil.example"),
        ("Content-Type", "application/json"),
    ];
    let (status, _) = http_with(port, "POST", "/stop", &json_from_elsewhere, "{}").await;
    assert_eq!(status, 403, "a control from another origin is refused");
    let (status, _) = http_with(port, "GET", "/stats", &[("Host", "evil.example")], "").await;
    assert_eq!(status, 403, "a rebound DNS name cannot read the stats");
    stats_until(port, "the run unchanged", |s| {
        s["state"] == "running" && s["target_users"] == 4
    })
    .await;
}

#[tokio::test]
async fn a_dashboard_beyond_loopback_needs_credentials_and_checks_them() {
    let server = demo_server().await;
    let component = guest("status_checks").display().to_string();
    let port = free_port();
    let open_addr = format!("0.0.0.0:{port}");
    let base = ["run", &component, "--host", &server.url(), "--quiet"];
    let open = [&base[..], &["--run-time", "1s", "--web", &open_addr]].concat();
    let refused = run(open.iter().map(|arg| arg.to_string()).collect()).await;
    refused.assert(
        refused.code == 2 && refused.stderr.contains("give --web-auth USER:PASSWORD"),
        "an open dashboard without credentials is refused before the run",
    );
    let guarded = [
        &base[..],
        &["--web", &open_addr, "--web-auth", "ops:secret"],
    ]
    .concat();
    let child = tokio::process::Command::from(wasmload(&guarded))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wasmload starts");
    let host = format!("127.0.0.1:{port}");
    let anonymous = [("Host", host.as_str())];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut status = 0;
    while status != 401 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = try_http_as(port, &anonymous).await;
    }
    assert_eq!(status, 401, "no credentials, no stats");
    let wrong = [
        ("Host", host.as_str()),
        ("Authorization", "Basic b3BzOndyb25n"),
    ];
    assert_eq!(
        try_http_as(port, &wrong).await,
        401,
        "wrong credentials, no stats"
    );
    let right = [
        ("Host", host.as_str()),
        ("Authorization", "Basic b3BzOnNlY3JldA=="),
    ];
    assert_eq!(
        try_http_as(port, &right).await,
        200,
        "the right credentials read the stats"
    );
    let stop = [&right[..], &[("Content-Type", "application/json")]].concat();
    let (status, _) = http_with(port, "POST", "/start", &stop, r#"{"users": 1}"#).await;
    assert_eq!(status, 204);
    let (status, _) = http_with(port, "POST", "/stop", &stop, "{}").await;
    assert_eq!(status, 204);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("wasmload stops")
        .expect("wasmload exits");
    assert_eq!(output.status.code(), Some(0));
    server.shutdown().await;
}

/// The status of `GET /stats` with `headers`, 0 when nothing answers yet.
async fn try_http_as(port: u16, headers: &[(&str, &str)]) -> u16 {
    let request = crate::support::try_http_with(port, "GET", "/stats", headers, "");
    match tokio::time::timeout(Duration::from_secs(5), request).await {
        Ok(Some((status, _))) => status,
        _ => 0,
    }
}
