//! What the server saw, so tests can compare a load tester's numbers with the server's own:
//! every request counted (in all and by route), the arrival time of each when asked for, the
//! connections accepted and held, and `GET /__stats`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use crate::state::AppState;

/// The path of the stats endpoint, which is itself never counted.
pub(crate) const STATS_PATH: &str = "/__stats";
/// The route name of requests that matched no route.
pub const UNMATCHED: &str = "(unmatched)";

/// The requests the server has seen.
#[derive(Debug)]
pub struct Traffic {
    started: Instant,
    requests: AtomicU64,
    by_route: Mutex<BTreeMap<String, u64>>,
    arrivals: Option<Mutex<Vec<Instant>>>,
    paths: Option<Mutex<Vec<String>>>,
    connections_accepted: AtomicU64,
    connections_open: AtomicU64,
    connections_peak: AtomicU64,
}

impl Traffic {
    /// Nothing seen yet; `record_arrivals` keeps each request's arrival time as well, and
    /// `record_paths` counts requests by path and query.
    pub(crate) fn new(record_arrivals: bool, record_paths: bool) -> Self {
        Self {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            by_route: Mutex::new(BTreeMap::new()),
            arrivals: record_arrivals.then(|| Mutex::new(Vec::new())),
            paths: record_paths.then(|| Mutex::new(Vec::new())),
            connections_accepted: AtomicU64::new(0),
            connections_open: AtomicU64::new(0),
            connections_peak: AtomicU64::new(0),
        }
    }

    /// Connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.connections_accepted.load(Ordering::SeqCst)
    }

    /// Connections open now.
    pub fn connections_open(&self) -> u64 {
        self.connections_open.load(Ordering::SeqCst)
    }

    /// The most connections open at once so far.
    pub fn connections_peak(&self) -> u64 {
        self.connections_peak.load(Ordering::SeqCst)
    }

    pub(crate) fn connection_opened(&self) {
        self.connections_accepted.fetch_add(1, Ordering::SeqCst);
        let open = self.connections_open.fetch_add(1, Ordering::SeqCst) + 1;
        self.connections_peak.fetch_max(open, Ordering::SeqCst);
    }

    pub(crate) fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::SeqCst);
    }

    /// Requests served so far (every path and status, except `GET /__stats`).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests by the route they matched (`/api/v1/tickets/{ticket_id}`), or
    /// [`UNMATCHED`].
    pub fn requests_by_route(&self) -> BTreeMap<String, u64> {
        self.by_route
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Requests by path and query (`/api/v1/products/1007`); empty unless
    /// [`DemoConfig::record_paths`](crate::DemoConfig::record_paths) is set.
    pub fn requests_by_path(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for path in self.paths() {
            *counts.entry(path).or_default() += 1;
        }
        counts
    }

    /// The path and query of each request, in the order they arrived; empty unless
    /// [`DemoConfig::record_paths`](crate::DemoConfig::record_paths) is set.
    pub fn paths(&self) -> Vec<String> {
        self.paths.as_ref().map_or_else(Vec::new, |paths| {
            paths.lock().unwrap_or_else(PoisonError::into_inner).clone()
        })
    }

    /// When each request arrived, from the server's start, in order; empty unless
    /// [`DemoConfig::record_arrivals`](crate::DemoConfig::record_arrivals) is set.
    pub fn arrivals(&self) -> Vec<Duration> {
        let Some(arrivals) = &self.arrivals else {
            return Vec::new();
        };
        let arrivals = arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        arrivals
            .iter()
            .map(|at| at.duration_since(self.started))
            .collect()
    }

    fn count(&self, route: &str, path: &str) {
        if let Some(paths) = &self.paths {
            paths
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(path.to_string());
        }
        if let Some(arrivals) = &self.arrivals {
            let now = Instant::now();
            arrivals
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(now);
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        *self
            .by_route
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(route.to_string())
            .or_default() += 1;
    }
}

/// Counts the request (unless it is for [`STATS_PATH`]) before handing it on.
///
/// Counting happens on arrival, so by the time a client has a response, it is counted.
pub(crate) async fn count_requests(
    State(traffic): State<Arc<Traffic>>,
    req: Request,
    next: Next,
) -> Response {
    if req.uri().path() != STATS_PATH {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED, MatchedPath::as_str);
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path(), |path| path.as_str());
        traffic.count(route, path);
    }
    next.run(req).await
}

/// `GET /__stats`: `{"requests": n}`.
pub(crate) async fn stats(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "requests": state.traffic.requests() }))
}
