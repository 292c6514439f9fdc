//! The sandbox: a trapping guest is isolated and restarted, task errors are exceptions, a
//! looping guest is interrupted, and a request to a host that is not allowed is refused and
//! counted.

use crate::support::{run_against_demo, scratch_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_that_traps_is_counted_and_the_run_goes_on() {
    let flags = ["--users", "10", "--iterations", "500", "--seed", "3"];
    let (result, served) = run_against_demo("trap_random", &flags).await;
    result.assert(result.code == 3, "exceptions make exit code 3");
    let traps = result.exceptions_containing("maybe_trap: panicked at");
    result.assert(traps > 0, "traps are counted as exceptions");
    result.assert(
        result.stdout.contains("deliberate trap"),
        "the panic message is reported",
    );
    let (requests, failures) = result.aggregated();
    // Every one of the 500 tasks sends one request before it may trap, so the users went on
    // in fresh instances after each trap.
    assert_eq!(requests, 500);
    assert_eq!(failures, 0);
    result.assert(
        (60..=140).contains(&traps),
        &format!("{traps} traps: about one task in five"),
    );
    assert_eq!(requests, served, "reported vs served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_whose_task_traps_waits_before_the_next_one() {
    // Every task traps; the users wait 100 ms after each, as after any task.
    let flags = [
        "--users",
        "2",
        "--run-time",
        "2s",
        "--env",
        "TRAP_PROBABILITY=1",
        "--env",
        "WAIT_S=0.1",
        "--quiet",
    ];
    let (result, served) = run_against_demo("trap_random", &flags).await;
    let traps = result.exceptions_containing("deliberate trap");
    result.assert(
        (10..=60).contains(&traps) && served == traps,
        &format!("{traps} traps and {served} requests in 2 s of two users waiting 100 ms"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_errors_are_exceptions_without_restarting() {
    let flags = ["--users", "2", "--iterations", "20"];
    let (result, served) = run_against_demo("task_error", &flags).await;
    result.assert(result.code == 3, "exceptions make exit code 3");
    assert_eq!(result.exceptions_containing("task said no"), 20);
    assert_eq!(result.aggregated().0, served);
    // Checks table: `same instance   20   0   100.00%`.
    let same_instance = result
        .stdout
        .lines()
        .find(|line| line.starts_with("same instance"))
        .map(|line| line.split_whitespace().skip(2).take(2).collect::<Vec<_>>());
    result.assert(
        same_instance == Some(vec!["20", "0"]),
        "every task ran in the user's first instance: none restarted it",
    );
}

/// Users whose tasks fail at once, with no wait, wait on nothing: they must still leave the
/// spawner, the run's clock and the per-second series their turns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_that_fail_at_once_do_not_starve_the_run() {
    let json = scratch_dir("fail-at-once").join("run.json");
    let json_arg = json.display().to_string();
    let flags = [
        "--users",
        "20",
        "--spawn-rate",
        "100",
        "--run-time",
        "3s",
        "--env",
        "REQUEST=no",
        "--json",
        &json_arg,
    ];
    let (result, served) = run_against_demo("task_error", &flags).await;
    result.assert(result.code == 3, "exceptions make exit code 3");
    assert_eq!(served, 0, "the task sends nothing");
    result.assert(
        result.users_started() == Some(20),
        "every user started within the run",
    );
    result.assert(
        result.exceptions_containing("task said no") > 1000,
        "the users ran",
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the summary")).expect("JSON");
    let seconds = summary["timeline"].as_array().map_or(0, Vec::len);
    result.assert(
        seconds >= 3,
        &format!("a point for each second, {seconds} points"),
    );
    let elapsed = summary["outcome"]["elapsed_s"].as_f64().unwrap_or(f64::MAX);
    result.assert(
        elapsed < 4.5,
        &format!("the run stopped on time: {elapsed} s"),
    );
    // The aggregator keeps up with the exceptions instead of queueing millions of them.
    let peak = summary["cpu"]["generator_peak_rss_bytes"]
        .as_u64()
        .unwrap_or(u64::MAX);
    result.assert(
        peak < 300 << 20,
        &format!("bounded memory: {peak} bytes at peak"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_other_hosts_are_refused_and_counted() {
    let flags = ["--users", "4", "--iterations", "200", "--seed", "11"];
    let (result, served) = run_against_demo("forbidden_host", &flags).await;
    result.assert(result.code == 1, "failed requests make exit code 1");
    let (refused_count, refused_failures) = result
        .row("GET", "http://forbidden.invalid:9/")
        .expect("a row for the refused URL");
    assert_eq!(
        refused_count, refused_failures,
        "every refusal is a failure"
    );
    let (health, health_failures) = result.row("GET", "/health").expect("a /health row");
    assert_eq!(health_failures, 0);
    assert_eq!(health + refused_count, 200);
    result.assert(
        result
            .stdout
            .contains("refused: forbidden.invalid:9 is not an allowed host (allow it with --allow-host forbidden.invalid:9)"),
        "the failure names the flag that would allow it",
    );
    assert_eq!(served, health, "refused requests never leave");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_code_on_error_makes_failures_pass() {
    let flags = [
        "--iterations",
        "20",
        "--seed",
        "11",
        "--exit-code-on-error",
        "0",
    ];
    let (result, _) = run_against_demo("forbidden_host", &flags).await;
    result.assert(result.aggregated().1 > 0, "some requests were refused");
    result.assert(result.code == 0, "--exit-code-on-error 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_that_loops_is_interrupted_and_the_run_ends() {
    let flags = [
        "--users",
        "2",
        "--iterations",
        "4",
        "--task-timeout",
        "500ms",
    ];
    let (result, served) = run_against_demo("busy_loop", &flags).await;
    result.assert(result.code == 3, "interrupted guests are exceptions");
    assert_eq!(
        result.exceptions_containing(
            "spin: task timeout: the guest computed for more than 500ms without calling the host"
        ),
        4
    );
    assert_eq!(result.aggregated(), (4, 0));
    assert_eq!(served, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_that_traps_on_every_iteration_never_stops_the_run() {
    let flags = [
        "--users",
        "4",
        "--iterations",
        "100",
        "--env",
        "TRAP_PROBABILITY=1",
        "--quiet",
    ];
    let (result, served) = run_against_demo("trap_random", &flags).await;
    result.assert(result.code == 3, "exceptions make exit code 3");
    result.assert(
        result.exceptions_containing("maybe_trap: panicked at") == 100,
        "every iteration's trap is counted",
    );
    let (requests, failures) = result.aggregated();
    result.assert(
        requests == 100 && failures == 0,
        "each fresh instance sent its request before trapping",
    );
    assert_eq!(requests, served, "reported vs served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filesystem_the_environment_and_sockets_are_denied() {
    let server = crate::support::demo_server().await;
    let target = format!("TARGET_ADDR={}", server.addr());
    let args = crate::support::run_args(
        &crate::support::guest("escape_artist"),
        &server.url(),
        &[
            "--users",
            "2",
            "--iterations",
            "10",
            "--env",
            &target,
            "--quiet",
        ],
    );
    let result = crate::support::run(args).await;
    let served = server.requests_served();
    server.shutdown().await;
    result.assert(result.code == 0, "the run succeeds");
    for check in [
        "filesystem denied",
        "directories denied",
        "host environment empty",
        "sockets denied",
    ] {
        let row = result
            .stdout
            .lines()
            .find(|line| line.starts_with(check))
            .unwrap_or_default();
        let counts: Vec<&str> = row[check.len()..].split_whitespace().collect();
        result.assert(
            counts.first() == Some(&"10") && counts.get(1) == Some(&"0"),
            &format!("`{check}` held on all 10 attempts: {row}"),
        );
    }
    let (requests, _) = result.aggregated();
    assert_eq!(requests, served, "HTTP through the host still works");
}
