//! Budgets and hostile guests: a guest that outgrows `--vu-memory` or floods the log harms
//! only itself, and every request is still counted once.

use crate::support::run_against_demo;

#[tokio::test]
async fn a_memory_bomb_hits_its_budget_and_restarts() {
    let (run, served) = run_against_demo(
        "memory_bomb",
        &[
            "--vu-memory",
            "16MiB",
            "--users",
            "2",
            "--run-time",
            "3s",
            "--quiet",
        ],
    )
    .await;
    run.assert(run.code == 3, "exceptions exit 3");
    let traps = run.exceptions_containing("memory allocation of 1048576 bytes failed");
    run.assert(traps >= 2, "each user ran out of memory and was counted");
    run.assert(
        run.stdout.contains("limited to 16.0 MiB by --vu-memory"),
        "the message names the budget and the flag",
    );
    let (requests, failures) = run.aggregated();
    run.assert(
        requests > traps * 5 && failures == 0,
        "the users go on in fresh instances after each trap",
    );
    assert_eq!(requests, served, "reported vs served");
}

#[tokio::test]
async fn a_guest_flooding_the_log_only_slows_itself() {
    let (run, served) = run_against_demo(
        "log_flood",
        &["--users", "2", "--run-time", "2s", "--quiet"],
    )
    .await;
    run.assert(run.code == 0, "a noisy guest is not an error");
    let (requests, failures) = run.aggregated();
    run.assert(requests > 0 && failures == 0, "the requests go on");
    assert_eq!(requests, served, "reported vs served");
    run.assert(
        run.stderr.contains("[vu 0] log line 999") && run.stderr.contains("stdout line 999"),
        "guest output reaches the log with the user's id",
    );
    let guest_seconds: f64 = run
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("cpu: guest code LogFlood "))
        .and_then(|rest| rest.split('s').next()?.parse().ok())
        .unwrap_or(0.0);
    run.assert(
        guest_seconds > 0.1,
        "the noisy guest's CPU time is reported",
    );
}
