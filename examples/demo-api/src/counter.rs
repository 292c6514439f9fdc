//! Exact request counting: a middleware that counts every served request, and `GET /__stats`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use crate::state::AppState;

/// The path of the stats endpoint, which is itself never counted.
pub(crate) const STATS_PATH: &str = "/__stats";

/// Counts the request (unless it is for [`STATS_PATH`]) before handing it on.
///
/// Counting happens on arrival, so by the time a client has a response, it is counted.
pub(crate) async fn count_requests(
    State(counter): State<Arc<AtomicU64>>,
    req: Request,
    next: Next,
) -> Response {
    if req.uri().path() != STATS_PATH {
        counter.fetch_add(1, Ordering::SeqCst);
    }
    next.run(req).await
}

/// `GET /__stats`: `{"requests": n}`.
pub(crate) async fn stats(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "requests": state.requests.load(Ordering::SeqCst) }))
}
