//! FastAPI-style error responses and extractors that turn every payload rejection into a 422.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Json, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

/// An error a handler returns; renders as `{"detail": ...}` with the matching status.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized(&'static str),
    /// 404.
    NotFound(&'static str),
    /// 409.
    Conflict(&'static str),
    /// 413, for bodies over the size limit.
    TooLarge(String),
    /// 422 with FastAPI's list-of-errors shape.
    Invalid(Vec<FieldError>),
    /// 500, for failures that are the server's fault.
    Internal(String),
}

/// One entry of a 422 `detail` list.
#[derive(Debug, serde::Serialize)]
pub(crate) struct FieldError {
    /// Where the bad value is, e.g. `["body", "priority"]`.
    pub loc: Vec<String>,
    /// What is wrong with it.
    pub msg: String,
    /// A short machine-readable kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl ApiError {
    /// A 422 naming one location (e.g. `&["body", "subject"]`) and what is wrong there.
    pub fn invalid(loc: &[&str], msg: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError {
            loc: loc.iter().map(|s| (*s).to_owned()).collect(),
            msg: msg.into(),
            kind: "value_error",
        }])
    }

    /// Maps an axum rejection onto 413 (body too large) or 422 (anything else).
    fn from_rejection(status: StatusCode, loc: &str, text: String) -> Self {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(text)
        } else {
            ApiError::invalid(&[loc], text)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Unauthorized(msg) => {
                let mut res =
                    (StatusCode::UNAUTHORIZED, Json(json!({ "detail": msg }))).into_response();
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return res;
            }
            ApiError::NotFound(msg) => (StatusCode::NOT_FOUND, json!({ "detail": msg })),
            ApiError::Conflict(msg) => (StatusCode::CONFLICT, json!({ "detail": msg })),
            ApiError::TooLarge(msg) => (StatusCode::PAYLOAD_TOO_LARGE, json!({ "detail": msg })),
            ApiError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "detail": errors }),
            ),
            ApiError::Internal(msg) => {
                (StatusCode::INTERNAL_SERVER_ERROR, json!({ "detail": msg }))
            }
        };
        (status, Json(body)).into_response()
    }
}

/// Like [`Json`], but stricter and FastAPI-shaped: the body must be a JSON object sent as
/// `application/json`, and every rejection (content type, syntax, shape) is a 422.
pub(crate) struct ApiJson<T>(pub T);

/// Whether the request declares a JSON body (`application/json` or `application/*+json`).
fn is_json_request(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_request(&req) {
            return Err(ApiError::invalid(
                &["body"],
                "expected a JSON body with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rej| ApiError::from_rejection(rej.status(), "body", rej.body_text()))?;
        // Serde would also accept an array for a struct; FastAPI models want an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid(&["body"], "expected a JSON object"));
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid(&["body"], e.to_string()))
    }
}

/// Like [`Query`], but a rejected query string is a 422.
pub(crate) struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rej) => Err(ApiError::from_rejection(
                rej.status(),
                "query",
                rej.body_text(),
            )),
        }
    }
}

/// Like [`Path`], but a path parameter of the wrong type is a 422.
pub(crate) struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rej) => Err(ApiError::from_rejection(
                rej.status(),
                "path",
                rej.body_text(),
            )),
        }
    }
}

/// Treats a missing or empty query value as absent; otherwise parses it or fails with a 422.
pub(crate) fn query_param<T: std::str::FromStr>(
    name: &str,
    raw: Option<&str>,
) -> Result<Option<T>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(&["query", name], format!("invalid value {v:?}"))),
    }
}

/// Parses a boolean the way FastAPI does (`true/false/1/0/yes/no/on/off`).
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A boolean query value; missing or empty means `default`.
pub(crate) fn query_bool(name: &str, raw: Option<&str>, default: bool) -> Result<bool, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => parse_bool(v)
            .ok_or_else(|| ApiError::invalid(&["query", name], format!("invalid boolean {v:?}"))),
    }
}

/// An integer query value in `min..=max`; missing or empty means `default`.
pub(crate) fn query_range(
    name: &str,
    raw: Option<&str>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ApiError> {
    let v = query_param::<u64>(name, raw)?.unwrap_or(default);
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::invalid(
            &["query", name],
            format!("must be between {min} and {max}"),
        ))
    }
}
