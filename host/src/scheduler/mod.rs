//! The scheduler: runs users under a closed model (a number of users, fixed, staged or shaped
//! by the scenario) or an open model (iterations arriving at a rate), stops the run on time,
//! iterations, a finished shape, an abort, a signal or memory running low, then gives users
//! `--stop-timeout` to finish before cancelling them.

mod closed;
mod memory_room;
mod memory_watch;
mod mix;
mod model;
mod open;
mod signals;
mod tasks;
mod user_loop;
mod warm;

pub use memory_room::{private_memory, MemoryRoom};
pub use memory_watch::MemoryWatch;
pub use mix::weighted_pattern;
pub use model::model_for;
pub use signals::StopSignals;
pub use tasks::{wait_after, TaskPicker};
pub use warm::WarmUsers;

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::bindings::UserInfo;
use crate::metrics::Gauges;
use crate::plan::{OpenPlan, Shape, Shard, Step};
use crate::vu::{LoadedScenario, RunContext, Vu};

/// How users are driven.
pub enum Model {
    /// A number of users, each looping over tasks with its wait time.
    Closed(ClosedShape),
    /// Iterations arriving on a schedule, run by a pool of users.
    Open(OpenPlan),
}

impl Model {
    /// The most users the model can run at once; `max_users` bounds the shapes that are
    /// decided while the run goes on (the dashboard's, a scenario's own).
    pub fn peak_users(&self, max_users: u32) -> u32 {
        match self {
            Model::Closed(ClosedShape::Host(shape)) => shape.peak_users(),
            Model::Closed(ClosedShape::Controlled(_) | ClosedShape::Guest { .. }) => max_users,
            Model::Open(open) => open.max_users,
        }
    }

    /// The users a coordinated shard creates before the start: every user the closed model
    /// runs when that is known ahead (fixed users, stages, the count a dashboard or
    /// coordinator starts with), this shard's share of the first step of a scenario's own
    /// shape (asked at second 0; the users it adds later are made as they start), and an
    /// arrival rate's pre-allocated users.
    pub async fn users_ahead(&mut self, max_users: u32, shard: Shard) -> u32 {
        match self {
            Model::Closed(ClosedShape::Host(shape)) => shape.peak_users(),
            Model::Closed(ClosedShape::Controlled(users)) => users.borrow().users.min(max_users),
            Model::Closed(ClosedShape::Guest { vu, max_users }) => match vu.shape(0).await {
                Ok(Some(step)) => shard.share_users(step.users).min(*max_users),
                _ => 0,
            },
            Model::Open(open) => open.pre_allocated.min(open.max_users),
        }
    }
}

/// Where a closed-model run takes its user count from.
pub enum ClosedShape {
    /// Computed by the host (fixed or staged).
    Host(Shape),
    /// Set from outside while the run goes on (the web dashboard's user count).
    Controlled(tokio::sync::watch::Receiver<Step>),
    /// Asked of a scenario's own shape, about once a second, through `vu`; more than
    /// `max_users` are never started.
    Guest {
        /// The instance the shape is asked through.
        vu: Box<Vu>,
        /// The cap on the users the shape may ask for.
        max_users: u32,
    },
}

/// The plan of a run.
pub struct Plan {
    /// Closed or open model.
    pub model: Model,
    /// How long to run, if bounded by time (a bound on tasks lives in the [`Swarm`]).
    pub run_time: Option<Duration>,
    /// Grace period for users after a stop.
    pub stop_timeout: Duration,
    /// The memory room below which the run stops (`--min-free-memory`; `None`: the default,
    /// `Some(0)`: never).
    pub min_free_memory: Option<u64>,
    /// This process's private memory before its first user ([`private_memory`]).
    pub memory_baseline: Option<u64>,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StopReason {
    /// `--run-time` elapsed.
    TimeUp,
    /// `--iterations` were all run (or every user finished).
    #[default]
    Completed,
    /// The stages, the scenario's shape or the rate schedule came to their end.
    ShapeEnded,
    /// A threshold failed and `--abort-on-fail` stopped the run.
    Aborted,
    /// The web dashboard's Stop button, or a coordinator (its signal or its dashboard).
    Stopped,
    /// SIGINT or SIGTERM.
    Interrupted,
    /// A data set read with `next` ran out of rows.
    DataExhausted,
    /// The machine's memory (or the container's limit) ran below `--min-free-memory`.
    MemoryLow,
}

impl StopReason {
    /// Every reason.
    pub const ALL: [StopReason; 8] = [
        StopReason::TimeUp,
        StopReason::Completed,
        StopReason::ShapeEnded,
        StopReason::Aborted,
        StopReason::Stopped,
        StopReason::Interrupted,
        StopReason::DataExhausted,
        StopReason::MemoryLow,
    ];

