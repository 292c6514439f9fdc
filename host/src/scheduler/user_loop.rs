//! The life of one virtual user: instantiate, `on-start`, iterations (paced by its wait time,
//! or handed out by the arrival-rate dispatcher), `on-stop`; after a trap, the same user goes
//! on in a fresh instance.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::tasks::wait_after;
use super::{ScenarioSlot, Swarm};
use crate::vu::{Identity, Vu};

/// Pause before re-instantiating a user whose `on-start` trapped, so a broken scenario does
/// not spin.
const RESTART_BACKOFF: Duration = Duration::from_secs(1);

/// An arrival-rate iteration handed to a user.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    /// When the schedule wanted it to start.
    pub intended: Instant,
}

/// How a user idle in the arrival-rate pool is reached: its scenario and its ticket inbox.
pub type IdleUser = (u16, mpsc::Sender<Ticket>);

/// What paces a user's iterations.
pub enum Cadence {
    /// Closed model: iterate until told to leave, waiting after each task by the user's
    /// wait time.
    Closed {
        /// Cancelled when this user should finish its task, run `on-stop` and leave.
        leave: CancellationToken,
    },
    /// Open model: run one task per ticket, with no wait, and report back as idle.
    Open {
        /// Held while the user starts: counts it among those the dispatcher awaits.
        starting: Option<StartingGuard>,
        /// Where the dispatcher sends tickets.
        inbox: mpsc::Receiver<Ticket>,
        /// This user's address, as given to the dispatcher.
        address: mpsc::Sender<Ticket>,
        /// Where the user announces it is idle.
        idle: mpsc::UnboundedSender<IdleUser>,
    },
}

impl Cadence {
    /// What cuts a wait of this user short: its leave (closed model), or the run's stop.
    fn cut_short(&self, swarm: &Swarm) -> CancellationToken {
        match self {
            Cadence::Closed { leave } => leave.clone(),
            Cadence::Open { .. } => swarm.stop.clone(),
        }
    }

    /// Waits for the next iteration: `None` when the user should stop, else how late the
    /// iteration starts (`None` lateness in the closed model).
    async fn next(&mut self, swarm: &Swarm, scenario: u16) -> Option<Option<Duration>> {
        match self {
            Cadence::Closed { leave } => {
                (!leave.is_cancelled() && swarm.claim_iteration()).then_some(None)
            }
            Cadence::Open {
                starting,
                inbox,
                address,
                idle,
            } => {
                *starting = None;
                // A ticket handed out before the stop is run: it is counted as started.
                let ticket = match inbox.try_recv().ok() {
                    Some(ticket) => ticket,
                    None if swarm.stop.is_cancelled() => return None,
                    None => {
                        idle.send((scenario, address.clone())).ok()?;
                        tokio::select! {
                            biased;
                            ticket = inbox.recv() => ticket?,
                            _ = swarm.stop.cancelled() => return None,
                        }
                    }
                };
                Some(Some(ticket.intended.elapsed()))
            }
        }
    }

    /// Waits after a task that took `took`, by the user's wait time (closed model only).
    async fn after_task(&self, slot: &ScenarioSlot, took: Duration, vu: &mut Vu) {
        if let Cadence::Closed { leave } = self {
            let wait = self.wait_after(slot, took, vu);
            if !wait.is_zero() {
                pause(leave, wait).await;
            }
        }
    }

    /// The wait after a task that took `took`: the user's wait time in the closed model,
    /// none in the open one (the schedule paces it).
    fn wait_after(&self, slot: &ScenarioSlot, took: Duration, vu: &mut Vu) -> Duration {
        match self {
            Cadence::Closed { .. } => wait_after(&slot.user.wait, took, vu.rng()),
            Cadence::Open { .. } => Duration::ZERO,
        }
    }

    fn stopped(&self, swarm: &Swarm) -> bool {
        match self {
            Cadence::Closed { leave } => leave.is_cancelled(),
            Cadence::Open { .. } => swarm.stop.is_cancelled(),
        }
    }
}

/// Counts a user among those starting (instantiating, running `on-start`) until it is
/// ready for its first iteration, or ends before it.
#[derive(Debug)]
pub struct StartingGuard(Arc<AtomicU32>);

impl StartingGuard {
    /// Counts one more user starting in `count`.
    pub fn new(count: &Arc<AtomicU32>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(count))
    }
}

impl Drop for StartingGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Sleeps for `duration`, or less if `until` is cancelled first.
async fn pause(until: &CancellationToken, duration: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = until.cancelled() => {}
    }
}

