//! The closed model: keeps the number of running users at what the shape asks for, starting
//! or retiring one user at a time at the shape's spawn rate. A retired user finishes its
//! current task, runs `on-stop` and leaves; it is never cut off mid-request.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::{Id, JoinSet};
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::user_loop::{run_user, Cadence};
use super::{report_panic, ClosedShape, Ending, RunOutcome, StopReason, Swarm};
use crate::plan::Step;
use crate::vu::Vu;

/// How often the controller looks at the shape when it is not starting or stopping users.
const TICK: Duration = Duration::from_millis(100);
/// How often a scenario's own shape is asked, as Locust asks a `LoadTestShape`.
const GUEST_SHAPE_INTERVAL: Duration = Duration::from_secs(1);

/// Runs users in the closed model until the shape ends or the run must stop.
pub(super) async fn run(
    swarm: &Arc<Swarm>,
    mut shape: ClosedShape,
    started: Instant,
    ending: &mut Ending<'_>,
    users: &mut JoinSet<()>,
) -> RunOutcome {
    let mut crowd = Crowd::default();
    let mut step: Option<Step> = None;
    let mut announced: Option<Step> = None;
    let mut next_ask = started;
    let mut next_change = started;
    let reason = loop {
        let now = Instant::now();
        let elapsed = now - started;
        match &mut shape {
            ClosedShape::Host(host) => step = host.step_at(elapsed),
            ClosedShape::Controlled(users) => step = Some(*users.borrow()),
            ClosedShape::Guest { vu, max_users } if now >= next_ask => {
                step = ask_guest(swarm, vu, elapsed).await.map(|step| Step {
                    users: step.users.min(*max_users),
                    ..step
                });
                next_ask = now + GUEST_SHAPE_INTERVAL;
            }
            ClosedShape::Guest { .. } => {}
        }
        let Some(current) = step else {
            break StopReason::ShapeEnded;
        };
        if announced != Some(current) {
            tracing::info!(
                "ramping to {} users at {} per second",
                current.users,
                format_rate(current.spawn_rate)
            );
            announced = Some(current);
        }
        let exhausted = swarm.iterations_exhausted();
        if exhausted && users.is_empty() {
            break StopReason::Completed;
        }
        let target = current.users as usize;
        let before = crowd.active.len();
        let moving = before != target && !(before < target && exhausted);
        if moving {
            let interval = step_interval(current.spawn_rate);
            while next_change <= now && crowd.active.len() != target {
                if crowd.active.len() < target {
                    crowd.spawn(swarm, users);
                } else {
                    crowd.retire();
                }
                next_change += interval;
            }
        } else {
            next_change = now;
        }
        if moving && crowd.active.len() == target {
            tracing::info!("{target} users running");
        }
        swarm
            .gauges
            .set_users(crowd.active.len() as u32, current.users);
        if crowd.active.len() != before {
            tracing::debug!(
                "users: t={:.3}s running={} target={target}",
                elapsed.as_secs_f64(),
                crowd.active.len()
            );
        }
        let wake = if moving {
            next_change.min(now + TICK)
        } else {
            now + TICK
        };
        tokio::select! {
            _ = sleep_until(wake) => {}
            reason = ending.reached() => break reason,
            Some(joined) = users.join_next_with_id(), if !users.is_empty() => {
                match joined {
                    Ok((id, ())) => crowd.left(id),
                    Err(err) => {
                        crowd.left(err.id());
                        report_panic(swarm, Err(err));
                    }
                }
            }
        }
    };
    RunOutcome {
        reason,
        users_spawned: crowd.next_vu,
        peak_users: crowd.peak,
        ..RunOutcome::default()
    }
}

/// The users the controller is keeping alive, newest last.
#[derive(Default)]
struct Crowd {
    active: Vec<(Id, CancellationToken)>,
    next_vu: u32,
    peak: u32,
}

impl Crowd {
    fn spawn(&mut self, swarm: &Arc<Swarm>, users: &mut JoinSet<()>) {
        let vu_id = self.next_vu;
        self.next_vu += 1;
        let leave = swarm.stop.child_token();
        let cadence = Cadence::Closed {
            leave: leave.clone(),
        };
        let scenario = swarm.slot_for(u64::from(vu_id));
        let handle = users.spawn(run_user(Arc::clone(swarm), vu_id, scenario, cadence));
        self.active.push((handle.id(), leave));
        self.peak = self.peak.max(self.active.len() as u32);
    }

    /// Asks the newest user to finish its task and leave.
    fn retire(&mut self) {
        if let Some((_, leave)) = self.active.pop() {
            leave.cancel();
        }
    }

    /// A user's task ended (it finished its iterations, or failed to start).
    fn left(&mut self, id: Id) {
        self.active.retain(|(active, _)| *active != id);
    }
}

/// Time between two user starts (or stops) at `spawn_rate` per second.
fn step_interval(spawn_rate: f64) -> Duration {
    if spawn_rate.is_finite() && spawn_rate > 0.0 {
        Duration::from_secs_f64(1.0 / spawn_rate)
    } else {
        Duration::ZERO
    }
}

fn format_rate(rate: f64) -> String {
    if rate.is_finite() {
        format!("{rate:.2}")
    } else {
        "all at once".to_string()
    }
}

/// Asks the scenario's shape for its step; a trap ends the run, recorded as an exception.
async fn ask_guest(swarm: &Swarm, vu: &mut Vu, elapsed: Duration) -> Option<Step> {
    let elapsed_ms = elapsed.as_millis().min(u128::from(u64::MAX)) as u64;
    match vu.shape(elapsed_ms).await {
        Ok(step) => step.map(|step| Step {
            users: step.users,
            spawn_rate: step.spawn_rate,
        }),
        Err(trap) => {
            let reason = vu.explain_trap(&trap);
            swarm.ctx.recorder.exception(format!("shape: {reason}"));
            None
        }
    }
}
