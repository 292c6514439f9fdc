//! The seeded customer directory and its paginated search endpoint.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::{query_bool, query_range, ApiError, ApiQuery};
use crate::state::AppState;

/// First customer id (tickets may reference `FIRST_CUSTOMER_ID..=LAST_CUSTOMER_ID`).
pub(crate) const FIRST_CUSTOMER_ID: u64 = 1000;
/// Last customer id, inclusive.
pub(crate) const LAST_CUSTOMER_ID: u64 = 1500;

const FIRST_NAMES: [&str; 16] = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Susan",
    "Richard",
    "Jessica",
    "Joseph",
    "Sarah",
];
const LAST_NAMES: [&str; 13] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Smithers",
    "Rodriguez",
    "Martinez",
    "Blacksmith",
    "Wilson",
];
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];

/// One customer record.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Customer {
    /// Customer id, 1000..=1500.
    pub id: u64,
    /// Given name.
    pub first_name: &'static str,
    /// Family name.
    pub last_name: &'static str,
    /// `first_name last_name`.
    pub name: String,
    /// Contact address.
    pub email: String,
    /// `free`, `pro` or `enterprise`.
    pub plan: &'static str,
    /// Inactive customers are hidden unless `include_inactive=true`.
    pub active: bool,
    /// Lower-cased `name email`, precomputed for search.
    #[serde(skip)]
    search_key: String,
}

/// Builds the deterministic directory (ids 1000..=1500, a good number of them Smiths).
pub(crate) fn seed() -> Vec<Customer> {
    (FIRST_CUSTOMER_ID..=LAST_CUSTOMER_ID)
        .map(|id| {
            let i = (id - FIRST_CUSTOMER_ID) as usize;
            let first_name = FIRST_NAMES[i % FIRST_NAMES.len()];
            let last_name = LAST_NAMES[(i / 3) % LAST_NAMES.len()];
            let name = format!("{first_name} {last_name}");
            let email = format!(
                "{}.{}{id}@example.com",
                first_name.to_ascii_lowercase(),
                last_name.to_ascii_lowercase()
            );
            Customer {
                id,
                first_name,
                last_name,
                search_key: format!("{name} {email}").to_lowercase(),
                name,
                email,
                plan: PLANS[(i * 7) % PLANS.len()],
                active: i % 9 != 4,
            }
        })
        .collect()
}

/// Query parameters of `GET /api/v1/customers/search`.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(alias = "q")]
    query: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
    include_inactive: Option<String>,
}

/// One page of search results.
#[derive(Debug, Serialize)]
pub(crate) struct SearchPage {
    items: Vec<Customer>,
    total: usize,
    page: u64,
    page_size: u64,
    pages: u64,
    query: String,
}

/// `GET /api/v1/customers/search`: case-insensitive match on name or e-mail, paginated.
pub(crate) async fn search(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<SearchPage>, ApiError> {
    let page = query_range("page", q.page.as_deref(), 1, 1, 100_000)?;
    let page_size = query_range("page_size", q.page_size.as_deref(), 25, 1, 100)?;
    let include_inactive = query_bool("include_inactive", q.include_inactive.as_deref(), false)?;
    let needle = q.query.unwrap_or_default().trim().to_lowercase();
    if needle.chars().count() > 100 {
        return Err(ApiError::invalid(
            &["query", "query"],
            "at most 100 characters",
        ));
    }
    let matches: Vec<&Customer> = state
        .customers
        .iter()
        .filter(|c| include_inactive || c.active)
        .filter(|c| needle.is_empty() || c.search_key.contains(&needle))
        .collect();
    let total = matches.len();
    let start = ((page - 1) * page_size) as usize;
    let items = matches
        .into_iter()
        .skip(start)
        .take(page_size as usize)
        .cloned()
        .collect();
    Ok(Json(SearchPage {
        items,
        total,
        page,
        page_size,
        pages: (total as u64).div_ceil(page_size),
        query: needle,
    }))
}
