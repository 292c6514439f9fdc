//! `status_checks` — the Locust `APIUser` from Better Stack's *Load Testing
//! with Locust* guide ("Step 5 — Testing additional API endpoints
//! and adding conditional checks"): a user of the example Flask API that
//! hits `/` (weight 3), `/users` (2) and `/status` (1), waiting 1–3 s
//! between tasks, and marks responses as failures when the status or the
//! JSON body is wrong. Each verdict is also counted as a named check.

use serde_json::Value;
use wasmload_guest::prelude::*;

/// A user of the example Flask API.
#[derive(Default)]
struct APIUser;

impl User for APIUser {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("APIUser")
            .wait(between(1, 3))
            .task("get_home", 3, Self::get_home)
            .task("get_users", 2, Self::get_users)
            .task("get_status", 1, Self::get_status)
    }
}

impl APIUser {
    /// `@task(3)`: `GET /`, a failure unless the status is 200.
    fn get_home(&mut self, client: &Client) -> TaskResult {
        let response = client.get("/").send()?;
        if !check("get_home: status is 200", response.status() == 200) {
            response.failure(format_args!("Got {} instead of 200", response.status()));
        }
        Ok(())
    }

    /// `@task(2)`: `GET /users`, a failure unless the status is 200 and the
    /// JSON body has `users`.
    fn get_users(&mut self, client: &Client) -> TaskResult {
        let response = client.get("/users").send()?;
        let valid = response.status() == 200 && has_key(&response, "users");
        if !check("get_users: 200 with users", valid) {
            response.failure("Invalid response");
        }
        Ok(())
    }

    /// `@task(1)`: `GET /status`, a failure unless the status is 200 and the
    /// JSON body has `status`.
    fn get_status(&mut self, client: &Client) -> TaskResult {
        let response = client.get("/status").send()?;
        let valid = response.status() == 200 && has_key(&response, "status");
        if !check("get_status: 200 with status", valid) {
            response.failure("Invalid response");
        }
        Ok(())
    }
}

/// Whether the body is a JSON object with `key` (Python's `key in
/// response.json()`); a body that is not JSON counts as invalid.
fn has_key(response: &Response, key: &str) -> bool {
    response
        .json::<Value>()
        .is_ok_and(|body| body.get(key).is_some())
}

export_user!(APIUser);
