//! `demo_auth` — the login every authenticated guide journey starts with, shared by the
//! scenarios: `POST /api/v1/auth/login` with a username and password, then the returned JWT
//! as a default `Authorization: Bearer` header for every later request of the user.

use serde::{Deserialize, Serialize};
use wasmload_guest::prelude::*;

/// The login body: `{"username": ..., "password": ...}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Credentials {
    /// The account's e-mail address.
    pub username: &'static str,
    /// Its password.
    pub password: &'static str,
}

/// The part of the login response the scenarios use.
#[derive(Deserialize)]
struct Token {
    access_token: String,
}

/// Logs in with `credentials` and keeps the bearer token for the user's later requests; an
/// error (and no token) unless the login answers 200.
///
/// ```no_run
/// use demo_auth::{login, Credentials};
/// use wasmload_guest::prelude::*;
///
/// # fn on_start(client: &Client) -> TaskResult {
/// login(client, Credentials { username: "ops@example.com", password: "OpsPass123!" })?;
/// # Ok(())
/// # }
/// ```
pub fn login(client: &Client, credentials: Credentials) -> TaskResult {
    let response = client
        .post("/api/v1/auth/login")
        .json(&credentials)
        .name("/api/v1/auth/login")
        .send()?;
    if response.status() != 200 {
        fail!(
            "login as {} failed: POST /api/v1/auth/login returned {}",
            credentials.username,
            response.status()
        );
    }
    let token: Token = response.json()?;
    client.set_default_header("Authorization", format!("Bearer {}", token.access_token));
    Ok(())
}
