//! A scenario's test-wide hooks: `setup` once before any user starts (what it returns is
//! kept for every user), `teardown` once when the run ends, also after Ctrl-C. Each runs in
//! an instance of its own, and its requests are recorded under names that start with
//! `setup: ` or `teardown: `. In a coordinated run shard 0 runs them for the whole run, and
//! what its setups returned reaches every shard with the start.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;

use crate::bindings::Hooks;
use crate::error::Failure;
use crate::scheduler::ScenarioSlot;
use crate::vu::{Identity, RunContext, Vu};

/// The user id a scenario's setup runs as.
const SETUP_VU: u32 = u32::MAX - 1;
/// The user id a scenario's teardown runs as.
const TEARDOWN_VU: u32 = u32::MAX - 2;

/// Runs each scenario's setup and keeps what it returns; a setup that fails stops the run
/// before it begins, in one line naming the scenario.
pub async fn setup(slots: &[ScenarioSlot], ctx: &Arc<RunContext>) -> Result<(), Failure> {
    for (scenario, slot) in (0u16..).zip(slots) {
        if !slot.user.hooks.contains(Hooks::SETUP) {
            continue;
        }
        let path = slot.loaded.path.display();
        let identity = Identity::new(SETUP_VU, scenario, ctx.options.seed);
        let mut vu = Vu::instantiate(&slot.loaded, Arc::clone(ctx), identity)
            .await
            .map_err(|err| {
                let err = anyhow::Error::from(err);
                Failure::scenario(anyhow!("{path}: its setup cannot be instantiated: {err}"))
            })?;
        vu.set_row_prefix("setup");
        tracing::info!("running the setup of {path}");
        let bytes = match vu.setup().await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(message)) => {
                return Err(Failure::scenario(anyhow!(
                    "{path}: its setup failed, so the run did not start: {message}"
                )))
            }
            Err(trap) => {
                let reason = vu.explain_trap(&trap);
                return Err(Failure::scenario(anyhow!(
                    "{path}: its setup trapped, so the run did not start: {reason}"
                )));
            }
        };
        ctx.setup_results.set(scenario, bytes);
    }
    Ok(())
}

/// What each of `scenarios` scenarios' setup returned, in base64, for the other shards.
pub fn encoded(ctx: &RunContext, scenarios: usize) -> Vec<Option<String>> {
    use base64::Engine as _;
    (0..scenarios)
        .map(|scenario| {
            let scenario = u16::try_from(scenario).unwrap_or(u16::MAX);
            let bytes = ctx.setup_results.get(scenario)?;
            Some(base64::engine::general_purpose::STANDARD.encode(bytes))
        })
        .collect()
}

/// Keeps what the run's setups returned on another shard, as if they had run here.
pub fn adopt(ctx: &RunContext, encoded: &[Option<String>]) -> Result<(), Failure> {
    use base64::Engine as _;
    for (scenario, text) in (0u16..).zip(encoded) {
        let Some(text) = text else { continue };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|err| {
                Failure::from(anyhow!(
                    "the coordinator sent a setup's data that is not base64: {err}"
                ))
            })?;
        ctx.setup_results.set(scenario, bytes);
    }
    Ok(())
}

/// Runs each scenario's teardown with what its setup returned, each within `within`; one
/// that fails or does not finish is recorded as an exception.
pub async fn teardown(slots: &[ScenarioSlot], ctx: &Arc<RunContext>, within: Duration) {
    for (scenario, slot) in (0u16..).zip(slots) {
        if !slot.user.hooks.contains(Hooks::TEARDOWN) {
            continue;
        }
        let setup_data = ctx.setup_results.get(scenario).map(<[u8]>::to_vec);
        let ran = tokio::time::timeout(within, teardown_one(slot, ctx, scenario, setup_data)).await;
        let failed = match ran {
            Ok(Ok(())) => continue,
            Ok(Err(reason)) => reason,
            Err(_) => format!(
                "did not finish within {} (--stop-timeout)",
                humantime::format_duration(within)
            ),
        };
        ctx.recorder.exception(format!("teardown: {failed}"));
    }
}

async fn teardown_one(
    slot: &ScenarioSlot,
    ctx: &Arc<RunContext>,
    scenario: u16,
    setup_data: Option<Vec<u8>>,
) -> Result<(), String> {
    tracing::info!("running the teardown of {}", slot.loaded.path.display());
    let identity = Identity::new(TEARDOWN_VU, scenario, ctx.options.seed);
    let mut vu = Vu::instantiate(&slot.loaded, Arc::clone(ctx), identity)
        .await
        .map_err(|err| format!("cannot be instantiated: {}", anyhow::Error::from(err)))?;
    vu.set_row_prefix("teardown");
    vu.teardown(setup_data)
        .await
        .map_err(|trap| vu.explain_trap(&trap))
}
