//! Several scenarios in one run: users split by weight, rows kept apart per scenario.

use crate::support::{demo_server, guest, run};

#[tokio::test]
async fn users_are_split_by_weight_and_rows_stay_apart() {
    let server = demo_server().await;
    let status = format!("{}:3", guest("status_checks").display());
    let browse = format!("{}:1", guest("browse_products").display());
    let args = [
        "run",
        &status,
        &browse,
        "--host",
        &server.url(),
        "--users",
        "8",
        "--run-time",
        "2s",
    ];
    let result = run(args.iter().map(|s| s.to_string()).collect()).await;
    let served = server.requests_served();
    server.shutdown().await;
    result.assert(result.code == 0, "the mixed run succeeds");
    result.assert(
        result
            .stdout
            .contains("users by scenario: APIUser 6, FastAPIBasicUser 2"),
        "8 users split 3:1",
    );
    let rows: Vec<&str> = result
        .stdout
        .lines()
        .take_while(|line| !line.starts_with("Response time percentiles"))
        .collect();
    result.assert(
        rows.iter().any(|line| line.contains("APIUser: /status")),
        "status_checks rows carry their user's name",
    );
    result.assert(
        rows.iter()
            .any(|line| line.contains("FastAPIBasicUser: /api/v1/products")),
        "browse_products rows carry their user's name",
    );
    let (requests, failures) = result.aggregated();
    result.assert(
        requests == served && failures == 0,
        "every request counted once",
    );
}
