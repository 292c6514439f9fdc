//! Several scenarios in one run: users split by weight, rows kept apart per scenario.
//!
//! Users 0, 1, 3, 4, 5 and 7 run `status_checks` (weight 3) and users 2 and 6 run
//! `browse_products` (weight 1). With `--seed 3` the first tasks of the `status_checks` users
//! pick all three of its endpoints and user 2's first task lists the products, and every user
//! runs its first task at once, so each row below exists whatever the timing.

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
        "--seed",
        "3",
        "--run-time",
        "2s",
        "--quiet",
        // A scope names one scenario's row as the report shows it.
        "--threshold",
        "APIUser: /users:requests>0",
        "--threshold",
        "GET FastAPIBasicUser: /api/v1/products:requests>0",
    ];
    let result = run(args.iter().map(|s| s.to_string()).collect()).await;
    let served = server.requests_served();
    let server_routes = server.traffic().requests_by_route();
    server.shutdown().await;
    result.assert(
        result.code == 0,
        "the mixed run succeeds, and its thresholds on one scenario's rows pass",
    );
    result.assert(
        result
            .stdout
            .contains("users by scenario: APIUser 6, FastAPIBasicUser 2"),
        "8 users split 3:1",
    );
    // Each row is the server's count of its route: no request of one scenario is counted
    // under the other, and none is lost.
    let routes = server_routes;
    let rows = result.rows();
    let count = |name: &str| {
        rows.iter()
            .find(|row| row.name == name)
            .map_or(0, |row| row.requests)
    };
    for (row, route) in [
        ("APIUser: /", "/"),
        ("APIUser: /users", "/users"),
        ("APIUser: /status", "/status"),
        ("FastAPIBasicUser: /health", "/health"),
        ("FastAPIBasicUser: /api/v1/products", "/api/v1/products"),
        (
            "FastAPIBasicUser: /api/v1/products/:id",
            "/api/v1/products/{product_id}",
        ),
    ] {
        let served = routes.get(route).copied().unwrap_or(0);
        result.assert(
            count(row) == served,
            &format!("row `{row}`: {} reported, {served} served", count(row)),
        );
    }
    for row in [
        "APIUser: /",
        "APIUser: /users",
        "APIUser: /status",
        "FastAPIBasicUser: /api/v1/products",
    ] {
        result.assert(
            count(row) > 0,
            &format!("the seed's first tasks reach `{row}`"),
        );
    }
    let (requests, failures) = result.aggregated();
    result.assert(
        requests == served && failures == 0,
        "every request counted once",
    );
}
