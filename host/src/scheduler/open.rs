//! The open model: iterations arrive on a schedule whether or not earlier ones finished, and
//! a pool of users (at most `--max-users`) runs them. An iteration that finds every user busy
//! waits for the first to be free. While iterations keep waiting, the pool grows every
//! [`GROWTH_DELAY`] by up to a tenth (at least one user, up to `--max-users`); with the pool
//! full, they wait in a bounded queue (`--max-queue`) or are dropped and counted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};

use super::user_loop::{run_user, Cadence, IdleUser, StartingGuard, Ticket};
use super::{report_panic, Ending, RunOutcome, StopReason, Swarm};
use crate::plan::OpenPlan;

/// How long iterations wait for a busy user to be free before the pool grows for them, and
/// between two steps of growth. A new user costs an instance and a connection, more than a
/// brief backlog (a hiccup of the machine, users opening their first connections) takes to
/// clear: growing at once, for every waiting iteration, would spend the time the busy users
/// need to finish, make more iterations wait, and so grow the pool to its limit.
pub const GROWTH_DELAY: Duration = Duration::from_millis(10);
/// The most the pool grows by in one step: a tenth of its size (at least one user).
const GROWTH_STEP: u32 = 10;

/// Dispatches iterations on schedule until it ends or the run must stop.
pub(super) async fn run(
    swarm: &Arc<Swarm>,
    plan: OpenPlan,
    started: Instant,
    ending: &mut Ending<'_>,
    users: &mut JoinSet<()>,
) -> RunOutcome {
    let (idle_tx, mut idle_rx) = mpsc::unbounded_channel();
    let mut pool = Pool::new(swarm, plan.max_users, plan.max_queue, idle_tx);
    for _ in 0..plan.pre_allocated.min(plan.max_users) {
        let scenario = swarm.slot_for(swarm.shard.global(u64::from(pool.size)));
        pool.start_user(swarm, users, scenario);
    }
    if let Some(reason) = warm_up(&mut pool, &mut idle_rx, ending, users).await {
        return RunOutcome {
            reason,
            users_spawned: pool.started,
            open_model: true,
            ..RunOutcome::default()
        };
    }
    let warm_up = started.elapsed();
    ending.restart_clock();
    let reason = follow_schedule(swarm, &plan, &mut pool, &mut idle_rx, ending, users).await;
    // The schedule is done, but iterations it made due may still wait for a user.
    let reason = match reason {
        StopReason::Completed | StopReason::ShapeEnded => {
            hand_out_the_rest(swarm, &mut pool, &mut idle_rx, ending, users)
                .await
                .unwrap_or(reason)
        }
        stopped => stopped,
    };
    if !pool.queue.is_empty() {
        tracing::warn!(
            "{} queued iterations never started before the run stopped; counted as dropped",
            pool.queue.len()
        );
        pool.dropped += pool.queue.len() as u64;
    }
    RunOutcome {
        reason,
        users_spawned: pool.started,
        peak_users: pool.started.min(plan.max_users),
        dropped_iterations: pool.dropped,
        open_model: true,
        warm_up,
        ..RunOutcome::default()
    }
}

/// Hands out iterations as the schedule makes them due, until it ends or the run must stop.
async fn follow_schedule(
    swarm: &Arc<Swarm>,
    plan: &OpenPlan,
    pool: &mut Pool,
    idle_rx: &mut mpsc::UnboundedReceiver<IdleUser>,
    ending: &mut Ending<'_>,
    users: &mut JoinSet<()>,
) -> StopReason {
    let started = Instant::now();
    let mut next = 0u64;
    loop {
        // This shard's `next`-th iteration is the run's `global(next)`-th.
        let Some(due) = plan.schedule.due(swarm.shard.global(next)) else {
            break StopReason::ShapeEnded;
        };
        tokio::select! {
            _ = sleep_until(started + due) => {
                let now = Instant::now();
                pool.take_idle(idle_rx);
                let mut exhausted = false;
                while let Some(due) = plan
                    .schedule
                    .due(swarm.shard.global(next))
                    .filter(|&due| started + due <= now)
                {
                    if !swarm.claim_iteration() {
                        exhausted = true;
                        break;
                    }
                    let scenario = swarm.slot_for(swarm.shard.global(next));
                    pool.dispatch(swarm, scenario, Ticket { intended: started + due });
                    next += 1;
                }
                if exhausted {
                    break StopReason::Completed;
                }
            }
            stop = tend(swarm, pool, idle_rx, ending, users) => {
                if let Some(reason) = stop {
                    break reason;
                }
            }
        }
    }
}

