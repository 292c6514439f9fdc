//! Sales reports generated in the background: request (202), poll status, download CSV.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::catalog::CATEGORIES;
use crate::dates::{format_date, now_rfc3339, parse_date, weekday};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::state::{lock, AppState};

/// Longest accepted report range, in days.
const MAX_RANGE_DAYS: i64 = 3_660;
const REGIONS: [&str; 4] = ["north", "south", "east", "west"];

/// Report lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Still being generated.
    Pending,
    /// CSV content is available.
    Completed,
}

/// A requested report and, once generated, its CSV.
#[derive(Debug)]
pub(crate) struct Report {
    owner: u64,
    status: Status,
    created_at: String,
    completed_at: Option<String>,
    csv: Option<Bytes>,
}

/// `POST /api/v1/reports/sales` body.
#[derive(Debug, Deserialize)]
pub(crate) struct SalesRequest {
    start_date: String,
    end_date: String,
    #[serde(default = "default_group_by")]
    group_by: String,
    #[serde(default = "default_format")]
    format: String,
}

fn default_group_by() -> String {
    "day".to_owned()
}

fn default_format() -> String {
    "csv".to_owned()
}

/// Status (and creation) response.
#[derive(Debug, Serialize)]
pub(crate) struct StatusBody {
    report_id: String,
    status: Status,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    download_url: Option<String>,
}

/// A validated report request.
struct Spec {
    start: i64,
    end: i64,
    group_by: String,
}

fn validate(r: SalesRequest) -> Result<Spec, ApiError> {
    let start = parse_date(r.start_date.trim())
        .ok_or_else(|| ApiError::invalid(&["body", "start_date"], "expected a YYYY-MM-DD date"))?;
    let end = parse_date(r.end_date.trim())
        .ok_or_else(|| ApiError::invalid(&["body", "end_date"], "expected a YYYY-MM-DD date"))?;
    if end < start {
        return Err(ApiError::invalid(
            &["body", "end_date"],
            "must not be before start_date",
        ));
    }
    if end - start >= MAX_RANGE_DAYS {
        return Err(ApiError::invalid(
            &["body", "end_date"],
            "range is longer than 10 years",
        ));
    }
    if !r.format.trim().eq_ignore_ascii_case("csv") {
        return Err(ApiError::invalid(
            &["body", "format"],
            "only \"csv\" is supported",
        ));
    }
    let group_by = r.group_by.trim().to_ascii_lowercase();
    if group_by.is_empty() || group_by.len() > 32 {
        return Err(ApiError::invalid(
            &["body", "group_by"],
            "must be a short non-empty name",
        ));
    }
    Ok(Spec {
        start,
        end,
        group_by,
    })
}

