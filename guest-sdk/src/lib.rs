//! # wasmload-guest
//!
//! Write wasmload scenarios — the behaviour of a load test's virtual users —
//! in Rust, the way you would write a [Locust] `HttpUser`, and compile them to
//! a WebAssembly component. The host runs one component instance per virtual
//! user and lends it only what the `wasmload:scenario` WIT contract grants:
//! brokered HTTP (timed and recorded by the host), a per-user session, and a
//! few utilities (sleep, logs, run parameters, checks, seeded randomness).
//!
//! You never see wit-bindgen: implement [`User`], describe it with a
//! [`UserSpec`], and export it with [`export_user!`].
//!
//! [Locust]: https://locust.io
//!
//! ## A complete scenario
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "login_flow"
//! version = "0.1.0"
//! edition = "2021"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! wasmload-guest = { path = "../../guest-sdk" }
//! serde = { version = "1", features = ["derive"] }
//! serde_json = "1"
//! ```
//!
//! `src/lib.rs` — the Locust `FastAPIAuthenticatedUser`, task for task:
//!
//! ```no_run
//! use serde::Deserialize;
//! use wasmload_guest::prelude::*;
//!
//! #[derive(Default)]
//! struct LoginFlow;
//!
//! #[derive(Deserialize)]
//! struct Token {
//!     access_token: String,
//! }
//!
//! impl User for LoginFlow {
//!     fn spec() -> UserSpec<Self> {
//!         UserSpec::new("FastAPIAuthenticatedUser")
//!             .wait(between(1, 2)) // seconds, like Locust
//!             .task("get_profile", 4, Self::get_profile)
//!             .task("list_orders", 3, Self::list_orders)
//!             .task("refresh_token", 1, Self::refresh_token)
//!     }
//!
//!     fn on_start(&mut self, client: &Client) -> TaskResult {
//!         // Drawn from the host's per-user RNG: reproducible with `--seed`.
//!         let (username, password) = choose(&[
//!             ("loadtest1@example.com", "TestPass123!"),
//!             ("loadtest2@example.com", "TestPass123!"),
//!         ]);
//!         let resp = client
//!             .post("/api/v1/auth/login")
//!             .json(&serde_json::json!({"username": username, "password": password}))
//!             .name("/api/v1/auth/login")
//!             .send()?;
//!         ensure!(resp.status() == 200, "login as {username} failed with status {}", resp.status());
//!         let token: Token = resp.json()?;
//!         client.set_default_header("Authorization", format!("Bearer {}", token.access_token));
//!         Ok(())
//!     }
//! }
//!
//! impl LoginFlow {
//!     fn get_profile(&mut self, client: &Client) -> TaskResult {
//!         client.get("/api/v1/users/me").name("/api/v1/users/me").send()?;
//!         Ok(())
//!     }
//!
//!     fn list_orders(&mut self, client: &Client) -> TaskResult {
//!         client
//!             .get("/api/v1/orders")
//!             .query(&[("status", "completed")])
//!             .query(&[("limit", 10)])
//!             .name("/api/v1/orders")
//!             .send()?;
//!         Ok(())
//!     }
//!
//!     fn refresh_token(&mut self, client: &Client) -> TaskResult {
//!         let resp = client.post("/api/v1/auth/refresh").name("/api/v1/auth/refresh").send()?;
//!         if resp.status() != 200 {
//!             resp.failure(format_args!("refresh returned {}", resp.status()));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! export_user!(LoginFlow);
//! ```
//!
//! Build it as a component (the target is `wasm32-wasip2`, which produces a
//! component directly):
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p login_flow
//! # → target/wasm32-wasip2/release/login_flow.wasm
//! ```
//!
//! ## Scenario libraries
//!
//! A building block that several scenarios share ("log in to our identity
//! provider", "create a test tenant") can be a **library component**: a
//! `.wasm` of its own that scenarios import and that wasmload links into
//! every user at load time (`wasmload run scenario.wasm --lib auth.wasm`),
//! each in its own sandbox with its own memory. A library makes its
//! requests with the same [`Client`], [`check`], [`sleep`] and randomness as
//! a scenario; they go through the same broker, are timed and recorded
//! under their names, and share the user's session (its default headers
//! and cookies).
//!
//! **The library** declares its interface in a WIT file of its own (for
//! example `wit/auth.wit`, with a `library` world that exports it and a
//! `client` world for the scenarios that import it), depends on
//! `wasmload-guest` and `wit-bindgen`, and implements the export with
//! ordinary Rust types. This crate adds wasmload's own imports; a `?` on an
//! [`Error`] or [`HttpError`] turns into the WIT `string` error:
//!
//! ```
//! use wasmload_guest::prelude::*;
//!
//! mod bindings {
//!     wit_bindgen::generate!({
//!         // Usually `path: "wit", world: "library"`, from `wit/auth.wit`.
//!         inline: "
//!             package demo:auth@0.1.0;
//!             interface login {
//!                 login: func(username: string, password: string) -> result<_, string>;
//!             }
//!             world library { export login; }
//!         ",
//!     });
//! }
//!
//! struct Auth;
//!
//! impl bindings::exports::demo::auth::login::Guest for Auth {
//!     fn login(username: String, password: String) -> Result<(), String> {
//!         let client = Client::new();
//!         let response = client
//!             .post("/api/v1/auth/login")
//!             .json(&serde_json::json!({"username": username, "password": password}))
//!             .name("/api/v1/auth/login")
//!             .send()?;
//!         ensure!(response.status() == 200, "login as {username}: {}", response.status());
//!         let token: serde_json::Value = response.json()?;
//!         let token = token["access_token"].as_str().context("no access_token")?;
//!         client.set_default_header("Authorization", format!("Bearer {token}"));
//!         Ok(())
//!     }
//! }
//!
//! bindings::export!(Auth with_types_in bindings);
//! # fn main() {}
//! ```
//!
//! Its `Cargo.toml` is a scenario's (`crate-type = ["cdylib"]`); `cargo
//! build --release --target wasm32-wasip2` gives the library's `.wasm`.
//!
//! **A scenario** generates bindings for the library's `client` world and
//! calls the import like any Rust function. Its `Cargo.toml` can name the
//! libraries it needs, so that `wasmload run scripts/login_flow` builds and
//! links them without `--lib`:
//!
//! ```toml
//! [package.metadata.wasmload]
//! libraries = ["../demo_auth"]   # crate directories or .wasm files
//! ```
//!
//! ```
//! use wasmload_guest::prelude::*;
//!
//! mod auth {
//!     wit_bindgen::generate!({
//!         // Usually `path: "../demo_auth/wit", world: "client"`.
//!         inline: "
//!             package demo:auth@0.1.0;
//!             interface login {
//!                 login: func(username: string, password: string) -> result<_, string>;
//!             }
//!             world client { import login; }
//!         ",
//!     });
//! }
//!
//! #[derive(Default)]
//! struct Agent;
//!
//! impl User for Agent {
//!     fn spec() -> UserSpec<Self> {
//!         UserSpec::new("Agent").task("profile", 1, |_, client| {
//!             client.get("/api/v1/users/me").send()?;
//!             Ok(())
//!         })
//!     }
//!
//!     fn on_start(&mut self, _client: &Client) -> TaskResult {
//!         auth::demo::auth::login::login("agent@example.com", "SupportPass123!")
//!             .map_err(Error::msg)
//!     }
//! }
//!
//! export_user!(Agent);
//! # fn main() {}
//! ```
//!
//! `scripts/demo_auth` (the library) and `scripts/login_flow` (a scenario
//! that imports it) are the whole example.
//!
//! ## From Locust to wasmload
//!
//! | Locust | wasmload-guest |
//! | --- | --- |
//! | `class U(HttpUser)` | `#[derive(Default)] struct U;` + `impl User for U` + [`export_user!`]`(U)` |
//! | `wait_time = between(1, 3)` | [`UserSpec::wait`]`(`[`between`]`(1, 3))`; also [`constant`], [`constant_pacing`], [`constant_throughput`], [`no_wait`] |
//! | `@task(3) def f(self)` | [`UserSpec::task`]`("f", 3, Self::f)` with `fn f(&mut self, client: &Client) -> TaskResult` |
//! | `on_start` / `on_stop` | [`User::on_start`] / [`User::on_stop`] |
//! | `self.client.get(url, params=..., name=...)` | `client.get(url).query(&[...]).name(...).send()?` |
//! | `json=`, `data=`, `files=`, `headers=`, `timeout=` | [`RequestBuilder::json`], [`form`](RequestBuilder::form), [`multipart`](RequestBuilder::multipart), [`header`](RequestBuilder::header), [`timeout`](RequestBuilder::timeout) |
//! | `self.client.headers.update({...})` | [`Client::set_default_header`] |
//! | `with ... catch_response=True as r: r.failure(msg)` | [`Response::failure`] / [`Response::success`] (the sample is recorded when the `Response` is dropped) |
//! | `response.json()`, `.text`, `.content`, `.status_code` | [`Response::json`], [`text`](Response::text), [`bytes`](Response::bytes), [`status`](Response::status) |
//! | `random.choice`, `random.randint`, `uuid4().hex[:8]` | [`choose`], [`random_range`]`(lo..=hi)`, [`random_hex`]`(8)` |
//! | `time.sleep(1)` | [`sleep`]`(Duration::from_secs(1))` |
//! | an exception in a task | returning an [`Error`] (`?`, [`fail!`], [`ensure!`]) |
//!
//! ## Requests and outcomes
//!
//! [`Client`] is a handle to the user's session in the host (default
//! headers, cookies). A request is timed by the host and recorded under its
//! [`name`](RequestBuilder::name) (else its path) when the [`Response`] is
//! dropped: as a failure if its status is 400 or more, unless the task
//! decided otherwise with [`Response::failure`] or [`Response::success`].
//! A request that gets no response at all returns an [`HttpError`], which the
//! host has already counted as a failure; `?` turns it into the task's
//! [`Error`].
//!
//! ## Errors
//!
//! [`TaskResult`] is `Result<(), Error>`. [`Error`] works like
//! `anyhow::Error`: any standard error converts into it, [`Error::msg`]
//! builds one from a message, and the [`Context`] trait adds context. A task
//! that returns an error is counted by the host as an exception of that task;
//! a panic traps the instance instead, so prefer errors.
//!
//! ## Reproducible randomness
//!
//! [`random_u64`], [`random_f64`], [`random_bool`], [`random_range`],
//! [`choose`] and [`random_hex`] all draw from the host's per-user generator,
//! seeded from `--seed`, so a run can be replayed exactly. Do not use `rand`
//! or `getrandom` in scenarios.
//!
//! ## Utilities
//!
//! [`sleep`], [`log`] (and [`log_debug`], [`log_info`], [`log_warn`],
//! [`log_error`], [`log_trace`]), [`vu_id`], [`iteration`], [`env()`] /
//! [`env_or`] (run parameters given with `--env KEY=VALUE`), and [`check`]
//! (named pass/fail counters, like k6).
//!
//! Everything a scenario needs is in [`prelude`].