    /// Why the run ended, in words.
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::TimeUp => "run time reached",
            StopReason::Completed => "all iterations done",
            StopReason::ShapeEnded => "load shape finished",
            StopReason::Aborted => "aborted by a failed threshold",
            StopReason::Stopped => "stopped by hand: the dashboard's Stop, or the coordinator's",
            StopReason::Interrupted => "interrupted",
            StopReason::DataExhausted => "a data set read with `next` ran out of rows",
            StopReason::MemoryLow => "memory ran low",
        }
    }
}

/// What cut the stop's grace period short for the users still running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CancelCause {
    /// `--stop-timeout` passed.
    #[default]
    StopTimeout,
    /// A second Ctrl-C or SIGTERM.
    Signal,
    /// Memory ran critically low.
    Memory,
    /// Not recorded: a whole run's users added up from its shards' summaries.
    Unknown,
}

/// What the scheduler reports about a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOutcome {
    /// Why it ended.
    pub reason: StopReason,
    /// From the first spawn until the last user finished.
    pub elapsed: Duration,
    /// Users started over the whole run.
    pub users_spawned: u32,
    /// The most users running at once.
    pub peak_users: u32,
    /// Tasks started.
    pub iterations: u64,
    /// Arrival-rate iterations dropped because every user was busy.
    pub dropped_iterations: u64,
    /// Users still running when the grace period ended, and cancelled.
    pub users_cancelled: usize,
    /// What cancelled them, when any were.
    pub cancelled_by: CancelCause,
    /// Whether this was an arrival-rate (open-model) run.
    pub open_model: bool,
    /// Time spent starting the pre-allocated users of an open-model run before the schedule
    /// began (not part of `elapsed`).
    pub warm_up: Duration,
}

/// One scenario of a run, compiled and described.
pub struct ScenarioSlot {
    /// The compiled scenario.
    pub loaded: LoadedScenario,
    /// Its user.
    pub user: UserInfo,
    /// Weighted task choice.
    pub picker: TaskPicker,
}

impl ScenarioSlot {
    /// A slot for a described scenario.
    pub fn new(loaded: LoadedScenario, user: UserInfo) -> Self {
        let picker = TaskPicker::new(&user);
        Self {
            loaded,
            user,
            picker,
        }
    }
}

/// What every user task shares: the scenarios, the run services and the stop signals.
pub struct Swarm {
    /// The run's scenarios.
    pub slots: Vec<ScenarioSlot>,
    /// Shared run services.
    pub ctx: Arc<RunContext>,
    /// Cancelled when the run stops.
    pub stop: CancellationToken,
    /// Cancelled from outside to end the run early (a failed threshold).
    pub abort: CancellationToken,
    /// Cancelled by the web dashboard's Stop button.
    pub halt: CancellationToken,
    /// Users running and iterations dropped, for live views.
    pub gauges: Arc<Gauges>,
    /// Which part of the run this process makes: user ids and iterations are the run's.
    pub shard: Shard,
    assignment: Vec<u16>,
    iteration_limit: Option<u64>,
    /// Users instantiated before a coordinated start.
    warm: WarmUsers,
}

impl Swarm {
    /// Assembles the shared state of a run; `weights` split users between `slots`.
    pub fn new(
        slots: Vec<ScenarioSlot>,
        weights: &[u32],
        ctx: Arc<RunContext>,
        iteration_limit: Option<u64>,
        gauges: Arc<Gauges>,
        shard: Shard,
        warm: WarmUsers,
    ) -> Self {
        Self {
            warm,
            shard,
            slots,
            ctx,
            stop: CancellationToken::new(),
            abort: CancellationToken::new(),
            halt: CancellationToken::new(),
            gauges,
            assignment: weighted_pattern(weights),
            iteration_limit,
        }
    }

    /// The scenario of the `nth` user (or arrival-rate iteration): a fixed interleaving in
    /// proportion to the weights, so every prefix of users is split as evenly as it can be.
    pub fn slot_for(&self, nth: u64) -> u16 {
        mix::turn(&self.assignment, nth)
    }

    /// Claims the next task of the run; false once `--iterations` are used up.
    pub fn claim_iteration(&self) -> bool {
        self.gauges.claim_iteration(self.iteration_limit)
    }