/// A deterministic pseudo-random number for a bucket label (SplitMix64 over its bytes).
fn mix(label: &str, salt: u64) -> u64 {
    let mut x = salt ^ 0x9E37_79B9_7F4A_7C15;
    for b in label.bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 31;
    }
    x = (x ^ (x >> 30)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The bucket labels for a spec: dates for day/week/month, fixed names otherwise.
fn buckets(spec: &Spec) -> Vec<String> {
    let days = spec.start..=spec.end;
    let mut out: Vec<String> = match spec.group_by.as_str() {
        "day" => days.map(format_date).collect(),
        "week" => days.map(|d| format_date(d - weekday(d))).collect(),
        "month" => days.map(|d| format_date(d)[..7].to_owned()).collect(),
        "category" | "product_category" => CATEGORIES.iter().map(|s| (*s).to_owned()).collect(),
        "region" => REGIONS.iter().map(|s| (*s).to_owned()).collect(),
        _ => vec!["all".to_owned()],
    };
    out.dedup();
    out
}

/// Renders the report CSV: one row per bucket plus a total.
fn render_csv(spec: &Spec) -> Result<Bytes, ApiError> {
    let fail = |e: csv::Error| ApiError::Internal(format!("could not render report: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([spec.group_by.as_str(), "orders", "units", "revenue"])
        .map_err(fail)?;
    let labels = buckets(spec);
    let span = u64::try_from(spec.end - spec.start + 1).unwrap_or(1);
    let per_bucket_days = span.div_ceil(labels.len() as u64).max(1);
    let (mut orders_total, mut units_total, mut revenue_total) = (0u64, 0u64, 0u64);
    for label in labels {
        let orders = per_bucket_days * (20 + mix(&label, 1) % 80);
        let units = orders + orders * (mix(&label, 2) % 150) / 100;
        let revenue_cents = units * (1_500 + mix(&label, 3) % 20_000);
        orders_total += orders;
        units_total += units;
        revenue_total += revenue_cents;
        let revenue = format!("{}.{:02}", revenue_cents / 100, revenue_cents % 100);
        w.write_record([label, orders.to_string(), units.to_string(), revenue])
            .map_err(fail)?;
    }
    let revenue = format!("{}.{:02}", revenue_total / 100, revenue_total % 100);
    w.write_record([
        "total".to_owned(),
        orders_total.to_string(),
        units_total.to_string(),
        revenue,
    ])
    .map_err(fail)?;
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| ApiError::Internal(format!("could not render report: {e}")))
}

/// Generates the report after a random delay and marks it completed.
async fn generate(state: AppState, id: String, spec: Spec, delay: Duration) {
    tokio::time::sleep(delay).await;
    let csv = render_csv(&spec).unwrap_or_else(|e| Bytes::from(format!("error\n{e:?}\n")));
    if let Some(report) = lock(&state.reports).get_mut(&id) {
        report.csv = Some(csv);
        report.status = Status::Completed;
        report.completed_at = Some(now_rfc3339());
    }
}

fn status_body(id: &str, r: &Report) -> StatusBody {
    StatusBody {
        report_id: id.to_owned(),
        status: r.status,
        created_at: r.created_at.clone(),
        completed_at: r.completed_at.clone(),
        download_url: (r.status == Status::Completed)
            .then(|| format!("/api/v1/reports/{id}/download")),
    }
}

/// `POST /api/v1/reports/sales`: queues a report, 202 with its id and `pending` status.
pub(crate) async fn create(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiJson(body): ApiJson<SalesRequest>,
) -> Result<(StatusCode, Json<StatusBody>), ApiError> {
    let spec = validate(body)?;
    let (lo, hi) = state.config.report_delay;
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let delay = if lo == hi {
        lo
    } else {
        lock(&state.rng).random_range(lo..=hi)
    };
    let id = state.new_id("rpt");
    let report = Report {
        owner: account.id,
        status: Status::Pending,
        created_at: now_rfc3339(),
        completed_at: None,
        csv: None,
    };
    let body = status_body(&id, &report);
    lock(&state.reports).insert(id.clone(), report);
    tokio::spawn(generate(state.clone(), id, spec, delay));
    Ok((StatusCode::ACCEPTED, Json(body)))
}

/// `GET /api/v1/reports/{report_id}/status`: `pending` or `completed`; 404 if not the caller's.
pub(crate) async fn status(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StatusBody>, ApiError> {
    lock(&state.reports)
        .get(&id)
        .filter(|r| r.owner == account.id)
        .map(|r| Json(status_body(&id, r)))
        .ok_or(ApiError::NotFound("Report not found"))
}

/// `GET /api/v1/reports/{report_id}/download`: the CSV, 409 while pending, 404 if not the caller's.
pub(crate) async fn download(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let csv = {
        let reports = lock(&state.reports);
        let report = reports
            .get(&id)
            .filter(|r| r.owner == account.id)
            .ok_or(ApiError::NotFound("Report not found"))?;
        report
            .csv
            .clone()
            .ok_or(ApiError::Conflict("report not ready"))?
    };
    let disposition = format!("attachment; filename=\"sales-report-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}
