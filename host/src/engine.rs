//! The WebAssembly engine: configuration (pooling, epochs), loading and checking a scenario
//! component, and pre-instantiating it once for every user.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::{ScenarioPre, UserInfo, WaitTime, CONTRACT};
use crate::error::Failure;
use crate::vu::VuState;

/// Core instances one user's component may create (a Rust guest needs a handful).
pub const MAX_CORE_INSTANCES_PER_VU: u32 = 32;
/// How often the epoch advances; also the granularity of the task timeout.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Instance slots beyond the user count: the describing instance, and instances replaced
/// after a trap while their successor starts.
const SPARE_SLOTS: u32 = 16;
/// Bytes of each fiber stack kept resident between calls, so a task does not page-fault its
/// stack in again every iteration.
const STACK_KEEP_RESIDENT: usize = 64 << 10;
/// Memory slots the pool reserves at most: each reserves address space, not memory.
const MAX_MEMORY_SLOTS: u32 = 24_000;

/// Sizes the engine for a run.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// The most users alive at once.
    pub max_users: u32,
    /// The linear memory each user may grow to, in bytes.
    pub vu_memory: usize,
    /// Epoch interruption for the task timeout; off only to measure what it costs.
    pub budgets: bool,
}

/// Builds an engine with a pooling allocator sized for `options.max_users`, and starts the
/// epoch ticker that lets the host interrupt a guest that never yields.
pub fn build_engine(options: EngineOptions) -> anyhow::Result<Engine> {
    let slots = options.max_users.saturating_add(SPARE_SLOTS);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(4))
        .max_core_instances_per_component(MAX_CORE_INSTANCES_PER_VU)
        .total_memories(slots.saturating_mul(2).min(MAX_MEMORY_SLOTS).max(slots))
        .total_tables(slots.saturating_mul(4))
        .total_stacks(slots)
        .async_stack_keep_resident(STACK_KEEP_RESIDENT)
        .max_memory_size(options.vu_memory);
    let mut config = Config::new();
    config
        .epoch_interruption(options.budgets)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if slots > MAX_MEMORY_SLOTS {
        config.memory_reservation(options.vu_memory as u64);
    }
    let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
    if !options.budgets {
        return Ok(engine);
    }
    let ticker = engine.weak();
    std::thread::Builder::new()
        .name("wasmload-epoch".into())
        .spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .context("cannot start the epoch thread")?;
    Ok(engine)
}

/// A compiled, linked and checked scenario, ready to instantiate once per user.
pub struct LoadedScenario {
    /// Where it came from.
    pub path: PathBuf,
    /// The engine it was compiled with.
    pub engine: Engine,
    /// Its pre-instantiation, shared by all users.
    pub pre: ScenarioPre<VuState>,
    /// The compiled component, for listing its imports and exports.
    pub component: Component,
}

/// Reads, compiles and links a scenario component, or explains in one line why it cannot be
/// used.
pub fn load_component(engine: &Engine, path: &Path) -> Result<LoadedScenario, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|err| Failure::bad_input(anyhow!("cannot read {}: {err}", path.display())))?;
    check_header(path, &bytes).map_err(Failure::bad_input)?;
    let component = Component::new(engine, &bytes).map_err(|err| {
        Failure::bad_input(anyhow!(
            "{} is not a valid component: {}",
            path.display(),
            anyhow::Error::from(err)
        ))
    })?;
    let mut linker = Linker::<VuState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
    crate::bindings::Scenario::add_to_linker::<VuState, HasSelf<VuState>>(&mut linker, |state| {
        state
    })
    .map_err(anyhow::Error::from)?;
    let instance_pre = linker.instantiate_pre(&component).map_err(|err| {
        Failure::bad_input(anyhow!(
            "{} needs an import wasmload does not provide: {}",
            path.display(),
            anyhow::Error::from(err)
        ))
    })?;
    let pre = ScenarioPre::new(instance_pre).map_err(|_| {
        let exports: Vec<String> = component
            .component_type()
            .exports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        Failure::bad_input(anyhow!(
            "{} is not a {CONTRACT} scenario: it must export `{CONTRACT}`'s `user` interface, \
             but exports [{}]",
            path.display(),
            exports.join(", ")
        ))
    })?;
    Ok(LoadedScenario {
        path: path.to_path_buf(),
        engine: engine.clone(),
        pre,
        component,
    })
}

/// Rejects files that are not WebAssembly components before compiling them.
fn check_header(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE: &[u8] = &[1, 0, 0, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        anyhow::bail!("{} is not a WebAssembly file", path.display());
    }
    if &bytes[4..8] == CORE_MODULE {
        anyhow::bail!(
            "{} is a core WebAssembly module, not a component: build scenarios for wasm32-wasip2",
            path.display()
        );
    }
    Ok(())
}

/// Checks what a scenario says about its user, so the scheduler can rely on it.
pub fn validate_user(user: &UserInfo) -> anyhow::Result<()> {
    if user.tasks.is_empty() {
        anyhow::bail!("user `{}` has no tasks", user.name);
    }
    if user
        .tasks
        .iter()
        .map(|task| u64::from(task.weight))
        .sum::<u64>()
        == 0
    {
        anyhow::bail!("user `{}` has no task with a weight above 0", user.name);
    }
    match user.wait {
        WaitTime::Between((min, max)) if min > max => {
            anyhow::bail!(
                "user `{}` waits between {min} ms and {max} ms: min > max",
                user.name
            )
        }
        WaitTime::ConstantThroughput(rate) if !(rate.is_finite() && rate > 0.0) => {
            anyhow::bail!("user `{}` has a constant throughput of {rate}/s", user.name)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::Task;

    fn user(tasks: &[u32], wait: WaitTime) -> UserInfo {
        UserInfo {
            name: "U".into(),
            tasks: tasks
                .iter()
                .enumerate()
                .map(|(i, &weight)| Task {
                    name: format!("t{i}"),
                    weight,
                })
                .collect(),
            wait,
            custom_shape: false,
        }
    }

    #[test]
    fn headers_tell_components_from_modules_and_junk() {
        let path = Path::new("x.wasm");
        assert!(check_header(path, b"\0asm\x0d\0\x01\0rest").is_ok());
        let module = check_header(path, b"\0asm\x01\0\0\0").expect_err("core module");
        assert!(module.to_string().contains("core WebAssembly module"));
        let text = check_header(path, b"hello world, not wasm").expect_err("text");
        assert!(text.to_string().contains("not a WebAssembly file"));
        assert!(check_header(path, b"").is_err());
    }

    #[test]
    fn users_need_a_weighted_task_and_a_sane_wait() {
        assert!(validate_user(&user(&[1, 2], WaitTime::None)).is_ok());
        assert!(validate_user(&user(&[], WaitTime::None)).is_err());
        assert!(validate_user(&user(&[0, 0], WaitTime::None)).is_err());
        assert!(validate_user(&user(&[1], WaitTime::Between((3000, 1000)))).is_err());
        assert!(validate_user(&user(&[1], WaitTime::ConstantThroughput(0.0))).is_err());
        assert!(validate_user(&user(&[1], WaitTime::ConstantThroughput(2.0))).is_ok());
    }
}
