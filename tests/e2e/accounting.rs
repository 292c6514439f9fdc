//! Nothing is lost or double counted: what wasmload reports equals what the server served.

use crate::support::run_against_demo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_users_for_five_seconds_are_counted_exactly() {
    let flags = ["--users", "200", "--spawn-rate", "200", "--run-time", "5s"];
    let (result, served) = run_against_demo("login_flow", &flags).await;
    result.assert(result.code == 0, "the run should exit 0");
    let (requests, failures) = result.aggregated();
    result.assert(requests > 400, "200 users should make hundreds of requests");
    assert_eq!(failures, 0);
    assert_eq!(requests, served, "reported vs served");
    // Off a terminal, the live view prints a plain status line every 5 s and at the end.
    result.assert(
        result
            .stderr
            .lines()
            .any(|line| line.contains("users 200/200 |") && line.contains("req/s")),
        "a status line with the users and the request rate",
    );
}
