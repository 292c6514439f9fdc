//! A scenario's own run options (`wasmload:options`, beside the contract): an optional
//! export, read once when the scenario is loaded. A k6-style script's `options.thresholds`
//! arrive this way.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use wasmtime::Store;

use super::{Identity, LoadedScenario, RunContext, ScenarioPre, VuState};
use crate::bindings::OPTIONS_INTERFACE;
use crate::engine::EPOCH_TICK;

/// The id of the instance the options are read through.
const OPTIONS_VU: u32 = u32::MAX - 2;
/// How long reading the options may compute.
const OPTIONS_TIME: Duration = Duration::from_secs(5);

impl ScenarioPre {
    /// The untyped pre-instantiation, for exports beside the contract's.
    fn instance_pre(&self) -> &wasmtime::component::InstancePre<VuState> {
        match self {
            Self::V1(pre) => pre.instance_pre(),
            Self::V2(pre) => pre.instance_pre(),
        }
    }
}

impl LoadedScenario {
    /// The thresholds the scenario exports in its options; none when it exports no options.
    pub async fn thresholds(&self, ctx: &Arc<RunContext>) -> anyhow::Result<Vec<String>> {
        let component = &self.component;
        let Some(interface) = component.get_export_index(None, OPTIONS_INTERFACE) else {
            return Ok(Vec::new());
        };
        let function = component
            .get_export_index(Some(&interface), "thresholds")
            .ok_or_else(|| anyhow!("it exports {OPTIONS_INTERFACE} without `thresholds`"))?;
        let identity = Identity::new(OPTIONS_VU, 0, ctx.options.seed);
        let mut store = Store::new(&self.engine, VuState::new(Arc::clone(ctx), identity));
        if ctx.options.budgets {
            let ticks = OPTIONS_TIME.as_millis() / EPOCH_TICK.as_millis().max(1);
            store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
            store.epoch_deadline_trap();
        }
        let instance = self
            .pre
            .instance_pre()
            .instantiate_async(&mut store)
            .await?;
        let thresholds = instance
            .get_typed_func::<(), (Vec<String>,)>(&mut store, &function)
            .map_err(|err| anyhow!("its `thresholds` is not `func() -> list<string>`: {err}"))?;
        let (texts,) = thresholds.call_async(&mut store, ()).await?;
        Ok(texts)
    }
}
