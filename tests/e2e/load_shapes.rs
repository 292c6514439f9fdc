//! Closed-model load shapes: `--stages`, a plan file and a scenario's own shape are followed,
//! and users leave a ramp-down gracefully (finishing their task and running `on_stop`).

use std::time::Duration;

use demo_api::DemoConfig;

use crate::support::{demo_server_with, guest, run, run_args, Run};

/// Runs `staged_user` with `flags` against a demo API that times each request; returns the
/// run and the server's arrival times.
async fn staged_run(flags: &[&str]) -> (Run, Vec<Duration>) {
    let server = demo_server_with(DemoConfig {
        record_arrivals: true,
        ..DemoConfig::default()
    })
    .await;
    let result = run(run_args(&guest("staged_user"), &server.url(), flags)).await;
    let arrivals = server.traffic().arrivals();
    server.shutdown().await;
    (result, arrivals)
}

/// Checks, at the server, that each user pinged about ten times a second: in the window
/// `[from, to)` seconds after the first request, about `users` × 10 requests a second came.
fn assert_server_saw_users(run: &Run, arrivals: &[Duration], windows: &[(f64, f64, u32)]) {
    let first = arrivals.first().copied().unwrap_or_default();
    for &(from, to, users) in windows {
        let seen = arrivals
            .iter()
            .map(|at| at.saturating_sub(first).as_secs_f64())
            .filter(|t| (from..to).contains(t))
            .count() as f64;
        let expected = f64::from(users) * 10.0 * (to - from);
        run.assert(
            (seen - expected).abs() <= expected * 0.3,
            &format!("{seen} requests in [{from}s, {to}s) at the server, {expected} expected of {users} users"),
        );
    }
}

/// `(seconds since start, running users)` from the scheduler's debug log.
fn user_counts(run: &Run) -> Vec<(f64, u32)> {
    run.stderr
        .lines()
        .filter_map(|line| {
            let rest = &line[line.find("users: t=")? + "users: t=".len()..];
            let (t, rest) = rest.split_once("s running=")?;
            let running = rest.split_whitespace().next()?;
            Some((t.parse().ok()?, running.parse().ok()?))
        })
        .collect()
}

/// Users running at `t`: the last count logged at or before it.
fn running_at(counts: &[(f64, u32)], t: f64) -> u32 {
    counts
        .iter()
        .take_while(|(at, _)| *at <= t)
        .last()
        .map_or(0, |(_, running)| *running)
}

/// The number after `label` in the report's header line, e.g. "started" in "(12 started, ...".
fn header_number(run: &Run, before: &str) -> u64 {
    let header = run.stdout.lines().nth(1).unwrap_or_default();
    let end = header
        .find(before)
        .unwrap_or_else(|| panic!("no `{before}` in {header:?}"));
    header[..end]
        .split(|c: char| !c.is_ascii_digit())
        .rev()
        .find(|part| !part.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before `{before}` in {header:?}"))
}

/// Passes of the check `name` in the report's checks table.
fn check_passes(run: &Run, name: &str) -> u64 {
    run.stdout
        .lines()
        .skip_while(|line| !line.starts_with("Checks"))
        .find(|line| line.starts_with(name))
        .and_then(|line| line[name.len()..].split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// No request was cut off and no exception raised, every user ran `on_stop`, and the
/// report counted every request the server saw (`arrivals`).
fn assert_graceful(run: &Run, arrivals: &[Duration]) {
    let (requests, failures) = run.aggregated();
    run.assert(
        requests == arrivals.len() as u64 && failures == 0,
        &format!("{requests} reported, {} served", arrivals.len()),
    );
    run.assert(
        !run.stdout.contains("cancelled"),
        "no request is cut off by a ramp-down",
    );
    run.assert(!run.stdout.contains("Exceptions"), "no exceptions");
    let started = header_number(run, " started");
    run.assert(
        check_passes(run, "on_stop ran") == started,
        "every user that started ran on_stop",
    );
}

#[tokio::test]
async fn stages_are_followed_and_ramp_downs_are_graceful() {
    let (run, arrivals) =
        staged_run(&["--stages", "2s:4:4,2s:8:8,2s:2:8", "--log-level", "debug"]).await;
    run.assert(run.code == 0, "the staged run succeeds");
    run.assert(
        run.stdout.contains("load shape finished"),
        "the run ends with its stages",
    );
    let counts = user_counts(&run);
    // Each stage's ramp ends well before its boundary; sample just before each boundary and
    // allow one spawn step of timing slack.
    for (boundary, planned) in [(2.0, 4), (4.0, 8), (6.0, 2)] {
        let running = running_at(&counts, boundary - 0.1);
        run.assert(
            running.abs_diff(planned) <= 1,
            &format!("{running} users at {boundary}s, planned {planned}"),
        );
    }
    run.assert(run.stdout.contains("peak 8 running"), "a peak of 8 users");
    assert_server_saw_users(
        &run,
        &arrivals,
        &[(1.0, 1.9, 4), (3.0, 3.9, 8), (5.0, 5.9, 2)],
    );
    assert_graceful(&run, &arrivals);
}

#[tokio::test]
async fn a_scenario_brings_its_own_load_shape() {
    let (run, arrivals) = staged_run(&["--log-level", "debug"]).await;
    run.assert(run.code == 0, "the shaped run succeeds");
    run.assert(
        run.stderr.contains("using the load shape of StagedUser"),
        "the guest's shape is used",
    );
    run.assert(
        run.stdout.contains("peak 8 running"),
        "the wave peaks at 8 users",
    );
    run.assert(
        run.stdout.contains("load shape finished"),
        "the shape ends the test",
    );
    let counts = user_counts(&run);
    run.assert(
        running_at(&counts, 1.9).abs_diff(4) <= 1 && running_at(&counts, 3.9).abs_diff(8) <= 1,
        "the wave's stages are followed",
    );
    assert_server_saw_users(&run, &arrivals, &[(1.0, 1.9, 4), (3.0, 3.9, 8)]);
    assert_graceful(&run, &arrivals);
}

#[tokio::test]
async fn stages_and_thresholds_come_from_a_plan_file() {
    let plan = std::env::temp_dir().join(format!("wasmload-plan-{}.toml", std::process::id()));
    std::fs::write(
        &plan,
        "thresholds = [\"error_rate<1%\"]\n\
         [[stages]]\nduration = \"1s\"\nusers = 3\nspawn-rate = 6\n\
         [[stages]]\nduration = \"1s\"\nusers = 0\n",
    )
    .expect("plan file written");
    let plan_arg = plan.display().to_string();
    let (result, arrivals) = staged_run(&["--plan", &plan_arg]).await;
    let _ = std::fs::remove_file(&plan);
    result.assert(result.code == 0, "the planned run passes its threshold");
    result.assert(
        result.stdout.contains("peak 3 running"),
        "the plan's stages are used",
    );
    result.assert(
        result.stdout.contains("load shape finished"),
        "the plan's last stage (0 users) ends the run",
    );
    result.assert(
        result
            .stdout
            .lines()
            .any(|line| line.starts_with(" error_rate<1% ") && line.ends_with(" pass")),
        "the plan's threshold is judged and passes",
    );
    assert_graceful(&result, &arrivals);
}
