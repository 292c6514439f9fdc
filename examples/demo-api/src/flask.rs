//! Unauthenticated endpoints: health check, the Flask-tutorial routes, and the JSON 404 fallback.

use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// `GET /health`.
pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /`: the Flask example's welcome message.
pub(crate) async fn index() -> Json<Value> {
    Json(json!({ "message": "Welcome to the Flask API!" }))
}

/// `GET /users`: the Flask example's user list.
pub(crate) async fn users() -> Json<Value> {
    Json(json!({ "users": ["Alice", "Bob", "Charlie"] }))
}

/// `GET /status`: the Flask example's status probe.
pub(crate) async fn status() -> Json<Value> {
    Json(json!({ "status": "healthy" }))
}

/// Any unknown path: 404 `{"detail":"Not Found"}`, as FastAPI answers.
pub(crate) async fn not_found() -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "detail": "Not Found" })),
    )
}
