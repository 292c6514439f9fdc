//! Customer CSV imports over multipart: real CSV parsing, row validation, owner-scoped records.

use std::collections::HashSet;

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::dates::now_rfc3339;
use crate::error::{parse_bool, ApiError, ApiPath, FieldError};
use crate::state::{lock, AppState};

/// The exact header an import file must have.
pub(crate) const HEADER: [&str; 4] = ["email", "first_name", "last_name", "plan"];
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];
/// At most this many row errors are reported in one 422.
const MAX_REPORTED_ERRORS: usize = 20;

/// A finished import, as returned by the API.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ImportRecord {
    import_id: String,
    rows_imported: usize,
    source: String,
    send_welcome_email: bool,
    filename: Option<String>,
    status: &'static str,
    created_at: String,
    #[serde(skip)]
    owner: u64,
}

/// One data row of the CSV.
#[derive(Debug, Deserialize)]
struct Row {
    email: String,
    first_name: String,
    last_name: String,
    plan: String,
}

/// The parts of the multipart form this endpoint reads.
#[derive(Default)]
struct Form {
    file: Option<(Option<String>, Vec<u8>)>,
    source: Option<String>,
    send_welcome_email: Option<String>,
}

fn multipart_error(e: &MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(e.body_text())
    } else {
        ApiError::invalid(&["body"], e.body_text())
    }
}

async fn read_form(mut multipart: Multipart) -> Result<Form, ApiError> {
    let mut form = Form::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        match field.name().unwrap_or_default() {
            "file" => {
                let filename = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| multipart_error(&e))?;
                form.file = Some((filename, bytes.to_vec()));
            }
            "source" => form.source = Some(field.text().await.map_err(|e| multipart_error(&e))?),
            "send_welcome_email" => {
                form.send_welcome_email =
                    Some(field.text().await.map_err(|e| multipart_error(&e))?);
            }
            _ => {} // Unknown parts are skipped by the next `next_field` call.
        }
    }
    Ok(form)
}

fn row_error(line: u64, msg: impl Into<String>) -> FieldError {
    FieldError {
        loc: vec!["body".into(), "file".into(), format!("line {line}")],
        msg: msg.into(),
        kind: "value_error",
    }
}

fn is_plausible_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Parses and validates the CSV, returning the number of data rows.
pub(crate) fn parse_csv(data: &[u8]) -> Result<usize, ApiError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let header = reader
        .headers()
        .map_err(|e| ApiError::invalid(&["body", "file"], format!("unreadable CSV: {e}")))?;
    if header.iter().ne(HEADER) {
        return Err(ApiError::invalid(
            &["body", "file"],
            format!(
                "CSV header must be {:?}, got {:?}",
                HEADER.join(","),
                header.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut rows = 0usize;
    for (i, result) in reader.deserialize::<Row>().enumerate() {
        let line = i as u64 + 2;
        rows += 1;
        let row = match result {
            Ok(row) => row,
            Err(e) => {
                errors.push(row_error(line, format!("malformed row: {e}")));
                continue;
            }
        };
        if !is_plausible_email(&row.email) {
            errors.push(row_error(line, format!("invalid email {:?}", row.email)));
        } else if !seen.insert(row.email.to_ascii_lowercase()) {
            errors.push(row_error(line, format!("duplicate email {:?}", row.email)));
        }
        if row.first_name.is_empty() || row.last_name.is_empty() {
            errors.push(row_error(line, "first_name and last_name are required"));
        }
        if !PLANS.contains(&row.plan.as_str()) {
            errors.push(row_error(
                line,
                format!("plan must be free, pro or enterprise, got {:?}", row.plan),
            ));
        }
    }
    if rows == 0 {
        return Err(ApiError::invalid(&["body", "file"], "CSV has no data rows"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.truncate(MAX_REPORTED_ERRORS);
        Err(ApiError::Invalid(errors))
    }
}

/// `POST /api/v1/imports/customers`: imports a customer CSV, 201 with the import record.
pub(crate) async fn create(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<ImportRecord>), ApiError> {
    let multipart = multipart.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(rej.body_text())
        } else {
            ApiError::invalid(&["body"], rej.body_text())
        }
    })?;
    let form = read_form(multipart).await?;
    let (filename, data) = form
        .file
        .ok_or_else(|| ApiError::invalid(&["body", "file"], "field required"))?;
    let send_welcome_email = match form.send_welcome_email.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(v) => parse_bool(v).ok_or_else(|| {
            ApiError::invalid(
                &["body", "send_welcome_email"],
                format!("invalid boolean {v:?}"),
            )
        })?,
    };
    let source = form
        .source
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "api".to_owned());
    if source.chars().count() > 100 {
        return Err(ApiError::invalid(
            &["body", "source"],
            "at most 100 characters",
        ));
    }
    let rows_imported = parse_csv(&data)?;
    let record = ImportRecord {
        import_id: state.new_id("imp"),
        rows_imported,
        source,
        send_welcome_email,
        filename,
        status: "completed",
        created_at: now_rfc3339(),
        owner: account.id,
    };
    lock(&state.imports).insert(record.import_id.clone(), record.clone());
    Ok((StatusCode::CREATED, Json(record)))
}

/// `GET /api/v1/imports/{import_id}`: one of the caller's imports, or 404.
pub(crate) async fn get(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImportRecord>, ApiError> {
    lock(&state.imports)
        .get(&id)
        .filter(|r| r.owner == account.id)
        .cloned()
        .map(Json)
        .ok_or(ApiError::NotFound("Import not found"))
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn csv_rules() {
        assert_eq!(
            parse_csv(b"email,first_name,last_name,plan\na@x.io,A,B,pro\nb@x.io,C,D,free\n").ok(),
            Some(2)
        );
        assert!(parse_csv(b"mail,first,last,plan\na@x.io,A,B,pro\n").is_err());
        assert!(parse_csv(b"email,first_name,last_name,plan\na@x.io,A,B,gold\n").is_err());
        assert!(parse_csv(b"email,first_name,last_name,plan\nnope,A,B,pro\n").is_err());
        assert!(parse_csv(b"email,first_name,last_name,plan\na@x.io,A,B\n").is_err());
        assert!(parse_csv(b"email,first_name,last_name,plan\n").is_err());
    }
}
