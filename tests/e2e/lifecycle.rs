//! How runs start and end: building a scenario crate directory, the demo command, and
//! stopping on SIGINT with the report still printed and nothing lost.

use std::time::Duration;

use crate::support::{
    demo_server, eventually, guest, guest_target_dir, run, scratch_dir, wasmload, Background, Run,
};

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

/// The demo carries its scenario and library in the binary: it runs from an empty directory
/// with no cargo, rustc or source tree to reach (an empty `PATH`, `CARGO` pointing nowhere).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_login_flow_from_any_directory_with_nothing_but_the_binary() {
    let elsewhere = scratch_dir("demo-elsewhere");
    let output = tokio::task::spawn_blocking(move || {
        let args = [
            "demo",
            "--users",
            "20",
            "--spawn-rate",
            "20",
            "--run-time",
            "3s",
        ];
        wasmload(&args)
            .current_dir(&elsewhere)
            .env_clear()
            .env("PATH", "/nonexistent")
            .env("CARGO", "/nonexistent/cargo")
            .output()
            .expect("wasmload runs")
    })
    .await
    .expect("the runner thread");
    let result = Run::from_output(output);
    result.assert(result.code == 0, "the demo exits 0");
    result.assert(!result.stderr.contains("building"), "nothing is built");
    let (requests, failures) = result.aggregated();
    result.assert(requests > 0 && failures == 0, "the demo's requests succeed");
    result.assert(
        result.row("POST", "/api/v1/auth/login") == Some((20, 0))
            && result.stdout.contains("with auth.wasm"),
        "each user logged in once through the built-in auth.wasm",
    );
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
    let auth = guest("auth").display().to_string();
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
        "--lib",
        &auth,
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
    let run = Background::spawn(&args);
    // Every user logs in first, so 100 requests mean the run is under way.
    eventually("100 requests", Duration::from_secs(60), || {
        server.requests_served() >= 100
    })
    .await;
    run.signal("-INT");
    let result = run.finish(Duration::from_secs(120)).await;
    result.assert(result.code == 0, "an interrupted clean run exits 0");
    result.assert(
        result.stdout.contains("(interrupted)"),
        "the report says why it ended",
    );
    assert_stopped_gracefully(&result, server.requests_served());
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
    assert_eq!(summary["aggregated"]["count"], result.aggregated().0);
    let page = std::fs::read_to_string(&html).expect("the HTML report");
    assert!(
        page.contains("interrupted"),
        "the HTML report says why the run ended"
    );
    server.shutdown().await;
}

/// Users finished their tasks: nothing failed or was cancelled, and the report counts every
/// request the server `served`.
fn assert_stopped_gracefully(result: &Run, served: u64) {
    let (requests, failures) = result.aggregated();
    result.assert(
        requests == served && failures == 0,
        &format!("{requests} reported, {served} served, {failures} failed"),
    );
    result.assert(
        !result.stdout.contains("cancelled") && !result.stdout.contains("cut off"),
        "no user or request was cut off",
    );
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
    let run = Background::spawn(&args);
    eventually("3 stalled calls", Duration::from_secs(60), || {
        server.requests_served() >= 3
    })
    .await;
    run.signal("-INT");
    // The second signal only counts once the first has been taken: wait for the run to say
    // it is stopping.
    eventually("the stopping message", Duration::from_secs(30), || {
        run.stderr_contains("Ctrl-C again cancels them")
    })
    .await;
    run.signal("-INT");
    // Well before the 5 minute stop timeout and the stalled calls' minute.
    let result = run.finish(Duration::from_secs(30)).await;
    result.assert(
        result.stdout.contains("(interrupted)"),
        "the report says why",
    );
    result.assert(
        result.stdout.contains(
            "3 users had not finished when another Ctrl-C or SIGTERM came and were cancelled",
        ),
        "the second signal cancelled the three users",
    );
    result.assert(
        result
            .stdout
            .contains("3 requests were cut off in flight by the stop"),
        "in-flight requests are counted as cut off",
    );
    result.assert(
        result.code == 0 && result.aggregated().1 == 0,
        "requests the stop cut off are not the server's failures",
    );
    let (requests, _) = result.aggregated();
    assert_eq!(requests, server.requests_served(), "reported vs served");
    server.shutdown().await;
}

#[tokio::test]
async fn sigterm_stops_the_run_gracefully_too() {
    let server = demo_server().await;
    let component = guest("status_checks").display().to_string();
    let url = server.url();
    let args = ["run", &component, "--host", &url, "--users", "4", "--quiet"];
    let run = Background::spawn(&args);
    eventually("4 requests", Duration::from_secs(60), || {
        server.requests_served() >= 4
    })
    .await;
    run.signal("-TERM");
    let result = run.finish(Duration::from_secs(120)).await;
    result.assert(result.code == 0, "a terminated clean run exits 0");
    result.assert(
        result.stdout.contains("(interrupted)"),
        "the report says why",
    );
    assert_stopped_gracefully(&result, server.requests_served());
    server.shutdown().await;
}

#[tokio::test]
async fn requests_cut_off_by_the_stop_count_but_fail_nothing() {
    // Every call stalls for a minute; the run stops after a second with no grace, so all
    // three users' calls are cut off in flight.
    let flags = [
        "--users",
        "3",
        "--run-time",
        "1s",
        "--stop-timeout",
        "0s",
        "--env",
        "EVERY=1",
        "--env",
        "STALL_MS=60000",
        "--quiet",
    ];
    let (result, served) = crate::support::run_against_demo("slow_calls", &flags).await;
    result.assert(result.code == 0, "a clean run stopped mid-request exits 0");
    result.assert(
        result
            .stdout
            .contains("3 users did not finish within --stop-timeout and were cancelled"),
        "the report says what cancelled the users",
    );
    let (requests, failures) = result.aggregated();
    result.assert(
        requests == served && requests == 3 && failures == 0,
        "the three cut-off requests are counted, none as a failure",
    );
    result.assert(
        result
            .stdout
            .contains("3 requests were cut off in flight by the stop"),
        "the report says so",
    );
}

/// `--iterations` ends the run when the last iteration is done, not after the users' wait:
/// `file_processing` users wait 3–6 s after each task, and the run of two tasks takes less.
#[tokio::test]
async fn the_run_ends_when_its_iterations_are_done_not_after_the_wait_that_follows() {
    let flags = ["--users", "2", "--spawn-rate", "100", "--iterations", "2"];
    let (result, served) = crate::support::run_against_demo("file_processing", &flags).await;
    result.assert(result.code == 0, "the run passes");
    result.assert(
        result.stdout.contains("2 tasks in") && result.stdout.contains("(all iterations done)"),
        "both iterations ran, and the run says why it ended",
    );
    let seconds: f64 = result
        .stdout
        .split("2 tasks in ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|number| number.parse().ok())
        .expect("the run's length in the report");
    result.assert(
        seconds < 3.0,
        &format!("the run took {seconds} s, less than the shortest wait (3 s)"),
    );
    result.assert(result.aggregated() == (served, 0), "every request counted");
}
