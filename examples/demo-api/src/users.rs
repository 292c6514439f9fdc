//! The caller's own data: profile, preferences, orders and notifications.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::catalog::{cents_as_decimal, FIRST_PRODUCT_ID, LAST_PRODUCT_ID};
use crate::dates::rfc3339;
use crate::error::{query_bool, query_range, ApiError, ApiJson, ApiQuery};
use crate::state::{read, write, AppState};

/// Seeded records are dated back from this instant (2025-06-01T00:00:00Z).
const SEED_EPOCH: u64 = 1_748_736_000;
const ORDER_STATUSES: [&str; 5] = ["completed", "pending", "shipped", "completed", "cancelled"];

/// UI theme.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Theme {
    /// Light theme.
    Light,
    /// Dark theme.
    Dark,
}

/// A user's editable preferences.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Preferences {
    /// Receive e-mail notifications.
    pub email_notifications: bool,
    /// Receive SMS notifications.
    pub sms_notifications: bool,
    /// UI theme.
    pub theme: Theme,
    /// IANA-style zone name.
    pub timezone: String,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            email_notifications: true,
            sms_notifications: false,
            theme: Theme::Light,
            timezone: "UTC".to_owned(),
        }
    }
}

/// `PATCH /api/v1/users/me/preferences` body: every field optional.
#[derive(Debug, Deserialize)]
pub(crate) struct PreferencesPatch {
    email_notifications: Option<bool>,
    sms_notifications: Option<bool>,
    theme: Option<Theme>,
    timezone: Option<String>,
}

/// A seeded order line.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OrderItem {
    product_id: u64,
    quantity: u32,
    #[serde(serialize_with = "cents_as_decimal")]
    unit_price: u64,
}

/// A seeded order.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Order {
    id: u64,
    status: &'static str,
    #[serde(serialize_with = "cents_as_decimal")]
    total: u64,
    currency: &'static str,
    items: Vec<OrderItem>,
    created_at: String,
}

/// A seeded notification.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Notification {
    id: u64,
    kind: &'static str,
    message: String,
    read: bool,
    created_at: String,
}

/// 25 orders for `user_id`, newest first, with mixed statuses.
pub(crate) fn seed_orders(user_id: u64) -> Vec<Order> {
    let span = LAST_PRODUCT_ID - FIRST_PRODUCT_ID + 1;
    (0..25u64)
        .map(|n| {
            let items: Vec<OrderItem> = (0..1 + (n + user_id) % 3)
                .map(|k| OrderItem {
                    product_id: FIRST_PRODUCT_ID + (user_id * 31 + n * 7 + k * 13) % span,
                    quantity: 1 + ((n + k) % 3) as u32,
                    unit_price: 999 + (user_id * 1_711 + n * 2_393 + k * 577) % 60_000,
                })
                .collect();
            Order {
                id: 100_000 + user_id * 1_000 + n,
                status: ORDER_STATUSES[((n + user_id) % 5) as usize],
                total: items
                    .iter()
                    .map(|i| i.unit_price * u64::from(i.quantity))
                    .sum(),
                currency: "USD",
                items,
                created_at: rfc3339(SEED_EPOCH - n * 86_400 * 3 - user_id * 3_600),
            }
        })
        .collect()
}

/// 12 notifications for `user_id`, newest first; the first five are unread.
pub(crate) fn seed_notifications(user_id: u64) -> Vec<Notification> {
    const KINDS: [(&str, &str); 4] = [
        ("order", "Your order has shipped"),
        ("security", "New sign-in to your account"),
        ("billing", "Your invoice is ready"),
        ("system", "Scheduled maintenance this weekend"),
    ];
    (0..12u64)
        .map(|n| {
            let (kind, text) = KINDS[(n % 4) as usize];
            Notification {
                id: 500_000 + user_id * 1_000 + n,
                kind,
                message: format!("{text} (#{})", n + 1),
                read: n >= 5,
                created_at: rfc3339(SEED_EPOCH - n * 7_200 - user_id * 60),
            }
        })
        .collect()
}

/// `GET /api/v1/users/me`: the caller's profile with current preferences.
pub(crate) async fn me(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
) -> Json<serde_json::Value> {
    let preferences = read(&state.preferences)
        .get(&account.id)
        .cloned()
        .unwrap_or_default();
    Json(serde_json::json!({
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "role": account.role,
        "is_active": true,
        "preferences": preferences,
    }))
}

/// `PATCH /api/v1/users/me/preferences`: applies the given fields, returns all preferences.
pub(crate) async fn patch_preferences(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiJson(patch): ApiJson<PreferencesPatch>,
) -> Result<Json<Preferences>, ApiError> {
    if let Some(tz) = &patch.timezone {
        let valid = !tz.is_empty()
            && tz.len() <= 64
            && tz
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
        if !valid {
            return Err(ApiError::invalid(
                &["body", "timezone"],
                "must be a time zone name such as UTC or Europe/Berlin",
            ));
        }
    }
    let mut all = write(&state.preferences);
    let prefs = all.entry(account.id).or_default();
    if let Some(v) = patch.email_notifications {
        prefs.email_notifications = v;
    }
    if let Some(v) = patch.sms_notifications {
        prefs.sms_notifications = v;
    }
    if let Some(v) = patch.theme {
        prefs.theme = v;
    }
    if let Some(v) = patch.timezone {
        prefs.timezone = v;
    }
    Ok(Json(prefs.clone()))
}

/// Query parameters of `GET /api/v1/orders`.
#[derive(Debug, Deserialize)]
pub(crate) struct OrdersQuery {
    status: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/orders?status=&limit=`: the caller's orders, newest first.
pub(crate) async fn orders(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<Json<Vec<Order>>, ApiError> {
    let limit = query_range("limit", q.limit.as_deref(), 10, 1, 100)? as usize;
    let status = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let list = state.orders.get(&account.id).map_or(&[][..], Vec::as_slice);
    Ok(Json(
        list.iter()
            .filter(|o| status.is_none_or(|s| o.status.eq_ignore_ascii_case(s)))
            .take(limit)
            .cloned()
            .collect(),
    ))
}

/// Query parameters of `GET /api/v1/notifications`.
#[derive(Debug, Deserialize)]
pub(crate) struct NotificationsQuery {
    unread_only: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/notifications?unread_only=`: the caller's notifications, newest first.
pub(crate) async fn notifications(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiQuery(q): ApiQuery<NotificationsQuery>,
) -> Result<Json<Vec<Notification>>, ApiError> {
    let unread_only = query_bool("unread_only", q.unread_only.as_deref(), false)?;
    let limit = query_range("limit", q.limit.as_deref(), 50, 1, 100)? as usize;
    let list = state
        .notifications
        .get(&account.id)
        .map_or(&[][..], Vec::as_slice);
    Ok(Json(
        list.iter()
            .filter(|n| !unread_only || !n.read)
            .take(limit)
            .cloned()
            .collect(),
    ))
}
