//! `/items/`: the FastAPI guide's first example, a list of items anyone can read and add to.

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};

use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// The newest items kept; older ones are forgotten so a long run holds bounded memory.
const KEPT: usize = 100;

/// A new item, as `POST /items/` takes it.
#[derive(Deserialize)]
pub(crate) struct NewItem {
    name: String,
    price: f64,
}

/// The newest items and the next id.
fn items() -> &'static Mutex<(u64, VecDeque<Value>)> {
    static ITEMS: OnceLock<Mutex<(u64, VecDeque<Value>)>> = OnceLock::new();
    ITEMS.get_or_init(|| Mutex::new((1, VecDeque::new())))
}

/// `GET /items/`: the newest items, newest last.
pub(crate) async fn list() -> Json<Value> {
    let guard = items()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Json(json!({ "items": guard.1 }))
}

/// `POST /items/` with `{"name", "price"}`: 201 and the item with its id.
pub(crate) async fn create(Json(item): Json<NewItem>) -> (StatusCode, Json<Value>) {
    let mut guard = items()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let id = guard.0;
    guard.0 += 1;
    let created = json!({ "id": id, "name": item.name, "price": item.price });
    guard.1.push_back(created.clone());
    if guard.1.len() > KEPT {
        guard.1.pop_front();
    }
    (StatusCode::CREATED, Json(created))
}