/// Hands the iterations still waiting to users as they come free (growing the pool as the
/// schedule did). Returns a reason if the run must stop first.
async fn hand_out_the_rest(
    swarm: &Arc<Swarm>,
    pool: &mut Pool,
    idle_rx: &mut mpsc::UnboundedReceiver<IdleUser>,
    ending: &mut Ending<'_>,
    users: &mut JoinSet<()>,
) -> Option<StopReason> {
    while !pool.queue.is_empty() {
        if let Some(reason) = tend(swarm, pool, idle_rx, ending, users).await {
            return Some(reason);
        }
    }
    None
}

/// Waits for the pool's next event and handles it: a user free (it takes the oldest waiting
/// iteration), a step of growth due, a user gone. Returns the reason if the run must stop.
/// Dropped before an event, it has done nothing.
async fn tend(
    swarm: &Arc<Swarm>,
    pool: &mut Pool,
    idle_rx: &mut mpsc::UnboundedReceiver<IdleUser>,
    ending: &mut Ending<'_>,
    users: &mut JoinSet<()>,
) -> Option<StopReason> {
    let grows_at = pool.grows_at();
    tokio::select! {
        Some(user) = idle_rx.recv() => pool.idle(user),
        _ = sleep_until(grows_at.unwrap_or_else(Instant::now)), if grows_at.is_some() => {
            pool.grow(swarm, users);
        }
        reason = ending.reached() => return Some(reason),
        Some(joined) = users.join_next(), if !users.is_empty() => {
            pool.size = pool.size.saturating_sub(1);
            report_panic(swarm, joined);
        }
    }
    None
}

/// Waits until every pre-allocated user has started (run `on-start`) and reported idle, so
/// the schedule's first iterations find a ready pool, as k6 initializes its pre-allocated
/// users before it starts. Returns a reason if the run must stop meanwhile.
async fn warm_up(
    pool: &mut Pool,
    idle_rx: &mut mpsc::UnboundedReceiver<IdleUser>,
    ending: &mut Ending<'_>,
    users: &mut JoinSet<()>,
) -> Option<StopReason> {
    let mut ready = 0u32;
    while ready < pool.size {
        tokio::select! {
            Some(user) = idle_rx.recv() => {
                pool.idle(user);
                ready += 1;
            }
            Some(_) = users.join_next(), if !users.is_empty() => {
                pool.size = pool.size.saturating_sub(1);
            }
            reason = ending.reached() => return Some(reason),
        }
    }
    None
}

/// The users of an open-model run and the iterations waiting for them.
struct Pool {
    /// Idle users by scenario.
    idle: Vec<Vec<mpsc::Sender<Ticket>>>,
    /// Iterations waiting for a user, oldest first.
    queue: VecDeque<(u16, Ticket)>,
    /// How many of them wait, by scenario.
    queued: Vec<u32>,
    /// Users starting, not yet ready for an iteration, by scenario.
    starting: Vec<Arc<AtomicU32>>,
    /// While iterations wait: when they began to, or the pool last grew for them.
    growth_clock: Option<Instant>,
    idle_tx: mpsc::UnboundedSender<IdleUser>,
    size: u32,
    started: u32,
    max_users: u32,
    max_queue: usize,
    dropped: u64,
}

impl Pool {
    fn new(
        swarm: &Swarm,
        max_users: u32,
        max_queue: usize,
        idle_tx: mpsc::UnboundedSender<IdleUser>,
    ) -> Self {
        Self {
            idle: vec![Vec::new(); swarm.slots.len()],
            queue: VecDeque::new(),
            queued: vec![0; swarm.slots.len()],
            starting: (0..swarm.slots.len()).map(|_| Arc::default()).collect(),
            growth_clock: None,
            idle_tx,
            size: 0,
            started: 0,
            max_users,
            max_queue,
            dropped: 0,
        }
    }

