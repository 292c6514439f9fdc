//! Test-wide setup and teardown: the setup runs once whatever the number of users and its
//! result reaches every user; the teardown runs once at the end, also after Ctrl-C; both are
//! recorded under their own names and counted by the server; a failing setup stops the run
//! before it begins.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::{demo_server, eventually, guest, Background};

const PROFILE: &str = "/api/v1/users/me";
const LOGIN: &str = "/api/v1/auth/login";

/// Runs `shared_token` with `flags` against a fresh demo API; returns the run, the server's
/// requests by route, and all it served.
async fn shared_token(flags: &[&str]) -> (crate::support::Run, BTreeMap<String, u64>, u64) {
    let server = demo_server().await;
    let args = crate::support::run_args(&guest("shared_token"), &server.url(), flags);
    let result = crate::support::run(args).await;
    let routes = server.traffic().requests_by_route();
    let served = server.shutdown().await;
    (result, routes, served)
}

#[tokio::test]
async fn the_setup_runs_once_for_all_users_and_the_teardown_once_at_the_end() {
    let flags = [
        "--users",
        "6",
        "--spawn-rate",
        "100",
        "--iterations",
        "60",
        "--quiet",
    ];
    let (result, routes, served) = shared_token(&flags).await;
    result.assert(result.code == 0, "the run passes");
    let logins = routes.get(LOGIN).copied().unwrap_or(0);
    let profiles = routes.get(PROFILE).copied().unwrap_or(0);
    result.assert(
        logins == 1 && result.row("POST", &format!("setup: {LOGIN}")) == Some((1, 0)),
        &format!("one login, by the setup, for six users; the server saw {logins}"),
    );
    result.assert(
        result.row("GET", PROFILE) == Some((60, 0))
            && result.row("GET", &format!("teardown: {PROFILE}")) == Some((1, 0))
            && profiles == 61,
        &format!(
            "60 profile reads with the shared token, and the teardown's; the server saw {profiles}"
        ),
    );
    result.assert(
        result.stdout.contains("the shared token works at the end"),
        "the teardown read what the setup returned",
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("every request counted once; the server served {served}"),
    );
}

#[tokio::test]
async fn the_teardown_runs_after_ctrl_c() {
    let server = demo_server().await;
    let (scenario, url) = (guest("shared_token").display().to_string(), server.url());
    let args = [
        "run",
        &scenario,
        "--host",
        &url,
        "--users",
        "4",
        "--run-time",
        "5m",
        "--quiet",
    ];
    let run = Background::spawn(&args);
    eventually("20 requests", Duration::from_secs(60), || {
        server.requests_served() >= 20
    })
    .await;
    run.signal("-INT");
    let result = run.finish(Duration::from_secs(120)).await;
    let served = server.shutdown().await;
    result.assert(
        result.code == 0 && result.stdout.contains("(interrupted)"),
        "an interrupted run exits 0",
    );
    result.assert(
        result.row("GET", &format!("teardown: {PROFILE}")) == Some((1, 0)),
        "the teardown ran after the interruption",
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("its request is counted with the rest; the server served {served}"),
    );
}

#[tokio::test]
async fn a_failing_setup_stops_the_run_before_it_begins() {
    let server = demo_server().await;
    let flags = ["--users", "3", "--env", "OPS_PASSWORD=wrong", "--quiet"];
    let args = crate::support::run_args(&guest("shared_token"), &server.url(), &flags);
    let result = crate::support::run(args).await;
    let routes = server.traffic().requests_by_route();
    server.shutdown().await;
    result.assert(
        result.code == 3
            && result.stderr.contains(
                "its setup failed, so the run did not start: the setup's login failed: 401",
            ),
        "one line naming the setup's error, exit 3",
    );
    result.assert(
        routes.get(LOGIN) == Some(&1) && !routes.contains_key(PROFILE),
        &format!("the setup's login, and no user started: {routes:?}"),
    );
}

#[tokio::test]
async fn a_run_in_worker_processes_runs_its_setup_and_teardown_once() {
    let flags = [
        "--processes",
        "2",
        "--users",
        "4",
        "--spawn-rate",
        "100",
        "--iterations",
        "40",
        "--quiet",
    ];
    let (result, routes, served) = shared_token(&flags).await;
    result.assert(result.code == 0, "the run passes");
    result.assert(
        routes.get(LOGIN) == Some(&1) && routes.get(PROFILE) == Some(&41),
        &format!("one login and one teardown for both workers' users: {routes:?}"),
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("the whole run's report counts every request once: {served}"),
    );
}
