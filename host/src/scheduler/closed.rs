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
    shape: ClosedShape,
    started: Instant,
    ending: &mut Ending<'_>,
    users: &mut JoinSet<()>,
) -> RunOutcome {
    let mut controller = Controller::new(shape, started);
    let reason = loop {
        let now = Instant::now();
        let Some(current) = controller.step(swarm, now - started).await else {
            break StopReason::ShapeEnded;
        };
        // Every iteration is claimed: the run stops like any other, so users in their wait
        // leave at once and those in a task finish it within `--stop-timeout`.
        if swarm.iterations_exhausted() {
            break StopReason::Completed;
        }
        let wake = controller.follow(swarm, users, current, now);
        tokio::select! {
            _ = sleep_until(wake) => {}
            reason = ending.reached() => break reason,
            Some(joined) = users.join_next_with_id(), if !users.is_empty() => {
                match joined {
                    Ok((id, ())) => controller.crowd.left(id),
                    Err(err) => {
                        controller.crowd.left(err.id());
                        report_panic(swarm, Err(err));
                    }
                }
            }
        }
    };
    RunOutcome {
        reason,
        users_spawned: controller.crowd.next_vu,
        peak_users: controller.crowd.peak,
        ..RunOutcome::default()
    }
}

/// Follows the shape: what it asks for now, and the users started or retired to get there.
struct Controller {
    shape: ClosedShape,
    started: Instant,
    crowd: Crowd,
    step: Option<Step>,
    announced: Option<Step>,
    next_ask: Instant,
    next_change: Instant,
}

impl Controller {
    fn new(shape: ClosedShape, started: Instant) -> Self {
        Self {
            shape,
            started,
            crowd: Crowd::default(),
            step: None,
            announced: None,
            next_ask: started,
            next_change: started,
        }
    }

    /// The step the shape asks for at `elapsed`; `None` once it has ended.
    async fn step(&mut self, swarm: &Swarm, elapsed: Duration) -> Option<Step> {
        let now = Instant::now();
        match &mut self.shape {
            ClosedShape::Host(host) => self.step = host.step_at(elapsed),
            ClosedShape::Controlled(users) => self.step = Some(*users.borrow()),
            ClosedShape::Guest { vu, max_users } if now >= self.next_ask => {
                self.step = ask_guest(swarm, vu, elapsed).await.map(|step| {
                    let step = swarm.shard.step(step);
                    Step {
                        users: step.users.min(*max_users),
                        ..step
                    }
                });
                self.next_ask = now + GUEST_SHAPE_INTERVAL;
            }
            ClosedShape::Guest { .. } => {}
        }
        let current = self.step?;
        if self.announced != Some(current) {
            tracing::info!(
                "ramping to {} users {}",
                current.users,
                format_rate(current.spawn_rate)
            );
            self.announced = Some(current);
        }
        Some(current)
    }

    /// Starts or retires the users due by `now` on the way to `current`; returns when to
    /// look again.
    fn follow(
        &mut self,
        swarm: &Arc<Swarm>,
        users: &mut JoinSet<()>,
        current: Step,
        now: Instant,
    ) -> Instant {
        let target = current.users as usize;
        let before = self.crowd.active.len();
        let moving = before != target;
        if moving {
            let interval = step_interval(current.spawn_rate);
            if self.crowd.next_vu == 0 {
                // A shard's first user starts when it would in one process.
                let first = self.started + swarm.shard.first_start(interval);
                self.next_change = self.next_change.max(first);
            }
            while self.next_change <= now && self.crowd.active.len() != target {
                if self.crowd.active.len() < target {
                    self.crowd.spawn(swarm, users);
                } else {
                    self.crowd.retire();
                }
                self.next_change += interval;
            }
            if self.crowd.active.len() == target {
                tracing::info!("{target} users running");
            }
        } else {
            self.next_change = now;
        }
        let running = self.crowd.active.len();
        swarm.gauges.set_users(running as u32, current.users);
        if running != before {
            let elapsed = (now - self.started).as_secs_f64();
            tracing::debug!("users: t={elapsed:.3}s running={running} target={target}");
        }
        if moving {
            self.next_change.min(now + TICK)
        } else {
            now + TICK
        }
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
        let vu_id = swarm.shard.user_id(self.next_vu);
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

/// How fast users start: `at 2.00 per second`, or `all at once`.
fn format_rate(rate: f64) -> String {
    if rate.is_finite() {
        format!("at {rate:.2} per second")
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
