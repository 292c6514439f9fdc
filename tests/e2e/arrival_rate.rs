//! The open model: iterations start on schedule, and a stall that delays iterations shows in
//! the response time from the intended start while the service time hides it.

use std::time::Duration;

use demo_api::DemoConfig;

use crate::support::{demo_server, demo_server_with, guest, run, run_against_demo, run_args, Run};

/// The number before `label` on the report's "arrival rate:" line.
fn arrival_number(run: &Run, label: &str) -> u64 {
    let line = run
        .stdout
        .lines()
        .find(|line| line.starts_with("arrival rate:"))
        .unwrap_or_else(|| panic!("no arrival rate line in:\n{}", run.stdout));
    let end = line
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in {line}"));
    line[..end]
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before `{label}` in {line}"))
}

/// The iterations the run started and dropped, from its report's "arrival rate:" line.
fn started_and_dropped(run: &Run) -> (u64, u64) {
    (
        arrival_number(run, " iterations started"),
        arrival_number(run, " dropped"),
    )
}

/// The service and response percentiles (ms) of the Aggregated row of the open-model table:
/// svc 50/95/99/max then resp 50/95/99/max.
fn intended_start_row(run: &Run) -> Vec<f64> {
    run.stdout
        .lines()
        .skip_while(|line| !line.starts_with("Service time"))
        .find(|line| line.trim_start().starts_with("Aggregated"))
        .unwrap_or_else(|| panic!("no intended-start table in:\n{}", run.stdout))
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().expect("a number of ms"))
        .collect()
}

/// The p-th percentile of `values`, sorted in place.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() - 1) as f64 * p / 100.0).round() as usize;
    values[index]
}

