//! Unauthenticated endpoints and the request counter under concurrency.

use demo_api::DemoConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::Harness;

#[tokio::test]
async fn public_endpoints() {
    let mut h = Harness::start(DemoConfig::default()).await;
    assert_eq!(
        h.get("/health", None).await,
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert_eq!(
        h.get("/", None).await,
        (
            StatusCode::OK,
            json!({"message": "Welcome to the Flask API!"})
        )
    );
    assert_eq!(
        h.get("/users", None).await,
        (
            StatusCode::OK,
            json!({"users": ["Alice", "Bob", "Charlie"]})
        )
    );
    assert_eq!(
        h.get("/status", None).await,
        (StatusCode::OK, json!({"status": "healthy"}))
    );

    let (s, list) = h.get("/api/v1/products", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().expect("list").len(), 20);
    let (_, all) = h.get("/api/v1/products?limit=100", None).await;
    assert_eq!(all.as_array().expect("list").len(), 100);
    let (s, laptops) = h
        .get(
            "/api/v1/products?category=laptops&sort=price_asc&limit=50",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let laptops = laptops.as_array().expect("list");
    assert!(!laptops.is_empty());
    assert!(laptops.iter().all(|p| p["category"] == "laptops"));
    let prices: Vec<f64> = laptops
        .iter()
        .map(|p| p["price"].as_f64().expect("price"))
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "sorted by price");
    let (s, _) = h.get("/api/v1/products?category=&limit=&sort=", None).await;
    assert_eq!(s, StatusCode::OK, "empty values mean defaults");
    assert_eq!(
        h.get("/api/v1/products?limit=101", None).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        h.get("/api/v1/products?sort=cheap", None).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    for id in [1000, 1050, 1100] {
        let (s, p) = h.get(&format!("/api/v1/products/{id}"), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(p["id"], json!(id));
    }
    assert_eq!(
        h.get("/api/v1/products/999", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.get("/api/v1/products/1101", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.get("/api/v1/products/abc", None).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (s, body) = h.get("/no/such/path", None).await;
    assert_eq!(
        (s, body),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
    let res = h.send(h.req(Method::DELETE, "/health")).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_every_request_under_concurrency() {
    const USERS: u64 = 300;
    const PATHS: [(&str, StatusCode); 4] = [
        ("/health", StatusCode::OK),
        ("/api/v1/products/1042", StatusCode::OK),
        ("/api/v1/users/me", StatusCode::UNAUTHORIZED),
        ("/definitely/missing", StatusCode::NOT_FOUND),
    ];
    let h = Harness::start(DemoConfig::default()).await;
    let base = h.server.url();
    let mut tasks = Vec::new();
    for _ in 0..USERS {
        let http = h.http.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            for (path, want) in PATHS {
                let res = http
                    .get(format!("{base}{path}"))
                    .send()
                    .await
                    .expect("response");
                assert_eq!(res.status(), want, "{path}");
                res.bytes().await.expect("body");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let mut h = h;
    h.sent += USERS * PATHS.len() as u64;
    h.finish().await;
}

#[tokio::test]
async fn slow_stalls_every_nth_call() {
    let mut h = Harness::start(DemoConfig::default()).await;
    let path = "/slow?every=3&stall_ms=300";
    for call in 1..=2 {
        assert_eq!(
            h.get(path, None).await,
            (StatusCode::OK, json!({"call": call, "stalled": false}))
        );
    }
    let started = std::time::Instant::now();
    assert_eq!(
        h.get(path, None).await,
        (StatusCode::OK, json!({"call": 3, "stalled": true}))
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let (status, _) = h.get("/slow?every=0", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    h.finish().await;
}

#[tokio::test]
async fn traffic_is_counted_by_route_and_timed_when_asked() {
    let mut h = Harness::start(DemoConfig {
        record_arrivals: true,
        ..DemoConfig::default()
    })
    .await;
    for id in [1001, 1002, 1003] {
        h.get(&format!("/api/v1/products/{id}"), None).await;
    }
    h.get("/health", None).await;
    h.get("/no/such/route", None).await;
    let traffic = h.server.traffic();
    let by_route = traffic.requests_by_route();
    assert_eq!(by_route.get("/api/v1/products/{product_id}"), Some(&3));
    assert_eq!(by_route.get("/health"), Some(&1));
    assert_eq!(by_route.get(demo_api::UNMATCHED), Some(&1));
    let arrivals = traffic.arrivals();
    assert_eq!(arrivals.len(), 5);
    assert!(arrivals.windows(2).all(|pair| pair[0] <= pair[1]));
    h.finish().await;
}

#[tokio::test]
async fn connections_are_counted_while_open() {
    let mut h = Harness::start(DemoConfig::default()).await;
    for _ in 0..3 {
        h.get("/health", None).await;
    }
    let traffic = h.server.traffic();
    assert_eq!(
        traffic.connections_accepted(),
        1,
        "one keep-alive connection"
    );
    assert_eq!(traffic.connections_open(), 1);
    let other = reqwest::Client::new();
    other
        .get(format!("{}/health", h.server.url()))
        .send()
        .await
        .expect("a response");
    h.sent += 1;
    assert_eq!(traffic.connections_peak(), 2);
    drop(other);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while traffic.connections_open() != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the closed connection is counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    h.finish().await;
}
