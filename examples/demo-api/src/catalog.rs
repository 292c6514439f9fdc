//! The seeded product catalog and its public list/detail endpoints.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize, Serializer};

use crate::error::{query_param, query_range, ApiError, ApiPath, ApiQuery};
use crate::state::AppState;

/// First product id in the catalog.
pub(crate) const FIRST_PRODUCT_ID: u64 = 1000;
/// Last product id in the catalog (inclusive, so both `randint(1000, 1100)` and `1000..1100` hit).
pub(crate) const LAST_PRODUCT_ID: u64 = 1100;

/// Product categories, in seeding order.
pub(crate) const CATEGORIES: [&str; 6] = [
    "laptops",
    "phones",
    "tablets",
    "monitors",
    "accessories",
    "audio",
];

const BRANDS: [&str; 6] = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne"];
const MODELS: [(&str, u64); 6] = [
    ("UltraBook", 79_900),
    ("Phone", 49_900),
    ("Tab", 29_900),
    ("View Display", 19_900),
    ("Essentials Kit", 1_900),
    ("Sound Headphones", 8_900),
];
const EDITIONS: [&str; 5] = ["Lite", "Plus", "Pro", "Max", "Air"];

/// One catalog entry.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Product {
    /// Product id, 1000..=1100.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// One of [`CATEGORIES`].
    pub category: &'static str,
    /// Price in cents, rendered as a decimal `price`.
    #[serde(rename = "price", serialize_with = "cents_as_decimal")]
    pub price_cents: u64,
    /// ISO currency code.
    pub currency: &'static str,
    /// Units on hand.
    pub stock: u32,
    /// Whether `stock > 0`.
    pub in_stock: bool,
    /// Average review score, 0.0..=5.0.
    pub rating: f64,
    /// Short marketing copy.
    pub description: String,
}

/// Serializes cents as a number with two decimals (e.g. `799.0`, `12.99`).
pub(crate) fn cents_as_decimal<S: Serializer>(cents: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(*cents as f64 / 100.0)
}

/// Builds the deterministic catalog.
pub(crate) fn seed() -> Vec<Product> {
    (FIRST_PRODUCT_ID..=LAST_PRODUCT_ID)
        .map(|id| {
            let i = (id - FIRST_PRODUCT_ID) as usize;
            let c = i % CATEGORIES.len();
            let (model, base) = MODELS[c];
            let brand = BRANDS[(i / CATEGORIES.len()) % BRANDS.len()];
            let edition = EDITIONS[(i * 7 / 3) % EDITIONS.len()];
            let generation = 1 + i / (CATEGORIES.len() * BRANDS.len());
            // Spread prices deterministically around the category's base price.
            let price_cents = base + (i as u64 * 7_919 % 50) * base / 100 - base / 10 + 99;
            let stock = ((i * 37) % 60) as u32;
            Product {
                id,
                name: format!("{brand} {model} {edition} {generation}"),
                category: CATEGORIES[c],
                price_cents,
                currency: "USD",
                stock,
                in_stock: stock > 0,
                rating: 3.0 + ((i * 13) % 21) as f64 / 10.0,
                description: format!(
                    "The {edition} edition of {brand}'s {model}, generation {generation}."
                ),
            }
        })
        .collect()
}

/// Query parameters of `GET /api/v1/products`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    category: Option<String>,
    limit: Option<String>,
    sort: Option<String>,
}

/// `GET /api/v1/products?category=&limit=&sort=`: filtered, sorted, limited product list.
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Product>>, ApiError> {
    let limit = query_range("limit", q.limit.as_deref(), 20, 1, 100)? as usize;
    let sort = query_param::<String>("sort", q.sort.as_deref())?;
    let category = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let mut items: Vec<&Product> = state
        .products
        .iter()
        .filter(|p| category.is_none_or(|c| p.category.eq_ignore_ascii_case(c)))
        .collect();
    match sort.as_deref() {
        None => {}
        Some("price_asc") => items.sort_by_key(|p| (p.price_cents, p.id)),
        Some("price_desc") => items.sort_by_key(|p| (std::cmp::Reverse(p.price_cents), p.id)),
        Some("name") => items.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
        Some(_) => {
            return Err(ApiError::invalid(
                &["query", "sort"],
                "must be one of price_asc, price_desc, name",
            ))
        }
    }
    Ok(Json(items.into_iter().take(limit).cloned().collect()))
}

/// `GET /api/v1/products/{product_id}`: one product, or 404.
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<Product>, ApiError> {
    state
        .products
        .iter()
        .find(|p| p.id == id)
        .cloned()
        .map(Json)
        .ok_or(ApiError::NotFound("Product not found"))
}
