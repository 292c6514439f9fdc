//! `wasmload demo`: the bundled demo API, started in-process on a free port, under the
//! `login_flow` scenario.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;
use demo_api::{DemoConfig, DemoServer};

use crate::config::{LoadDefaults, LoadOptions, RunConfig};
use crate::error::Failure;
use crate::plan::PlanFile;
use crate::run::{run_scenarios, Finished};

/// The demo's load when no flags change it: 300 users, 50 per second, for 30 seconds.
pub const DEMO_DEFAULTS: LoadDefaults = LoadDefaults {
    users: 300,
    spawn_rate: Some(50.0),
    run_time: Some(Duration::from_secs(30)),
};

/// The `login_flow` scenario crate in this source tree.
pub fn demo_scenario() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scripts")
        .join("login_flow")
}

/// Starts the demo API, runs `login_flow` against it with `options` and `plan`, and shuts
/// it down.
pub async fn run_demo(options: &LoadOptions, plan: &PlanFile) -> Result<Finished, Failure> {
    let server = DemoServer::start(([127, 0, 0, 1], 0).into(), DemoConfig::default())
        .await
        .map_err(|err| Failure::from(anyhow!("cannot start the demo API: {err}")))?;
    eprintln!("demo API listening on {}", server.url());
    let config = RunConfig::resolve(&server.url(), options, plan, DEMO_DEFAULTS)
        .map_err(Failure::bad_input)?;
    let finished = run_scenarios(&[(demo_scenario(), 1)], config).await;
    println!("demo API served {} requests", server.requests_served());
    server.shutdown().await;
    finished
}