#![deny(missing_docs)]

mod client;
pub mod data;
mod error;
pub mod metrics;
mod multipart;
mod request;
mod response;
mod rng;
mod runner;
mod runtime;
mod shape;
mod user;
mod wait;

/// The raw bindings generated from `wit/scenario.wit`. Not part of the API:
/// use the types of this crate instead.
#[doc(hidden)]
#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
pub mod wit {
    wit_bindgen::generate!({
        path: "../wit/0.2.0",
        world: "scenario",
        pub_export_macro: true,
        export_macro_name: "__export_scenario",
        default_bindings_module: "wasmload_guest::wit",
    });
}

pub use crate::client::Client;
pub use crate::error::{Context, Error, HttpError, HttpErrorKind, TaskResult};
pub use crate::multipart::Multipart;
pub use crate::request::{Method, QueryPair, Request, RequestBuilder};
pub use crate::response::Response;
pub use crate::rng::{
    choose, random_bool, random_f64, random_hex, random_range, random_u64, SampleInt, SampleRange,
};
pub use crate::runtime::{
    check, env, env_or, iteration, log, log_debug, log_error, log_info, log_trace, log_warn, sleep,
    vu_id, LogLevel,
};
pub use crate::shape::{stage_at, ShapeFn, ShapeStep, Stage};
pub use crate::user::{SetupFn, Task, TaskFn, TeardownFn, User, UserSpec};
pub use crate::wait::{between, constant, constant_pacing, constant_throughput, no_wait, WaitTime};