/// How a user's instance ended.
enum InstanceEnd {
    /// The user is done (stop, leave, or no iterations left).
    Finished,
    /// The guest trapped; go on in a fresh instance.
    Trapped {
        identity: Identity,
        backoff: Duration,
    },
}

/// Runs user `vu_id` of scenario `scenario` until its cadence ends.
pub async fn run_user(swarm: Arc<Swarm>, vu_id: u32, scenario: u16, mut cadence: Cadence) {
    let Some(slot) = swarm.slots.get(usize::from(scenario)) else {
        return;
    };
    let mut identity = Identity::new(vu_id, scenario, swarm.ctx.options.seed);
    // A coordinated shard made its first instances before the start.
    let mut warm = swarm.warm.take(vu_id, scenario);
    while !cadence.stopped(&swarm) {
        let made = match warm.take() {
            Some(vu) => Ok(vu),
            None => Vu::instantiate(&slot.loaded, Arc::clone(&swarm.ctx), identity).await,
        };
        let vu = match made {
            Ok(mut vu) => {
                vu.set_wait(slot.user.wait, cadence.cut_short(&swarm));
                vu
            }
            Err(err) => {
                let err = anyhow::Error::from(err);
                swarm
                    .ctx
                    .recorder
                    .exception(format!("instantiate: {err:#}"));
                return;
            }
        };
        match run_instance(&swarm, slot, vu, &mut cadence).await {
            InstanceEnd::Finished => return,
            InstanceEnd::Trapped {
                identity: carried,
                backoff,
            } => {
                identity = carried;
                if !backoff.is_zero() {
                    pause(&swarm.stop, backoff).await;
                }
                tokio::task::coop::consume_budget().await;
            }
        }
    }
}

async fn run_instance(
    swarm: &Swarm,
    slot: &ScenarioSlot,
    mut vu: Vu,
    cadence: &mut Cadence,
) -> InstanceEnd {
    let recorder = &swarm.ctx.recorder;
    let scenario = vu.identity().scenario;
    match vu.on_start().await {
        Ok(Ok(())) => {}
        Ok(Err(_)) if vu.task_had_failed_request() => recorder.task_cut_short(scenario),
        Ok(Err(_)) if vu.task_ran_out_of_data() => swarm.stop.cancelled().await,
        Ok(Err(message)) => recorder.exception(format!("on_start: {message}")),
        Err(trap) => {
            recorder.exception(format!("on_start: {}", vu.explain_trap(&trap)));
            return trapped(&vu, RESTART_BACKOFF);
        }
    }
    while let Some(lateness) = cadence.next(swarm, scenario).await {
        if let Some(lateness) = lateness {
            let lateness_us = lateness.as_micros().min(u128::from(u64::MAX)) as u64;
            recorder.iteration_started(lateness_us);
            vu.set_lateness(Some(lateness_us));
        }
        let started_tasks = vu.identity().iteration;
        let index = slot.picker.pick(started_tasks, vu.rng());
        match vu.run_task(index).await {
            Ok(Ok(())) => {}
            // The error only carries a failed request, counted already, out of the task.
            Ok(Err(_)) if vu.task_had_failed_request() => recorder.task_cut_short(scenario),
            // A `next` data queue is empty: the run is stopping, and this user waits for it.
            Ok(Err(_)) if vu.task_ran_out_of_data() => swarm.stop.cancelled().await,
            Ok(Err(message)) => {
                recorder.exception(format!("{}: {message}", slot.picker.name(index)))
            }
            // A guest that unwraps an empty `next` queue traps: the run is stopping anyway,
            // and the instance is not used again.
            Err(_) if vu.task_ran_out_of_data() => {
                swarm.stop.cancelled().await;
                return trapped(&vu, RESTART_BACKOFF);
            }
            Err(trap) => {
                let reason = vu.explain_trap(&trap);
                recorder.exception(format!("{}: {reason}", slot.picker.name(index)));
                // As after any task, the user waits its wait time before the next one.
                let wait = cadence.wait_after(slot, vu.since_step(), &mut vu);
                return trapped(&vu, wait);
            }
        }
        // Paced from the start of the task's last step (the task's own start, unless it ran
        // a sequence), as between the steps.
        cadence.after_task(slot, vu.since_step(), &mut vu).await;
        // A task that ends without waiting on anything (one that fails at once, with no wait
        // time) still lets the scheduler, the clock and the other users run.
        tokio::task::coop::consume_budget().await;
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
