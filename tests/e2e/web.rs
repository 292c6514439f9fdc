//! `--web`: the live dashboard waits for Start, shows data in a real browser while the run
//! goes on, changes the user count, and stops the run.

use std::process::Stdio;
use std::time::Duration;

use crate::browser::{artifact, check_page};
use crate::support::{demo_server, free_port, guest, http, try_http, wasmload};

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
    let (status, _) = http(port, "POST", "/start?users=4&spawn_rate=20").await;
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

    let (status, _) = http(port, "POST", "/users?users=7").await;
    assert_eq!(status, 204);
    stats_until(port, "7 users", |s| {
        s["users"] == 7 && s["target_users"] == 7
    })
    .await;
    let (status, _) = http(port, "POST", "/users?users=0").await;
    assert_eq!(status, 422, "0 users is refused");

    let (status, _) = http(port, "POST", "/stop").await;
    assert_eq!(status, 204);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("wasmload stops")
        .expect("wasmload exits");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("stopped from the web dashboard"),
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