    /// Collects every idle announcement already sent, so no iteration is dropped while a
    /// user is in fact free.
    fn take_idle(&mut self, idle_rx: &mut mpsc::UnboundedReceiver<IdleUser>) {
        while let Ok(user) = idle_rx.try_recv() {
            self.idle(user);
        }
    }

    /// A user is free: give it the oldest queued iteration of its scenario, or keep it.
    fn idle(&mut self, (scenario, address): IdleUser) {
        let index = usize::from(scenario);
        if self.queued.get(index).is_some_and(|&queued| queued > 0) {
            if let Some(position) = self.queue.iter().position(|(s, _)| *s == scenario) {
                if let Some((_, ticket)) = self.queue.remove(position) {
                    if address.try_send(ticket).is_ok() {
                        self.queued[index] -= 1;
                        if self.queue.is_empty() {
                            self.growth_clock = None;
                        }
                        return;
                    }
                    self.queue.push_front((scenario, ticket));
                    return;
                }
            }
        }
        if let Some(idle) = self.idle.get_mut(index) {
            idle.push(address);
        }
    }

    /// Hands `ticket` to an idle user of its scenario; else it waits for the first user to be
    /// free (one that finishes, or one the pool grows by), or, with the pool full and the
    /// queue too, is dropped.
    fn dispatch(&mut self, swarm: &Swarm, scenario: u16, ticket: Ticket) {
        let index = usize::from(scenario);
        if let Some(idle) = self.idle.get_mut(index) {
            while let Some(address) = idle.pop() {
                if address.try_send(ticket).is_ok() {
                    return;
                }
            }
        }
        if self.size < self.max_users || self.queue.len() < self.max_queue + self.starting_users() {
            self.enqueue(scenario, ticket);
        } else {
            self.dropped += 1;
            swarm.gauges.drop_iteration();
        }
    }

    fn enqueue(&mut self, scenario: u16, ticket: Ticket) {
        if self.queue.is_empty() {
            self.growth_clock = Some(Instant::now());
        }
        self.queue.push_back((scenario, ticket));
        self.queued[usize::from(scenario)] += 1;
    }

    /// Users of `scenario` starting now.
    fn starting_of(&self, scenario: usize) -> u32 {
        self.starting[scenario].load(Ordering::Relaxed)
    }

    /// When the pool grows for the iterations waiting: [`GROWTH_DELAY`] after they began to
    /// wait or it last grew; `None` if it is full or users already starting take every one.
    fn grows_at(&self) -> Option<Instant> {
        let since = self.growth_clock?;
        let short = (0..self.queued.len()).any(|s| self.queued[s] > self.starting_of(s));
        (short && self.size < self.max_users).then_some(since + GROWTH_DELAY)
    }

    /// Starts a user for each waiting iteration that no starting user will take, up to a
    /// step; the next step waits [`GROWTH_DELAY`] more.
    fn grow(&mut self, swarm: &Arc<Swarm>, users: &mut JoinSet<()>) {
        let mut step = (self.size / GROWTH_STEP).max(1);
        for scenario in 0..self.queued.len() {
            while step > 0
                && self.size < self.max_users
                && self.queued[scenario] > self.starting_of(scenario)
            {
                self.start_user(swarm, users, scenario as u16);
                step -= 1;
            }
        }
        self.growth_clock = Some(Instant::now());
    }

    /// Users of every scenario starting now.
    fn starting_users(&self) -> usize {
        self.starting
            .iter()
            .map(|count| count.load(Ordering::Relaxed) as usize)
            .sum()
    }

    fn start_user(&mut self, swarm: &Arc<Swarm>, users: &mut JoinSet<()>, scenario: u16) {
        let (address, inbox) = mpsc::channel(1);
        let cadence = Cadence::Open {
            starting: Some(StartingGuard::new(&self.starting[usize::from(scenario)])),
            inbox,
            address,
            idle: self.idle_tx.clone(),
        };
        let vu_id = swarm.shard.user_id(self.started);
        self.started += 1;
        self.size += 1;
        swarm.gauges.set_users(self.size, self.max_users);
        users.spawn(run_user(Arc::clone(swarm), vu_id, scenario, cadence));
    }
}
