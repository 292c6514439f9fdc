//! How runs start and end: building a scenario crate directory, the demo command, and
//! stopping on SIGINT with the report still printed and nothing lost.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{demo_server, guest, guest_target_dir, run, wasmload, workspace};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_crate_directory_is_built_and_run() {
    guest("status_checks");
    let server = demo_server().await;
    let args = vec![
        "run".into(),
        "scripts/status_checks".into(),
        "--host".into(),
        server.url(),
        "--iterations".into(),
        "12".into(),
        "--users".into(),
        "3".into(),
    ];
    let result = run(args).await;
    result.assert(result.code == 0, "the built scenario runs");
    result.assert(
        result
            .stdout
            .contains(&guest_target_dir().display().to_string()),
        "the report names the component that was built",
    );
    assert_eq!(result.aggregated().0, 12);
    assert_eq!(server.requests_served(), 12);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_login_flow_against_the_bundled_api() {
    guest("login_flow");
    let args = [
        "demo",
        "--users",
        "20",
        "--spawn-rate",
        "20",
        "--run-time",
        "3s",
    ]
    .map(String::from)
    .to_vec();
    let result = run(args).await;
    result.assert(result.code == 0, "the demo exits 0");
    let (requests, failures) = result.aggregated();
    assert_eq!(failures, 0);
    result.assert(
        result
            .stdout
            .contains(&format!("demo API served {requests} requests")),
        "the demo API served exactly what was reported",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_the_run_gracefully_and_it_still_reports() {
    let server = demo_server().await;
    let component = guest("login_flow").display().to_string();
    let url = server.url();
    let out = crate::support::scratch_dir("sigint");
    let csv_prefix = out.join("run").display().to_string();
    let json = out.join("run.json");
    let json_arg = json.display().to_string();
    let html = out.join("run.html");
    let html_arg = html.display().to_string();
    let args = [
        "run",
        &component,
        "--host",
        &url,
        "--users",
        "50",
        "--spawn-rate",
        "50",
        "--csv",
        &csv_prefix,
        "--json",
        &json_arg,
        "--html",
        &html_arg,
    ];
    // Every user logs in first, so 100 requests mean the run is under way.
    let output = run_then_signal(&server, &args, 100, &["-INT"], Duration::from_secs(120)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("(interrupted)"), "{stdout}");
    let requests: u64 = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("Aggregated"))
        .and_then(|row| {
            row.split('|')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .expect("an Aggregated row");
    assert_eq!(requests, server.requests_served(), "reported vs served");
    for suffix in [
        "_stats.csv",
        "_stats_history.csv",
        "_failures.csv",
        "_exceptions.csv",
    ] {
        assert!(
            out.join(format!("run{suffix}")).is_file(),
            "run{suffix} written"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON summary"))
            .expect("valid JSON");
    assert_eq!(summary["outcome"]["reason"], "interrupted");
    assert!(html.is_file(), "the HTML report is written");
    assert_eq!(summary["aggregated"]["count"], requests);
    assert!(workspace().exists());
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_sigint_cancels_at_once_and_still_reports() {
    let server = demo_server().await;
    let component = guest("slow_calls").display().to_string();
    let url = server.url();
    // Every call stalls for a minute, so after the first signal the users are still waiting
    // on their requests when the second arrives.
    let args = [
        "run",
        &component,
        "--host",
        &url,
        "--users",
        "3",
        "--stop-timeout",
        "5m",
        "--env",
        "EVERY=1",
        "--env",
        "STALL_MS=60000",
        "--quiet",
    ];
    // Well before the 5 minute stop timeout and the stalled calls' minute.
    let output = run_then_signal(
        &server,
        &args,
        3,
        &["-INT", "-INT"],
        Duration::from_secs(30),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("(interrupted)"), "{stdout}");
    assert!(
        stdout.contains("3 users did not finish within --stop-timeout and were cancelled"),
        "{stdout}"
    );
    assert!(
        stdout.contains("cancelled: the run stopped before the response arrived"),
        "in-flight requests are counted as cancelled: {stdout}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn sigterm_stops_the_run_gracefully_too() {
    let server = demo_server().await;
    let component = guest("status_checks").display().to_string();
    let url = server.url();
    let args = ["run", &component, "--host", &url, "--users", "4", "--quiet"];
    let output = run_then_signal(&server, &args, 4, &["-TERM"], Duration::from_secs(120)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("(interrupted)"), "{stdout}");
    server.shutdown().await;
}

/// Starts `wasmload` with `args`, waits until `server` has served `served` requests (the run
/// is under way, with no run time set), sends each of `signals` (300 ms apart) and returns
/// what the process printed, waiting at most `within` for it to exit.
async fn run_then_signal(
    server: &demo_api::DemoServer,
    args: &[&str],
    served: u64,
    signals: &[&str],
    within: std::time::Duration,
) -> std::process::Output {
    let child = tokio::process::Command::from(wasmload(args))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wasmload starts");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.requests_served() < served {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run never got going"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let pid = child.id().expect("a pid").to_string();
    for (index, signal) in signals.iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        let killed = std::process::Command::new("kill")
            .args([signal, pid.as_str()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
    }
    tokio::time::timeout(within, child.wait_with_output())
        .await
        .expect("wasmload exits in time")
        .expect("wasmload exits")
}
