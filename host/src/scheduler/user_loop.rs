//! The life of one virtual user: instantiate, `on-start`, weighted tasks with waits, `on-stop`;
//! after a trap, the same user goes on in a fresh instance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::tasks::wait_after;
use super::Swarm;
use crate::vu::{Identity, Vu};

/// Pause before re-instantiating a user whose `on-start` trapped, so a broken scenario does
/// not spin.
const RESTART_BACKOFF: Duration = Duration::from_secs(1);

/// How a user's instance ended.
enum InstanceEnd {
    /// The user is done (stop, or no iterations left).
    Finished,
    /// The guest trapped; go on in a fresh instance.
    Trapped {
        identity: Identity,
        backoff: Duration,
    },
}

/// Runs user `vu_id` until the run stops or its iterations run out.
pub async fn run_user(swarm: Arc<Swarm>, vu_id: u32) {
    let mut identity = Identity::new(vu_id, swarm.ctx.seed);
    while !swarm.stop.is_cancelled() {
        let vu = match Vu::instantiate(&swarm.loaded, Arc::clone(&swarm.ctx), identity).await {
            Ok(vu) => vu,
            Err(err) => {
                let err = anyhow::Error::from(err);
                swarm
                    .ctx
                    .recorder
                    .exception(format!("instantiate: {err:#}"));
                return;
            }
        };
        match run_instance(&swarm, vu).await {
            InstanceEnd::Finished => return,
            InstanceEnd::Trapped {
                identity: carried,
                backoff,
            } => {
                identity = carried;
                if !backoff.is_zero() {
                    swarm.pause(backoff).await;
                }
            }
        }
    }
}

async fn run_instance(swarm: &Swarm, mut vu: Vu) -> InstanceEnd {
    let recorder = &swarm.ctx.recorder;
    match vu.on_start().await {
        Ok(Ok(())) => {}
        Ok(Err(message)) => recorder.exception(format!("on_start: {message}")),
        Err(trap) => {
            recorder.exception(format!("on_start: {}", vu.explain_trap(&trap)));
            return trapped(&vu, RESTART_BACKOFF);
        }
    }
    while !swarm.stop.is_cancelled() && swarm.claim_iteration() {
        let index = swarm.picker.pick(vu.rng());
        let started = Instant::now();
        match vu.run_task(index).await {
            Ok(Ok(())) => {}
            Ok(Err(message)) => {
                recorder.exception(format!("{}: {message}", swarm.picker.name(index)))
            }
            Err(trap) => {
                let reason = vu.explain_trap(&trap);
                recorder.exception(format!("{}: {reason}", swarm.picker.name(index)));
                return trapped(&vu, Duration::ZERO);
            }
        }
        let wait = wait_after(&swarm.user.wait, started.elapsed(), vu.rng());
        if !wait.is_zero() {
            swarm.pause(wait).await;
        }
    }
    if let Err(trap) = vu.on_stop().await {
        recorder.exception(format!("on_stop: {}", vu.explain_trap(&trap)));
    }
    InstanceEnd::Finished
}

fn trapped(vu: &Vu, backoff: Duration) -> InstanceEnd {
    InstanceEnd::Trapped {
        identity: vu.identity().clone(),
        backoff,
    }
}
