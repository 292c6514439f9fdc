//! The contract grows by version: a component built against `wasmload:scenario@0.1.0` keeps
//! running on a host of 0.2.0, and what 0.2.0 adds works: a scenario's own default host,
//! and tasks in order (a whole sequential user, or a sequence as one weighted task).

use std::time::Duration;

use demo_api::DemoConfig;

use crate::support::{demo_server, demo_server_with, guest, run, wasmload, Run};

#[tokio::test]
async fn a_component_of_the_first_contract_version_still_runs() {
    let server = demo_server().await;
    let args = crate::support::run_args(
        &guest("contract_v1"),
        &server.url(),
        &["--users", "2", "--iterations", "20", "--quiet"],
    );
    let result = run(args).await;
    let routes = server.traffic().requests_by_route();
    let served = server.shutdown().await;
    result.assert(result.code == 0, "the 0.1.0 scenario passes");
    let listed = routes.get("/api/v1/products").copied().unwrap_or(0);
    result.assert(
        listed == 20 && result.row("GET", "products") == Some((20, 0)),
        &format!("20 requests under the name it chose; the server saw {listed}"),
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("every request counted once; the server served {served}"),
    );
    result.assert(
        result.stdout.contains("products are JSON") && result.stdout.contains("100.00%"),
        "its checks, read from the response's header and body, pass",
    );
    let inspected = Run::from_output(
        wasmload(&["inspect", &guest("contract_v1").display().to_string()])
            .output()
            .expect("wasmload runs"),
    );
    inspected.assert(
        inspected.code == 0
            && inspected
                .stdout
                .contains("a wasmload:scenario@0.1.0 scenario"),
        "inspect names the contract version it was built against",
    );
}

#[tokio::test]
async fn a_scenario_names_its_own_host_and_the_flag_overrides_it() {
    let server = demo_server().await;
    let scenario = guest("checkout_journey").display().to_string();
    let env = format!("DEMO_API={}", server.url());
    let flags = [
        "--users",
        "1",
        "--iterations",
        "4",
        "--quiet",
        "--env",
        &env,
    ];
    let mut args = vec!["run".to_string(), scenario.clone()];
    args.extend(flags.iter().map(ToString::to_string));
    let defaulted = run(args).await;
    let served = server.requests_served();
    defaulted.assert(defaulted.code == 0, "the run passes without --host");
    defaulted.assert(
        defaulted.stdout.contains(&format!(
            "against {}/ (the scenario's default host)",
            server.url()
        )),
        "the report says the host came from the scenario",
    );
    defaulted.assert(
        defaulted.aggregated() == (served, 0) && served > 0,
        &format!("its requests reached the scenario's host: {served}"),
    );
    // --host overrides the default: a host that does not answer is refused before the run.
    let mut args = vec![
        "run".to_string(),
        scenario.clone(),
        "--host".into(),
        "http://127.0.0.1:9".into(),
    ];
    args.extend(flags.iter().map(ToString::to_string));
    let overridden = run(args).await;
    overridden.assert(
        overridden.code == 2
            && overridden
                .stderr
                .contains("cannot reach --host http://127.0.0.1:9"),
        "--host wins over the scenario's default",
    );
    server.shutdown().await;
}

/// Runs `checkout_journey` alone, with one user, for `iterations` tasks; returns the run and
/// the paths the server saw, in order, with their arrival times.
async fn journey(order: &str, iterations: &str) -> (Run, Vec<(String, Duration)>) {
    let server = demo_server_with(DemoConfig {
        record_paths: true,
        record_arrivals: true,
        ..DemoConfig::default()
    })
    .await;
    let env = format!("ORDER={order}");
    let flags = [
        "--users",
        "1",
        "--iterations",
        iterations,
        "--seed",
        "5",
        "--env",
        &env,
        "--quiet",
    ];
    let result = run(crate::support::run_args(
        &guest("checkout_journey"),
        &server.url(),
        &flags,
    ))
    .await;
    let seen = server
        .traffic()
        .paths()
        .into_iter()
        .zip(server.traffic().arrivals())
        .collect();
    server.shutdown().await;
    (result, seen)
}

