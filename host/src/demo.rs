//! `wasmload demo`: the bundled demo API, started in-process on a free port, under the
//! `login_flow` scenario and its `auth.wasm` library, both built into the binary.

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

/// The `login_flow` scenario, built into the binary (see `build.rs`).
const LOGIN_FLOW: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/login_flow.wasm"));
/// The `demo:auth` library `login_flow` imports, built into the binary.
const AUTH: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/auth.wasm"));

/// Starts the demo API, runs `login_flow` with its library against it with `options` and
/// `plan`, and shuts it down.
pub async fn run_demo(options: &LoadOptions, plan: &PlanFile) -> Result<Finished, Failure> {
    let components = DemoComponents::write()?;
    let server = DemoServer::start(([127, 0, 0, 1], 0).into(), DemoConfig::default())
        .await
        .map_err(|err| Failure::from(anyhow!("cannot start the demo API: {err}")))?;
    eprintln!("demo API listening on {}", server.url());
    let mut config = RunConfig::resolve(Some(&server.url()), options, plan, DEMO_DEFAULTS)
        .map_err(Failure::bad_input)?;
    config.libraries.push(components.auth());
    let finished = run_scenarios(&[(components.login_flow(), 1)], config).await;
    println!("demo API served {} requests", server.requests_served());
    server.shutdown().await;
    finished
}

/// The demo's components, written from the binary to a directory of their own for the run
/// and removed after it.
struct DemoComponents {
    dir: PathBuf,
}

impl DemoComponents {
    fn write() -> Result<Self, Failure> {
        let dir = std::env::temp_dir().join(format!("wasmload-demo-{}", std::process::id()));
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("login_flow.wasm"), LOGIN_FLOW))
            .and_then(|()| std::fs::write(dir.join("auth.wasm"), AUTH));
        written.map_err(|err| {
            Failure::from(anyhow!(
                "cannot write the demo's components to {}: {err}",
                dir.display()
            ))
        })?;
        Ok(Self { dir })
    }

    fn login_flow(&self) -> PathBuf {
        self.dir.join("login_flow.wasm")
    }

    fn auth(&self) -> PathBuf {
        self.dir.join("auth.wasm")
    }
}

impl Drop for DemoComponents {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
