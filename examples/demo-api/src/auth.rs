//! Accounts, HS256 JWT issue/verify, the bearer-token extractor, and the login/refresh handlers.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::Json;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::rngs::OsRng;
use rand::TryRngCore;
use serde::{Deserialize, Serialize};

use crate::dates::unix_now;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

/// A seeded login.
pub(crate) struct Account {
    /// Stable numeric id.
    pub id: u64,
    /// Login name and e-mail address.
    pub email: &'static str,
    /// Plain-text password (this is a demo).
    pub password: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Role shown in the profile.
    pub role: &'static str,
}

/// The accounts that can log in.
pub(crate) const ACCOUNTS: [Account; 5] = [
    Account {
        id: 1,
        email: "loadtest1@example.com",
        password: "TestPass123!",
        name: "Load Tester One",
        role: "customer",
    },
    Account {
        id: 2,
        email: "loadtest2@example.com",
        password: "TestPass123!",
        name: "Load Tester Two",
        role: "customer",
    },
    Account {
        id: 3,
        email: "loadtest3@example.com",
        password: "TestPass123!",
        name: "Load Tester Three",
        role: "customer",
    },
    Account {
        id: 4,
        email: "agent@example.com",
        password: "SupportPass123!",
        name: "Support Agent",
        role: "support",
    },
    Account {
        id: 5,
        email: "ops@example.com",
        password: "OpsPass123!",
        name: "Ops Engineer",
        role: "ops",
    },
];

/// Looks an account up by id.
pub(crate) fn account(id: u64) -> Option<&'static Account> {
    ACCOUNTS.iter().find(|a| a.id == id)
}

/// 64 random bits from the OS, or from std's per-process random hasher keys if that fails.
pub(crate) fn os_random_u64() -> u64 {
    OsRng.try_next_u64().unwrap_or_else(|_| {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    })
}

/// JWT claims the service signs.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user's e-mail.
    sub: String,
    /// The user's id.
    uid: u64,
    /// Issued at, Unix seconds.
    iat: u64,
    /// Expires at, Unix seconds; the token is valid strictly before this.
    exp: u64,
    /// Unique token id, so two tokens issued in the same second differ.
    jti: String,
}

/// Signs and verifies tokens with a per-process random HS256 secret.
pub(crate) struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

/// The body of a successful login or refresh.
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

impl Jwt {
    /// Generates a fresh 256-bit secret; tokens live `ttl` (rounded up to whole seconds).
    pub fn new(ttl: Duration) -> Self {
        let mut secret = [0u8; 32];
        for chunk in secret.chunks_mut(8) {
            chunk.copy_from_slice(&os_random_u64().to_le_bytes());
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Jwt {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            validation,
            ttl_secs: ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0),
        }
    }

    /// Issues a bearer token for `account`.
    fn issue(&self, account: &Account) -> Result<TokenResponse, ApiError> {
        let iat = unix_now();
        let claims = Claims {
            sub: account.email.to_owned(),
            uid: account.id,
            iat,
            exp: iat + self.ttl_secs,
            jti: format!("{:016x}", os_random_u64()),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("could not sign token: {e}")))?;
        Ok(TokenResponse {
            access_token: token,
            token_type: "bearer",
            expires_in: self.ttl_secs,
        })
    }

    /// Checks signature and expiry, returning the account the token names.
    fn verify(&self, token: &str) -> Result<&'static Account, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::Unauthorized("Token has expired"),
                _ => ApiError::Unauthorized("Could not validate credentials"),
            })?;
        // RFC 7519: the current time must be strictly before `exp`.
        if unix_now() >= data.claims.exp {
            return Err(ApiError::Unauthorized("Token has expired"));
        }
        account(data.claims.uid)
            .filter(|a| a.email == data.claims.sub)
            .ok_or(ApiError::Unauthorized("Could not validate credentials"))
    }
}

/// The authenticated caller, taken from `Authorization: Bearer <jwt>`.
pub(crate) struct AuthUser(pub &'static Account);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("Not authenticated"))?
            .to_str()
            .map_err(|_| ApiError::Unauthorized("Not authenticated"))?;
        let (scheme, token) = value
            .trim()
            .split_once(' ')
            .ok_or(ApiError::Unauthorized("Not authenticated"))?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(ApiError::Unauthorized("Not authenticated"));
        }
        state.jwt.verify(token.trim()).map(AuthUser)
    }
}

/// `POST /api/v1/auth/login` body.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginRequest {
    #[serde(alias = "email")]
    username: String,
    password: String,
}

/// `POST /api/v1/auth/login`: exchanges credentials for a bearer token.
pub(crate) async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let account = ACCOUNTS
        .iter()
        .find(|a| a.email.eq_ignore_ascii_case(body.username.trim()) && a.password == body.password)
        .ok_or(ApiError::Unauthorized("Incorrect username or password"))?;
    state.jwt.issue(account).map(Json)
}

/// `POST /api/v1/auth/refresh`: a fresh token for the caller.
pub(crate) async fn refresh(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
) -> Result<Json<TokenResponse>, ApiError> {
    state.jwt.issue(account).map(Json)
}