/// The vocabulary of a scenario, for `use wasmload_guest::prelude::*;`.
///
/// It holds the user and request types, the wait-time constructors, the
/// runtime utilities and randomness functions, the [`fail!`], [`ensure!`]
/// and [`export_user!`] macros, and `std::time::Duration`.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// let spec = UserSpec::<()>::new("APIUser").wait(between(1, 3));
/// assert_eq!(spec.wait_time(), WaitTime::Between {
///     min: Duration::from_secs(1),
///     max: Duration::from_secs(3),
/// });
/// ```
pub mod prelude {
    pub use crate::{
        between, check, choose, constant, constant_pacing, constant_throughput, ensure, env,
        env_or, export_user, fail, iteration, log, log_debug, log_error, log_info, log_trace,
        log_warn, no_wait, random_bool, random_f64, random_hex, random_range, random_u64, sleep,
        stage_at, vu_id, Client, Context, Error, HttpError, LogLevel, Method, Multipart, Response,
        ShapeFn, ShapeStep, Stage, TaskResult, User, UserSpec, WaitTime,
    };
    pub use crate::{data, metrics};
    pub use std::time::Duration;
}

/// Items used by [`export_user!`]'s expansion. Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::runner::Runner;
    pub use crate::wit::exports::wasmload::scenario::user::Guest;
    pub use crate::wit::wasmload::scenario::types::{ShapeStep, UserInfo};
}