/// The median and p99 iteration start lateness (ms) of the report's lateness line.
fn reported_lateness(run: &Run) -> (f64, f64) {
    let line = run
        .stdout
        .lines()
        .find(|line| line.starts_with("iteration start lateness"))
        .unwrap_or_else(|| panic!("no lateness line in:\n{}", run.stdout));
    let number_after = |label: &str| -> f64 {
        line.split(label)
            .nth(1)
            .and_then(|rest| rest.split([',', ' ']).find(|word| !word.is_empty()))
            .and_then(|word| word.parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` figure in {line}"))
    };
    (number_after("median "), number_after("p99 "))
}

#[tokio::test]
async fn a_constant_rate_starts_iterations_on_schedule() {
    // status_checks sends one request per iteration, so the server sees the schedule itself.
    const RATE: f64 = 200.0;
    let server = demo_server_with(DemoConfig {
        record_arrivals: true,
        ..DemoConfig::default()
    })
    .await;
    let flags = [
        "--rate",
        "200/s",
        "--run-time",
        "5s",
        "--max-users",
        "100",
        "--quiet",
    ];
    let run = run(run_args(&guest("status_checks"), &server.url(), &flags)).await;
    let arrivals = server.traffic().arrivals();
    server.shutdown().await;
    run.assert(run.code == 0, "the arrival-rate run succeeds");
    let started = arrival_number(&run, " iterations started");
    run.assert(
        (980..=1020).contains(&started),
        &format!("{started} iterations started, expected 1000 ± 2%"),
    );
    run.assert(arrival_number(&run, " dropped") == 0, "nothing dropped");
    let (requests, failures) = run.aggregated();
    run.assert(
        requests == arrivals.len() as u64 && failures == 0,
        "every request counted once",
    );
    // The n-th request reached the server n / RATE after the first, give or take: a
    // dispatcher that fell behind and caught up in bursts would show here.
    let first = arrivals.first().copied().unwrap_or_default();
    let mut drift_ms: Vec<f64> = arrivals
        .iter()
        .enumerate()
        .map(|(n, at)| {
            let due = first + Duration::from_secs_f64(n as f64 / RATE);
            (at.as_secs_f64() - due.as_secs_f64()).abs() * 1000.0
        })
        .collect();
    let drift_p99 = percentile(&mut drift_ms, 99.0);
    run.assert(
        drift_p99 <= 100.0,
        &format!("requests reached the server on schedule: p99 drift {drift_p99:.1} ms"),
    );
    let (median, p99) = reported_lateness(&run);
    run.assert(
        median <= 20.0 && p99 <= 100.0,
        &format!("iterations started late by median {median} ms, p99 {p99} ms"),
    );
}

#[tokio::test]
async fn a_stall_shows_from_the_intended_start_but_not_in_service_time() {
    // One user, a deep queue: every 100th call stalls 1 s, and the iterations due meanwhile
    // wait for the user.
    let (run, served) = run_against_demo(
        "slow_calls",
        &[
            "--rate",
            "100/s",
            "--run-time",
            "4s",
            "--max-users",
            "1",
            "--users",
            "1",
            "--max-queue",
            "1000",
            "--env",
            "EVERY=100",
            "--env",
            "STALL_MS=1000",
        ],
    )
    .await;
    run.assert(run.code == 0, "the run succeeds");
    run.assert(run.aggregated().0 == served, "every request counted once");
    let row = intended_start_row(&run);
    let (service_p95, service_max, response_p95) = (row[1], row[3], row[5]);
    run.assert(service_max >= 900.0, "the stalled call itself is measured");
    run.assert(
        service_p95 < 100.0,
        "the service time's p95 hides the stall",
    );
    run.assert(
        response_p95 >= 300.0,
        "the response time from the intended start shows the stall",
    );
}

#[tokio::test]
async fn a_full_pool_drops_iterations_and_counts_them() {
    let (run, served) = run_against_demo(
        "slow_calls",
        &[
            "--rate",
            "100/s",
            "--run-time",
            "3s",
            "--max-users",
            "1",
            "--users",
            "1",
            "--env",
            "EVERY=50",
            "--env",
            "STALL_MS=1000",
        ],
    )
    .await;
    run.assert(run.code == 0, "the run succeeds");
    let (started, dropped) = started_and_dropped(&run);
    run.assert(
        dropped >= 50,
        "iterations due while the only user stalls are dropped",
    );
    run.assert(
        (295..=305).contains(&(started + dropped)),
        &format!("{started} started + {dropped} dropped: every one of the 300 due is counted"),
    );
    run.assert(
        run.aggregated().0 == served && served == started,
        &format!("{served} served: one request per started iteration, none for a dropped one"),
    );
}

#[tokio::test]
async fn the_pool_grows_to_the_users_slow_iterations_need() {
    // Every call stalls 200 ms, so 50 iterations a second keep about 10 users busy at once;
    // the pool starts with one.
    let server = demo_server().await;
    let flags = [
        "--rate",
        "50/s",
        "--run-time",
        "3s",
        "--users",
        "1",
        "--max-users",
        "40",
        "--env",
        "EVERY=1",
        "--env",
        "STALL_MS=200",
        "--quiet",
    ];
    let run = run(run_args(&guest("slow_calls"), &server.url(), &flags)).await;
    let (served, connections) = (
        server.requests_served(),
        server.traffic().connections_peak(),
    );
    server.shutdown().await;
    run.assert(run.code == 0, "the run succeeds");
    let (started, dropped) = started_and_dropped(&run);
    run.assert(
        (147..=151).contains(&started) && dropped == 0,
        &format!("{started} iterations started of 150, none dropped"),
    );
    run.assert(
        served == started,
        "one request per iteration reached the server",
    );
    let pool = arrival_number(&run, " users in the pool");
    run.assert(
        (10..=20).contains(&pool),
        &format!("the pool grew to {pool} users, about the 10 the stalls keep busy"),
    );
    run.assert(
        (9..=pool).contains(&connections),
        &format!("the server had {connections} connections open at once, one per busy user"),
    );
    let (_, p99) = reported_lateness(&run);
    run.assert(
        p99 <= 100.0,
        &format!("iterations waited for the pool to grow: p99 {p99} ms late"),
    );
}

#[tokio::test]
async fn iterations_still_waiting_when_the_schedule_ends_run() {
    // 10 iterations a second for a second, then a ramp to 200/s over 100 ms: 21 in all, each
    // stalling 200 ms. The ramp's come due faster than the pool grows, and the last of them
    // still wait for a user when the schedule ends.
    let (run, served) = run_against_demo(
        "slow_calls",
        &[
            "--rate",
            "10/s",
            "--rate-stages",
            "1s:10/s,100ms:200/s",
            "--users",
            "1",
            "--env",
            "EVERY=1",
            "--env",
            "STALL_MS=200",
            "--quiet",
        ],
    )
    .await;
    run.assert(run.code == 0, "the run succeeds");
    let (started, dropped) = started_and_dropped(&run);
    run.assert(
        (started, dropped) == (21, 0),
        &format!("{started} started and {dropped} dropped of the 21 due"),
    );
    run.assert(served == 21, &format!("the server saw {served} of the 21"));
}

#[tokio::test]
async fn rate_stages_ramp_the_arrival_rate() {
    // 0 → 100/s over 1 s (50 iterations), then 100/s for 1 s (100): 150 in all.
    let server = demo_server_with(DemoConfig {
        record_arrivals: true,
        ..DemoConfig::default()
    })
    .await;
    let flags = ["--rate-stages", "1s:100/s,1s:100/s", "--quiet"];
    let run = run(run_args(&guest("status_checks"), &server.url(), &flags)).await;
    let arrivals = server.traffic().arrivals();
    server.shutdown().await;
    run.assert(run.code == 0, "the ramping run succeeds");
    run.assert(
        run.stdout.contains("load shape finished"),
        "the run ends with its rate stages",
    );
    let started = arrival_number(&run, " iterations started");
    run.assert(
        (147..=151).contains(&started),
        &format!("{started} iterations started, expected 150"),
    );
    run.assert(
        arrivals.len() as u64 == started,
        "one request per iteration reached the server",
    );
    // At the server: about 50 requests during the ramp's second, 100 during the hold's.
    let first = arrivals.first().copied().unwrap_or_default();
    let in_second = |second: u64| {
        arrivals
            .iter()
            .filter(|at| at.saturating_sub(first).as_secs() == second)
            .count()
    };
    let (ramp, hold) = (in_second(0), in_second(1));
    run.assert(
        (40..=60).contains(&ramp) && (85..=115).contains(&hold),
        &format!("{ramp} then {hold} requests a second at the server, 50 then 100 planned"),
    );
}