    /// Users started per scenario, in scenario order: the closed model's interleaving of the
    /// users it started (an open-model pool takes iterations of any scenario, so all zero).
    pub fn users_by_scenario(&self, outcome: &RunOutcome) -> Vec<u32> {
        let mut counts = vec![0u32; self.slots.len()];
        if !outcome.open_model {
            for nth in 0..outcome.users_spawned {
                let scenario = usize::from(self.slot_for(self.shard.global(u64::from(nth))));
                if let Some(count) = counts.get_mut(scenario) {
                    *count += 1;
                }
            }
        }
        counts
    }

    fn iterations_exhausted(&self) -> bool {
        self.iteration_limit
            .is_some_and(|limit| self.gauges.iterations() >= limit)
    }

    fn iterations(&self) -> u64 {
        self.gauges.iterations()
    }
}

/// Runs the plan to its end and returns how it went.
pub async fn run(swarm: Arc<Swarm>, plan: Plan, signals: &mut StopSignals) -> RunOutcome {
    let started = Instant::now();
    let memory = MemoryWatch::start(
        plan.min_free_memory,
        plan.memory_baseline,
        Arc::clone(&swarm.gauges),
    );
    let mut ending = Ending {
        run_time: plan.run_time,
        deadline: plan.run_time.map(|run_time| started + run_time),
        signals,
        abort: swarm.abort.clone(),
        halt: swarm.halt.clone(),
        data_exhausted: swarm.ctx.data.exhausted(),
        memory_low: memory.low(),
    };
    let mut users = JoinSet::new();
    let mut outcome = match plan.model {
        Model::Closed(shape) => closed::run(&swarm, shape, started, &mut ending, &mut users).await,
        Model::Open(open) => open::run(&swarm, open, started, &mut ending, &mut users).await,
    };
    swarm.stop.cancel();
    if !users.is_empty() {
        tracing::info!(
            "stopping ({}): {} users finish their task and on_stop within {}; Ctrl-C again cancels them",
            outcome.reason.describe(),
            users.len(),
            humantime::format_duration(plan.stop_timeout)
        );
    }
    let critical = memory.critical();
    (outcome.users_cancelled, outcome.cancelled_by) = drain(
        &swarm,
        &mut users,
        plan.stop_timeout,
        ending.signals,
        critical,
    )
    .await;
    outcome.elapsed = started.elapsed().saturating_sub(outcome.warm_up);
    outcome.iterations = swarm
        .iterations()
        .saturating_sub(outcome.dropped_iterations);
    outcome
}

/// What ends a run from outside the model: the deadline, an abort, the Stop button, a data
/// set run out, memory running low, a signal.
struct Ending<'a> {
    run_time: Option<Duration>,
    deadline: Option<Instant>,
    signals: &'a mut StopSignals,
    abort: CancellationToken,
    halt: CancellationToken,
    data_exhausted: CancellationToken,
    memory_low: CancellationToken,
}

impl Ending<'_> {
    /// Starts `--run-time` afresh from now (after an open-model warm-up).
    fn restart_clock(&mut self) {
        self.deadline = self.run_time.map(|run_time| Instant::now() + run_time);
    }

    /// Resolves when the run must stop, with the reason.
    async fn reached(&mut self) -> StopReason {
        let deadline = self.deadline;
        tokio::select! {
            _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                StopReason::TimeUp
            }
            _ = self.abort.cancelled() => StopReason::Aborted,
            _ = self.halt.cancelled() => StopReason::Stopped,
            _ = self.data_exhausted.cancelled() => StopReason::DataExhausted,
            _ = self.memory_low.cancelled() => StopReason::MemoryLow,
            _ = self.signals.recv() => StopReason::Interrupted,
        }
    }
}

/// Waits up to `grace` for users to finish; a second signal, memory running out or the end
/// of the grace period cancels the rest. Returns how many were cancelled, and why.
async fn drain(
    swarm: &Swarm,
    users: &mut JoinSet<()>,
    grace: Duration,
    signals: &mut StopSignals,
    memory_critical: CancellationToken,
) -> (usize, CancelCause) {
    let grace_ends = Instant::now() + grace;
    let cause = loop {
        tokio::select! {
            joined = users.join_next() => match joined {
                Some(joined) => report_panic(swarm, joined),
                None => return (0, CancelCause::default()),
            },
            _ = sleep_until(grace_ends) => break CancelCause::StopTimeout,
            _ = signals.recv() => break CancelCause::Signal,
            _ = memory_critical.cancelled() => break CancelCause::Memory,
        }
    };
    let cancelled = users.len();
    users.abort_all();
    while users.join_next().await.is_some() {}
    (cancelled, cause)
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
