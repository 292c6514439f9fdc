//! Parallel requests (`client.batch`): one user's requests overlap at the server, each on a
//! connection of the user's own, at most six at once, and each is counted as the server
//! counted it.

use demo_api::DemoConfig;

use crate::support::{demo_server, demo_server_with, guest, run, run_args};

#[tokio::test]
async fn a_batch_loads_a_page_at_once_and_counts_each_request() {
    let server = demo_server().await;
    let flags = ["--users", "1", "--iterations", "5", "--quiet"];
    let result = run(run_args(&guest("page_load"), &server.url(), &flags)).await;
    let routes = server.traffic().requests_by_route();
    let (peak, accepted) = (
        server.traffic().connections_peak(),
        server.traffic().connections_accepted(),
    );
    let served = server.shutdown().await;
    result.assert(result.code == 0, "the run passes");
    for route in [
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/health",
        "/status",
    ] {
        result.assert(
            routes.get(route) == Some(&5),
            &format!("{route} five times, once a page: {routes:?}"),
        );
    }
    result.assert(
        result.aggregated() == (served, 0) && served == 20,
        &format!("every request counted once; the server served {served}"),
    );
    // Besides the preflight's connection (which may not be closed yet at the server).
    result.assert(
        accepted == 1 + 4 && peak >= 4,
        &format!("one user held four connections at once, one a resource, and kept them: {accepted} accepted, {peak} at once"),
    );
    result.assert(
        result.stdout.contains("a page resource loads") && result.stdout.contains("100.00%"),
        "each answer reached the scenario",
    );
}

#[tokio::test]
async fn requests_of_a_batch_overlap_six_at_a_time() {
    let server = demo_server_with(DemoConfig {
        record_arrivals: true,
        ..DemoConfig::default()
    })
    .await;
    let flags = [
        "--users",
        "1",
        "--iterations",
        "1",
        "--env",
        "STALL_MS=300",
        "--env",
        "PARALLEL=8",
        "--quiet",
    ];
    let result = run(run_args(&guest("page_load"), &server.url(), &flags)).await;
    let arrivals = server.traffic().arrivals();
    let (peak, accepted) = (
        server.traffic().connections_peak(),
        server.traffic().connections_accepted(),
    );
    let served = server.shutdown().await;
    result.assert(result.code == 0, "the run passes");
    result.assert(
        served == 8 && result.aggregated() == (8, 0),
        &format!("the eight calls, counted once each: {served}"),
    );
    // Besides the preflight's connection (which may not be closed yet at the server).
    result.assert(
        accepted == 1 + 6 && peak >= 6,
        &format!("six connections, all at once, kept for the last two: {accepted} accepted, {peak} at once"),
    );
    // The first six arrive together; the last two only after one of the six answered, a
    // stall later.
    let spread = arrivals[5].saturating_sub(arrivals[0]);
    let wait = arrivals[6].saturating_sub(arrivals[0]);
    result.assert(
        spread < std::time::Duration::from_millis(300)
            && wait >= std::time::Duration::from_millis(300),
        &format!("six overlap within a stall ({spread:?}), the seventh waits for one ({wait:?})"),
    );
}
