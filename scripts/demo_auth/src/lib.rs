//! `demo_auth` — the login every authenticated guide journey starts with, as a scenario
//! library component (`auth.wasm`) that exports `demo:auth/login@0.1.0`:
//! `POST /api/v1/auth/login` with a username and password, then the returned JWT as a
//! default `Authorization: Bearer` header for every later request of the user. It runs in
//! its own sandbox beside the scenario that imports it; its request goes through the same
//! broker, recorded under `/api/v1/auth/login`.

use serde::{Deserialize, Serialize};
use wasmload_guest::prelude::*;

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "library" });
}

/// The login body: `{"username": ..., "password": ...}`.
#[derive(Serialize)]
struct Credentials<'a> {
    username: &'a str,
    password: &'a str,
}

/// The part of the login response the library uses.
#[derive(Deserialize)]
struct Token {
    access_token: String,
}

/// The exports of `auth.wasm`.
struct Auth;

impl bindings::exports::demo::auth::login::Guest for Auth {
    fn login(username: String, password: String) -> Result<(), String> {
        let client = Client::new();
        let response = client
            .post("/api/v1/auth/login")
            .json(&Credentials {
                username: &username,
                password: &password,
            })
            .name("/api/v1/auth/login")
            .send()?;
        if response.status() != 200 {
            return Err(format!(
                "login as {username} failed: POST /api/v1/auth/login returned {}",
                response.status()
            ));
        }
        let token: Token = response.json()?;
        client.set_default_header("Authorization", format!("Bearer {}", token.access_token));
        Ok(())
    }
}

bindings::export!(Auth with_types_in bindings);
