//! `GET /slow`: an endpoint that stalls now and then, to show what coordinated omission hides.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{query_range, ApiError, ApiQuery};
use crate::state::AppState;

/// Query parameters of `GET /slow`.
#[derive(Debug, Deserialize)]
pub(crate) struct SlowQuery {
    every: Option<String>,
    stall_ms: Option<String>,
}

/// `GET /slow?every=N&stall_ms=MS`: every N-th call (default 100) stalls for MS milliseconds
/// (default 2000) before answering; the others answer at once.
pub(crate) async fn stall(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SlowQuery>,
) -> Result<Json<Value>, ApiError> {
    let every = query_range("every", q.every.as_deref(), 100, 1, 1_000_000)?;
    let stall_ms = query_range("stall_ms", q.stall_ms.as_deref(), 2000, 0, 60_000)?;
    let call = state.slow_calls.fetch_add(1, Ordering::Relaxed) + 1;
    let stalled = call % every == 0;
    if stalled {
        tokio::time::sleep(Duration::from_millis(stall_ms)).await;
    }
    Ok(Json(json!({ "call": call, "stalled": stalled })))
}
