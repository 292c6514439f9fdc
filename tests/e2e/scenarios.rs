//! Each guide journey in `scripts/` runs against the demo API with no failures, and every
//! request row the journey names shows up.

use crate::support::run_against_demo;

/// Runs `scenario` with enough users and time for every task to be picked, and checks the
/// rows, the failure count and the server's count.
async fn runs_cleanly(scenario: &str, users: &str, run_time: &str, rows: &[(&str, &str)]) {
    let flags = ["--users", users, "--run-time", run_time, "--seed", "7"];
    let (result, served) = run_against_demo(scenario, &flags).await;
    result.assert(result.code == 0, "the run should exit 0");
    let (requests, failures) = result.aggregated();
    result.assert(failures == 0, "no request should fail");
    result.assert(
        !result.stdout.contains("Exceptions"),
        "no exception should be raised",
    );
    for (method, name) in rows {
        let row = result.row(method, name);
        result.assert(
            row.is_some_and(|(count, _)| count > 0),
            &format!("a {method} {name} row should have requests"),
        );
    }
    assert_eq!(requests, served, "reported vs served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_products() {
    runs_cleanly(
        "browse_products",
        "30",
        "5s",
        &[
            ("GET", "/health"),
            ("GET", "/api/v1/products"),
            ("GET", "/api/v1/products/:id"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_flow() {
    runs_cleanly(
        "login_flow",
        "40",
        "5s",
        &[
            ("POST", "/api/v1/auth/login"),
            ("GET", "/api/v1/users/me"),
            ("GET", "/api/v1/orders"),
            ("GET", "/api/v1/notifications"),
            ("POST", "/api/v1/auth/refresh"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_workflow() {
    runs_cleanly(
        "ticket_workflow",
        "40",
        "6s",
        &[
            ("POST", "/api/v1/auth/login"),
            ("GET", "/api/v1/customers/search"),
            ("POST", "/api/v1/tickets"),
            ("PATCH", "/api/v1/users/me/preferences"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_processing() {
    runs_cleanly(
        "file_processing",
        "40",
        "6s",
        &[
            ("POST", "/api/v1/auth/login"),
            ("POST", "/api/v1/imports/customers"),
            ("POST", "/api/v1/reports/sales"),
            ("GET", "/api/v1/reports/:id/status"),
            ("GET", "/api/v1/reports/:id/download"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_checks() {
    let flags = ["--users", "20", "--run-time", "4s", "--seed", "7"];
    let (result, served) = run_against_demo("status_checks", &flags).await;
    result.assert(result.code == 0, "the run should exit 0");
    result.assert(result.aggregated().1 == 0, "no request should fail");
    for name in ["/", "/users", "/status"] {
        result.assert(
            result.row("GET", name).is_some(),
            &format!("a GET {name} row"),
        );
    }
    result.assert(
        result.stdout.contains("Checks"),
        "the checks table is shown",
    );
    assert_eq!(result.aggregated().0, served);
}
