//! The closed-model scheduler: starts users at the spawn rate, stops the run on time,
//! iterations or a signal, then gives users `--stop-timeout` to finish before cancelling them.

mod signals;
mod tasks;
mod user_loop;

pub use signals::StopSignals;
pub use tasks::{wait_after, TaskPicker};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::bindings::UserInfo;
use crate::engine::LoadedScenario;
use crate::run_context::RunContext;

/// The load shape of a closed-model run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Users to reach.
    pub users: u32,
    /// Users started per second.
    pub spawn_rate: f64,
    /// How long to run, if bounded by time (a bound on tasks lives in the [`Swarm`]).
    pub run_time: Option<Duration>,
    /// Grace period for users after a stop.
    pub stop_timeout: Duration,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `--run-time` elapsed.
    TimeUp,
    /// `--iterations` were all run (or every user finished).
    Completed,
    /// SIGINT or SIGTERM.
    Interrupted,
}

/// What the scheduler reports about a run.
#[derive(Debug, Clone, Copy)]
pub struct RunOutcome {
    /// Why it ended.
    pub reason: StopReason,
    /// From the first spawn until the last user finished.
    pub elapsed: Duration,
    /// Users started.
    pub users_spawned: u32,
    /// Tasks started.
    pub iterations: u64,
    /// Users still running when the grace period ended, and cancelled.
    pub users_cancelled: usize,
}

/// What every user task shares: the scenario, its description and the stop signal.
pub struct Swarm {
    /// The compiled scenario.
    pub loaded: LoadedScenario,
    /// Shared run services.
    pub ctx: Arc<RunContext>,
    /// The scenario's user.
    pub user: UserInfo,
    /// Weighted task choice.
    pub picker: TaskPicker,
    /// Cancelled when the run stops.
    pub stop: CancellationToken,
    iterations_started: AtomicU64,
    iteration_limit: Option<u64>,
}

impl Swarm {
    /// Assembles the shared state of a run.
    pub fn new(
        loaded: LoadedScenario,
        ctx: Arc<RunContext>,
        user: UserInfo,
        iteration_limit: Option<u64>,
    ) -> Self {
        let picker = TaskPicker::new(&user);
        Self {
            loaded,
            ctx,
            user,
            picker,
            stop: CancellationToken::new(),
            iterations_started: AtomicU64::new(0),
            iteration_limit,
        }
    }

    /// Claims the next task of the run; false once `--iterations` are used up.
    pub fn claim_iteration(&self) -> bool {
        let claimed = self.iterations_started.fetch_add(1, Ordering::Relaxed);
        match self.iteration_limit {
            Some(limit) if claimed >= limit => {
                self.iterations_started.fetch_sub(1, Ordering::Relaxed);
                false
            }
            _ => true,
        }
    }

    fn iterations_exhausted(&self) -> bool {
        self.iteration_limit
            .is_some_and(|limit| self.iterations_started.load(Ordering::Relaxed) >= limit)
    }

    /// Sleeps for `duration`, or less if the run stops.
    pub async fn pause(&self, duration: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = self.stop.cancelled() => {}
        }
    }
}

/// Runs the plan to its end and returns how it went.
pub async fn run(swarm: Arc<Swarm>, plan: Plan, signals: &mut StopSignals) -> RunOutcome {
    let started = Instant::now();
    let deadline = plan.run_time.map(|run_time| started + run_time);
    let spawn_interval = Duration::from_secs_f64(1.0 / plan.spawn_rate);
    let mut next_spawn = started;
    let mut spawned = 0u32;
    let mut users = JoinSet::new();
    let reason = loop {
        let spawning = spawned < plan.users && !swarm.iterations_exhausted();
        if !spawning && users.is_empty() {
            break StopReason::Completed;
        }
        tokio::select! {
            _ = sleep_until(next_spawn), if spawning => {
                users.spawn(user_loop::run_user(Arc::clone(&swarm), spawned));
                spawned += 1;
                next_spawn += spawn_interval;
                if spawned == plan.users {
                    tracing::info!("all {spawned} users started");
                }
            }
            _ = sleep_until(deadline.unwrap_or(started)), if deadline.is_some() => {
                break StopReason::TimeUp;
            }
            Some(joined) = users.join_next(), if !users.is_empty() => {
                report_panic(&swarm, joined);
            }
            _ = signals.recv() => break StopReason::Interrupted,
        }
    };
    swarm.stop.cancel();
    let users_cancelled = drain(&swarm, &mut users, plan.stop_timeout, signals).await;
    RunOutcome {
        reason,
        elapsed: started.elapsed(),
        users_spawned: spawned,
        iterations: swarm.iterations_started.load(Ordering::Relaxed),
        users_cancelled,
    }
}

/// Waits up to `grace` for users to finish; a second signal or the end of the grace period
/// cancels the rest. Returns how many were cancelled.
async fn drain(
    swarm: &Swarm,
    users: &mut JoinSet<()>,
    grace: Duration,
    signals: &mut StopSignals,
) -> usize {
    let grace_ends = Instant::now() + grace;
    loop {
        tokio::select! {
            joined = users.join_next() => match joined {
                Some(joined) => report_panic(swarm, joined),
                None => return 0,
            },
            _ = sleep_until(grace_ends) => break,
            _ = signals.recv() => break,
        }
    }
    let cancelled = users.len();
    users.abort_all();
    while users.join_next().await.is_some() {}
    cancelled
}

fn report_panic(swarm: &Swarm, joined: Result<(), tokio::task::JoinError>) {
    if let Err(err) = joined {
        if err.is_panic() {
            swarm
                .ctx
                .recorder
                .exception(format!("internal error in a user task: {err}"));
        }
    }
}
