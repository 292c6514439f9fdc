//! The open model: iterations arrive on a schedule whether or not earlier ones finished, and
//! a pool of users (at most `--max-users`) runs them. An iteration that finds every user busy
//! and the pool full waits in a bounded queue (`--max-queue`) or is dropped and counted.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};

use super::user_loop::{run_user, Cadence, IdleUser, Ticket};
use super::{report_panic, Ending, RunOutcome, StopReason, Swarm};
use crate::plan::OpenPlan;

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
        pool.start_user(swarm, users, scenario, None);
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
    let started = Instant::now();
    let mut next = 0u64;
    let reason = loop {
        // This shard's `next`-th iteration is the run's `global(next)`-th.
        let Some(due) = plan.schedule.due(swarm.shard.global(next)) else {
            break StopReason::ShapeEnded;
        };
        tokio::select! {
            _ = sleep_until(started + due) => {
                let now = Instant::now();
                pool.take_idle(&mut idle_rx);
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
                    pool.dispatch(swarm, users, scenario, Ticket { intended: started + due });
                    next += 1;
                }
                if exhausted {
                    break StopReason::Completed;
                }
            }
            Some(user) = idle_rx.recv() => pool.idle(user),
            reason = ending.reached() => break reason,
            Some(joined) = users.join_next(), if !users.is_empty() => {
                pool.size = pool.size.saturating_sub(1);
                report_panic(swarm, joined);
            }
        }
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
        if let Some(position) = self.queue.iter().position(|(s, _)| *s == scenario) {
            if let Some((_, ticket)) = self.queue.remove(position) {
                if address.try_send(ticket).is_ok() {
                    return;
                }
                self.queue.push_front((scenario, ticket));
                return;
            }
        }
        if let Some(idle) = self.idle.get_mut(usize::from(scenario)) {
            idle.push(address);
        }
    }

    fn dispatch(
        &mut self,
        swarm: &Arc<Swarm>,
        users: &mut JoinSet<()>,
        scenario: u16,
        ticket: Ticket,
    ) {
        if let Some(idle) = self.idle.get_mut(usize::from(scenario)) {
            while let Some(address) = idle.pop() {
                if address.try_send(ticket).is_ok() {
                    return;
                }
            }
        }
        if self.size < self.max_users {
            self.start_user(swarm, users, scenario, Some(ticket));
        } else if self.queue.len() < self.max_queue {
            self.queue.push_back((scenario, ticket));
        } else {
            self.dropped += 1;
            swarm.gauges.drop_iteration();
        }
    }

    fn start_user(
        &mut self,
        swarm: &Arc<Swarm>,
        users: &mut JoinSet<()>,
        scenario: u16,
        first: Option<Ticket>,
    ) {
        let (address, inbox) = mpsc::channel(1);
        let cadence = Cadence::Open {
            first,
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
