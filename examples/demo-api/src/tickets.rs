//! Support tickets: validated creation and owner-scoped lookup.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::customers::{FIRST_CUSTOMER_ID, LAST_CUSTOMER_ID};
use crate::dates::now_rfc3339;
use crate::error::{ApiError, ApiJson, ApiPath, FieldError};
use crate::state::{lock, AppState};

/// Ticket priority.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Priority {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// `POST /api/v1/tickets` body.
#[derive(Debug, Deserialize)]
pub(crate) struct NewTicket {
    customer_id: i64,
    subject: String,
    priority: Priority,
    category: String,
    message: String,
    #[serde(default)]
    tags: Vec<String>,
}

/// A stored ticket.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Ticket {
    id: u64,
    customer_id: u64,
    subject: String,
    priority: Priority,
    category: String,
    message: String,
    tags: Vec<String>,
    status: &'static str,
    created_by: String,
    created_at: String,
    #[serde(skip)]
    owner: u64,
}

/// All tickets, with the next id to hand out.
#[derive(Debug)]
pub(crate) struct TicketStore {
    next_id: u64,
    by_id: HashMap<u64, Ticket>,
}

impl Default for TicketStore {
    fn default() -> Self {
        TicketStore {
            next_id: 1,
            by_id: HashMap::new(),
        }
    }
}

/// Checks the field rules serde cannot express, collecting every violation.
fn validate(t: &NewTicket) -> Result<u64, ApiError> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, msg: String| {
        errors.push(FieldError {
            loc: vec!["body".to_owned(), field.to_owned()],
            msg,
            kind: "value_error",
        });
    };
    let range = i64::try_from(FIRST_CUSTOMER_ID).unwrap_or(0)
        ..=i64::try_from(LAST_CUSTOMER_ID).unwrap_or(i64::MAX);
    if !range.contains(&t.customer_id) {
        fail(
            "customer_id",
            format!("must be between {FIRST_CUSTOMER_ID} and {LAST_CUSTOMER_ID}"),
        );
    }
    if t.subject.trim().is_empty() {
        fail("subject", "must not be empty".to_owned());
    } else if t.subject.chars().count() > 200 {
        fail("subject", "at most 200 characters".to_owned());
    }
    if t.category.chars().count() > 50 {
        fail("category", "at most 50 characters".to_owned());
    }
    if t.message.chars().count() > 10_000 {
        fail("message", "at most 10000 characters".to_owned());
    }
    if t.tags.len() > 20 || t.tags.iter().any(|tag| tag.chars().count() > 50) {
        fail(
            "tags",
            "at most 20 tags of at most 50 characters".to_owned(),
        );
    }
    if errors.is_empty() {
        u64::try_from(t.customer_id).map_err(|_| ApiError::invalid(&["body"], "bad customer_id"))
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// `POST /api/v1/tickets`: validates and stores a ticket, 201 with the stored ticket.
pub(crate) async fn create(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiJson(body): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    let customer_id = validate(&body)?;
    let created_at = now_rfc3339();
    let mut store = lock(&state.tickets);
    let id = store.next_id;
    store.next_id += 1;
    let ticket = Ticket {
        id,
        customer_id,
        subject: body.subject.trim().to_owned(),
        priority: body.priority,
        category: body.category,
        message: body.message,
        tags: body.tags,
        status: "open",
        created_by: account.email.to_owned(),
        created_at,
        owner: account.id,
    };
    store.by_id.insert(id, ticket.clone());
    Ok((StatusCode::CREATED, Json(ticket)))
}

/// `GET /api/v1/tickets/{ticket_id}`: one of the caller's tickets, or 404.
pub(crate) async fn get(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<Ticket>, ApiError> {
    lock(&state.tickets)
        .by_id
        .get(&id)
        .filter(|t| t.owner == account.id)
        .cloned()
        .map(Json)
        .ok_or(ApiError::NotFound("Ticket not found"))
}
