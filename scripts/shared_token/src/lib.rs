//! `shared_token` — a test-wide setup and teardown, as k6's `setup()` and `teardown()` or
//! Locust's `test_start` and `test_stop`: the setup logs in once, as the demo's `ops`
//! account, and hands the token to every user; each user reads its profile with it; the
//! teardown checks once, at the end, that the token still works. `--env OPS_PASSWORD=…`
//! changes the setup's password (a wrong one makes the setup, and so the run, fail).

use serde::Deserialize;
use wasmload_guest::prelude::*;

/// The part of the login response the users need.
#[derive(Deserialize)]
struct Token {
    access_token: String,
}

/// A user who never logs in: the setup did, once for all.
#[derive(Default)]
struct SharedToken;

impl User for SharedToken {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("SharedToken")
            .wait(between(0.01, 0.02))
            .setup(log_in_once)
            .teardown(check_token_at_the_end)
            .task("read_profile", 1, Self::read_profile)
    }

    fn on_start(&mut self, client: &Client) -> TaskResult {
        let token: Token = data::setup_json()?;
        client.set_default_header("Authorization", format!("Bearer {}", token.access_token));
        Ok(())
    }
}

impl SharedToken {
    fn read_profile(&mut self, client: &Client) -> TaskResult {
        client.get("/api/v1/users/me").send()?;
        Ok(())
    }
}

/// The setup: one login; the response body, `{"access_token": …}`, is the shared data.
fn log_in_once(client: &Client) -> Result<Vec<u8>, Error> {
    let response = client
        .post("/api/v1/auth/login")
        .json(&serde_json::json!({
            "username": "ops@example.com",
            "password": env_or("OPS_PASSWORD", "OpsPass123!"),
        }))
        .send()?;
    ensure!(
        response.status() == 200,
        "the setup's login failed: {}",
        response.status()
    );
    Ok(response.bytes().to_vec())
}

/// The teardown: the shared token still reads the profile.
fn check_token_at_the_end(client: &Client, setup_data: Option<&[u8]>) {
    let token = setup_data
        .and_then(|bytes| serde_json::from_slice::<Token>(bytes).ok())
        .map(|token| token.access_token)
        .unwrap_or_default();
    if let Ok(response) = client.get("/api/v1/users/me").bearer_auth(&token).send() {
        check(
            "the shared token works at the end",
            response.status() == 200,
        );
    }
}

export_user!(SharedToken);
