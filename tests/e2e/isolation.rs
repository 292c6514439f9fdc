//! The sandbox: a trapping guest is isolated and restarted, task errors are exceptions, and a
//! request to a host that is not allowed is refused and counted.

use crate::support::{demo_server, guest, run, run_args};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_that_traps_is_counted_and_the_run_goes_on() {
    let server = demo_server().await;
    let args = run_args(
        &guest("trap_random"),
        &server.url(),
        &["--users", "10", "--iterations", "500", "--seed", "3"],
    );
    let result = run(args).await;
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
    result.assert(traps < 500 / 2, "about one task in five traps");
    assert_eq!(requests, server.requests_served(), "reported vs served");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_errors_are_exceptions_without_restarting() {
    let server = demo_server().await;
    let args = run_args(
        &guest("task_error"),
        &server.url(),
        &["--users", "2", "--iterations", "20"],
    );
    let result = run(args).await;
    result.assert(result.code == 3, "exceptions make exit code 3");
    assert_eq!(result.exceptions_containing("task said no"), 20);
    assert_eq!(result.aggregated().0, server.requests_served());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_other_hosts_are_refused_and_counted() {
    let server = demo_server().await;
    let args = run_args(
        &guest("forbidden_host"),
        &server.url(),
        &["--users", "4", "--iterations", "200", "--seed", "11"],
    );
    let result = run(args).await;
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
    assert_eq!(
        server.requests_served(),
        health,
        "refused requests never leave"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_code_on_error_makes_failures_pass() {
    let server = demo_server().await;
    let args = run_args(
        &guest("forbidden_host"),
        &server.url(),
        &[
            "--iterations",
            "20",
            "--seed",
            "11",
            "--exit-code-on-error",
            "0",
        ],
    );
    let result = run(args).await;
    result.assert(result.aggregated().1 > 0, "some requests were refused");
    result.assert(result.code == 0, "--exit-code-on-error 0");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_that_loops_is_interrupted_and_the_run_ends() {
    let server = demo_server().await;
    let args = run_args(
        &guest("busy_loop"),
        &server.url(),
        &[
            "--users",
            "2",
            "--iterations",
            "4",
            "--task-timeout",
            "500ms",
        ],
    );
    let result = run(args).await;
    result.assert(result.code == 3, "interrupted guests are exceptions");
    assert_eq!(
        result.exceptions_containing(
            "spin: task timeout: the guest computed for more than 500ms without calling the host"
        ),
        4
    );
    assert_eq!(result.aggregated(), (4, 0));
    assert_eq!(server.requests_served(), 4);
    server.shutdown().await;
}
