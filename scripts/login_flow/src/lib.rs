//! `login_flow` — the Locust `FastAPIAuthenticatedUser` from the LoadForge
//! *FastAPI Load Testing Guide* ("Authenticated JWT workflow with FastAPI
//! OAuth2"): each user logs in once as one of three test accounts,
//! sends the JWT as a default `Authorization` header, then reads its
//! profile, orders and notifications and refreshes its token, waiting 1–2 s
//! between tasks. Its default host is the demo API's address
//! (`cargo run -p demo-api`), so `wasmload run login_flow.wasm --users 300` needs no
//! `--host`.

use wasmload_guest::prelude::*;

/// The login, imported from the `demo:auth` library component (`auth.wasm`).
#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod auth {
    wit_bindgen::generate!({ path: "../demo_auth/wit", world: "client" });
}

use auth::demo::auth::login::login;

/// The accounts `on_start` picks from (username, password), like the guide's `random.choice`.
const ACCOUNTS: [(&str, &str); 3] = [
    ("loadtest1@example.com", "TestPass123!"),
    ("loadtest2@example.com", "TestPass123!"),
    ("loadtest3@example.com", "TestPass123!"),
];

/// An authenticated API user.
#[derive(Default)]
struct FastAPIAuthenticatedUser;

impl User for FastAPIAuthenticatedUser {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("FastAPIAuthenticatedUser")
            // The demo API's own address, as a Locust file's `host = ...`: `--host` wins.
            .host("http://127.0.0.1:8000")
            .wait(between(1, 2))
            .task("get_profile", 4, Self::get_profile)
            .task("list_orders", 3, Self::list_orders)
            .task("get_notifications", 2, Self::get_notifications)
            .task("refresh_token", 1, Self::refresh_token)
    }

    /// Logs in as a random test account and keeps the bearer token for
    /// every later request.
    fn on_start(&mut self, _client: &Client) -> TaskResult {
        let (username, password) = choose(&ACCOUNTS);
        login(username, password).map_err(Error::msg)
    }
}

impl FastAPIAuthenticatedUser {
    /// `@task(4)`: `GET /api/v1/users/me`.
    fn get_profile(&mut self, client: &Client) -> TaskResult {
        client
            .get("/api/v1/users/me")
            .name("/api/v1/users/me")
            .send()?;
        Ok(())
    }

    /// `@task(3)`: `GET /api/v1/orders?status=completed&limit=10`.
    fn list_orders(&mut self, client: &Client) -> TaskResult {
        client
            .get("/api/v1/orders")
            .query(&[("status", "completed"), ("limit", "10")])
            .name("/api/v1/orders")
            .send()?;
        Ok(())
    }

    /// `@task(2)`: `GET /api/v1/notifications?unread_only=true`.
    fn get_notifications(&mut self, client: &Client) -> TaskResult {
        client
            .get("/api/v1/notifications")
            .query(&[("unread_only", "true")])
            .name("/api/v1/notifications")
            .send()?;
        Ok(())
    }

    /// `@task(1)`: `POST /api/v1/auth/refresh` (no body).
    fn refresh_token(&mut self, client: &Client) -> TaskResult {
        client
            .post("/api/v1/auth/refresh")
            .name("/api/v1/auth/refresh")
            .send()?;
        Ok(())
    }
}

export_user!(FastAPIAuthenticatedUser);