const VIEW: &str = "/api/v1/products/1001";
const ORDERS: &str = "/api/v1/orders";
const NOTIFICATIONS: &str = "/api/v1/notifications";
const BROWSE: &str = "/api/v1/products?limit=5";

#[tokio::test]
async fn a_sequential_user_runs_its_tasks_in_turn() {
    let (result, seen) = journey("sequential", "10").await;
    result.assert(result.code == 0, "the run passes");
    let paths: Vec<&str> = seen.iter().map(|(path, _)| path.as_str()).skip(1).collect();
    let cycle = [BROWSE, VIEW, ORDERS, NOTIFICATIONS];
    let expected: Vec<&str> = (0..10).map(|i| cycle[i % 4]).collect();
    result.assert(
        paths == expected,
        &format!("after the login, the four tasks in turn: {paths:?}"),
    );
}

#[tokio::test]
async fn a_sequence_runs_its_steps_in_order_with_waits_between() {
    let (result, seen) = journey("weighted", "40").await;
    result.assert(result.code == 0, "the run passes");
    let mut checkouts = 0;
    for (index, (path, at)) in seen.iter().enumerate() {
        if path != VIEW {
            continue;
        }
        checkouts += 1;
        let steps: Vec<&str> = seen[index..]
            .iter()
            .take(3)
            .map(|(path, _)| path.as_str())
            .collect();
        result.assert(
            steps == [VIEW, ORDERS, NOTIFICATIONS],
            &format!("a checkout's steps follow each other in order: {steps:?}"),
        );
        let gap = seen[index + 1].1.saturating_sub(*at);
        result.assert(
            gap >= Duration::from_millis(10),
            &format!("the user waited its wait time (10-20 ms) between steps: {gap:?}"),
        );
    }
    let browses = seen.iter().filter(|(path, _)| path == BROWSE).count();
    result.assert(
        checkouts > 0 && browses > checkouts && browses + checkouts == 40,
        &format!("40 tasks: {browses} browses (weight 3) and {checkouts} checkouts (weight 1)"),
    );
}

#[tokio::test]
async fn feeders_sequences_and_the_default_host_are_listed_by_inspect() {
    for (name, expected) in [
        (
            "shop_data",
            "reads data set `products` (give it with --data products=FILE)",
        ),
        ("checkout_journey", "default host: http://127.0.0.1:8000"),
        ("checkout_journey", "checkout"),
    ] {
        let inspected = Run::from_output(
            wasmload(&["inspect", &guest(name).display().to_string()])
                .output()
                .expect("wasmload runs"),
        );
        inspected.assert(
            inspected.code == 0
                && inspected.stdout.contains(expected)
                && inspected
                    .stdout
                    .contains("a wasmload:scenario@0.2.0 scenario"),
            &format!("inspect of {name} says: {expected}"),
        );
    }
}

#[tokio::test]
async fn a_stop_cuts_the_waits_inside_a_sequence_short() {
    let server = demo_server().await;
    let dir = crate::support::scratch_dir("sequence_stop");
    let json = format!("--json={}", dir.join("run.json").display());
    // Each wait between the checkout's steps is 30-60 s; the run stops after one second and
    // lets a task finish within ten.
    let flags = [
        "--users",
        "1",
        "--run-time",
        "1s",
        "--stop-timeout",
        "10s",
        "--env",
        "ORDER=checkout",
        "--env",
        "WAIT_S=30",
        "--quiet",
        &json,
    ];
    let result = run(crate::support::run_args(
        &guest("checkout_journey"),
        &server.url(),
        &flags,
    ))
    .await;
    let routes = server.traffic().requests_by_route();
    server.shutdown().await;
    result.assert(result.code == 0, "the run passes");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("JSON"))
            .expect("a summary");
    result.assert(
        summary["outcome"]["users_cancelled"] == 0,
        "the user finished its task instead of being cut off at the stop timeout",
    );
    for route in ["/api/v1/orders", "/api/v1/notifications"] {
        result.assert(
            routes.get(route) == Some(&1),
            &format!("the sequence's later steps ran, without their waits: {routes:?}"),
        );
    }
}
