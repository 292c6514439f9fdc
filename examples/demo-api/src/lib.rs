//! `demo-api`: a real, in-memory HTTP service that wasmload load-test scenarios run against.
//!
//! It implements the endpoints used by common Locust/FastAPI load-testing guides (JWT login,
//! catalog, orders, customer search, tickets, CSV imports, background sales reports, and the
//! Flask tutorial routes) with real validation, and counts every request it serves so tests
//! can compare the server's count with what the load tester reports.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = demo_api::DemoServer::start("127.0.0.1:0".parse().expect("addr"), Default::default()).await?;
//! println!("serving on {}", server.url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod auth;
mod catalog;
mod connections;
mod customers;
mod dates;
mod error;
mod flask;
mod imports;
mod items;
mod reports;
mod server;
mod slow;
mod state;
mod tickets;
mod traffic;
mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};
use axum::Router;

pub use server::DemoServer;
pub use traffic::{Traffic, UNMATCHED};

/// Tunables of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Lifetime of issued access tokens (rounded up to whole seconds; zero issues expired tokens).
    pub token_ttl: Duration,
    /// Inclusive range of the random delay before a requested report completes.
    pub report_delay: (Duration, Duration),
    /// Whether to keep the arrival time of every request (for tests of request timing;
    /// memory grows with the requests served).
    pub record_arrivals: bool,
    /// Whether to keep the path and query of every request in order (for tests of which
    /// rows of test data were used, and in which order; memory grows with the requests).
    pub record_paths: bool,
}

impl Default for DemoConfig {
    /// 15-minute tokens; reports complete after 200 ms..=1500 ms.
    fn default() -> Self {
        DemoConfig {
            token_ttl: Duration::from_secs(15 * 60),
            report_delay: (Duration::from_millis(200), Duration::from_millis(1500)),
            record_arrivals: false,
            record_paths: false,
        }
    }
}

/// Largest accepted upload for `POST /api/v1/imports/customers`.
const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Builds the service's router and returns it with what it will see of its traffic.
///
/// Every request through the router is counted except `GET /__stats`.
pub fn router(config: DemoConfig) -> (Router, Arc<Traffic>) {
    let traffic = Arc::new(Traffic::new(config.record_arrivals, config.record_paths));
    let state = state::Shared::new(config, Arc::clone(&traffic));
    let router = Router::new()
        .route("/health", get(flask::health))
        .route("/", get(flask::index))
        .route("/users", get(flask::users))
        .route("/status", get(flask::status))
        .route("/items/", get(items::list).post(items::create))
        .route("/slow", get(slow::stall))
        .route(traffic::STATS_PATH, get(traffic::stats))
        .route("/api/v1/products", get(catalog::list))
        .route("/api/v1/products/{product_id}", get(catalog::get))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/users/me", get(users::me))
        .route(
            "/api/v1/users/me/preferences",
            patch(users::patch_preferences),
        )
        .route("/api/v1/orders", get(users::orders))
        .route("/api/v1/notifications", get(users::notifications))
        .route("/api/v1/customers/search", get(customers::search))
        .route("/api/v1/tickets", post(tickets::create))
        .route("/api/v1/tickets/{ticket_id}", get(tickets::get))
        .route(
            "/api/v1/imports/customers",
            post(imports::create).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/api/v1/imports/{import_id}", get(imports::get))
        .route("/api/v1/reports/sales", post(reports::create))
        .route("/api/v1/reports/{report_id}/status", get(reports::status))
        .route(
            "/api/v1/reports/{report_id}/download",
            get(reports::download),
        )
        .fallback(flask::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&traffic),
            traffic::count_requests,
        ));
    (router, traffic)
}
