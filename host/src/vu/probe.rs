//! How many memory mappings one user takes, measured by starting a few: the kernel caps a
//! process's mappings (`vm.max_map_count`), and that cap, not memory, is what first limits
//! the users one process can hold.

use std::sync::Arc;

use super::{Identity, LoadedScenario, RunContext, Vu};

/// Users started to measure; they fit in the engine's spare slots.
const PROBES: u32 = 8;
/// The ids the measuring users take, far from any real user's.
const FIRST_PROBE_ID: u32 = u32::MAX - 64;

/// The memory mappings a user of `loaded` adds, or `None` where `/proc` does not tell.
pub async fn mappings_per_user(loaded: &LoadedScenario, ctx: &Arc<RunContext>) -> Option<f64> {
    let before = process_mappings()?;
    let mut alive = Vec::new();
    for n in 0..PROBES {
        let identity = Identity::new(FIRST_PROBE_ID + n, 0, ctx.options.seed);
        alive.push(
            Vu::instantiate(loaded, Arc::clone(ctx), identity)
                .await
                .ok()?,
        );
    }
    let after = process_mappings()?;
    drop(alive);
    Some(after.saturating_sub(before) as f64 / f64::from(PROBES))
}

/// The process's memory mappings now.
pub fn process_mappings() -> Option<u64> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    Some(maps.lines().count() as u64)
}

/// The kernel's cap on a process's mappings.
pub fn max_mappings() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}
