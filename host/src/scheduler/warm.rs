//! Users created before a coordinated run's agreed start, so that the start is the first
//! request of every shard at once, not the instantiation of its users.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::plan::Shard;
use crate::vu::{Identity, RunContext, Vu};

use super::{mix, weighted_pattern, ScenarioSlot};

/// Instances made ahead, by user id, each taken once by the user it was made for.
#[derive(Default)]
pub struct WarmUsers(Mutex<HashMap<u32, Vu>>);

impl WarmUsers {
    /// Instantiates the first `count` users of this shard, as the scheduler would start them
    /// (the same ids, scenarios and seeds); a user that cannot be made now is made later.
    pub async fn create(
        slots: &[ScenarioSlot],
        ctx: &Arc<RunContext>,
        shard: Shard,
        weights: &[u32],
        count: u32,
    ) -> Self {
        let pattern = weighted_pattern(weights);
        let started = Instant::now();
        let mut made = HashMap::new();
        for local in 0..count {
            let vu_id = shard.user_id(local);
            let scenario = mix::turn(&pattern, u64::from(vu_id));
            let Some(slot) = slots.get(usize::from(scenario)) else {
                continue;
            };
            let identity = Identity::new(vu_id, scenario, ctx.options.seed);
            if let Ok(vu) = Vu::instantiate(&slot.loaded, Arc::clone(ctx), identity).await {
                made.insert(vu_id, vu);
            }
        }
        tracing::info!(
            "created {} users ahead of the start in {:.2}s",
            made.len(),
            started.elapsed().as_secs_f64()
        );
        Self(Mutex::new(made))
    }

    /// The instance made ahead for user `vu_id` of `scenario`, if any.
    pub fn take(&self, vu_id: u32, scenario: u16) -> Option<Vu> {
        let mut made = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let vu = made.remove(&vu_id)?;
        (vu.identity().scenario == scenario).then_some(vu)
    }
}
