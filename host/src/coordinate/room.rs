//! The run as its coordinator sees it: which shards have greeted it, the agreed start, every
//! second each shard sent (folded, exactly, into one set of statistics), which shards are
//! done and which were lost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use http::StatusCode;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::merge::check::{difference, RunIdentity};
use crate::metrics::{LiveStats, RequestStats, RowCounts, RunStats, Second, Timeline};
use crate::report::prometheus::PrometheusMetrics;
use crate::report::LOCUST_PERCENTILES;
use crate::shard_link::wire::{DoneIn, Hello, Reply, SecondsIn, Start, UsersOffer, UsersStep};

/// How long after the last greeting the shards start: time for the answer to reach them.
const START_DELAY: Duration = Duration::from_millis(500);
/// How long a second waits for shards that are late with it before it shows in live views.
const LATE_SECONDS: u64 = 2;

/// Where the run is: waiting for shards, started at an instant, or given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not every shard has greeted the coordinator yet.
    Gathering,
    /// Every shard starts at this Unix time, in milliseconds.
    Started(u64),
    /// The coordinator gave up: why.
    Abandoned(String),
}

/// A refusal, with the HTTP status that carries it.
pub type Refusal = (StatusCode, String);

/// The coordinated run.
pub struct Room {
    shards: u32,
    secret_digest: [u8; 32],
    state: Mutex<State>,
    phase: watch::Sender<Phase>,
    /// Every shard's seconds so far, for live views and `--abort-on-fail`.
    pub live: LiveStats,
    stop: Mutex<Option<&'static str>>,
    /// The whole run's user count, once the dashboard has changed it.
    users: Mutex<Option<UsersStep>>,
    exporter: Option<Arc<PrometheusMetrics>>,
}

/// One second of the run, as the shards that sent it add up.
struct Gathered {
    window: Window,
    users: u32,
}

/// A second's requests: a histogram while shards still send it, then (shown in the live
/// views) only its counts and recorded latencies, so a long run's seconds stay small.
enum Window {
    Open(RequestStats),
    Closed(RowCounts, Vec<(u64, u64)>),
}

impl Window {
    /// Adds `more` requests to the second, exactly.
    fn add(&mut self, more: &RequestStats) {
        match self {
            Self::Open(window) => window.merge(more),
            Self::Closed(..) => {
                let mut window = self.stats(more);
                window.merge(more);
                *self = Self::Open(window);
                self.close();
            }
        }
    }

    /// Keeps only the counts and recorded latencies.
    fn close(&mut self) {
        if let Self::Open(window) = self {
            *self = Self::Closed(window.counts(), window.recorded());
        }
    }

    /// The second's requests as a row (of the layout of `like`, should a histogram of
    /// that layout not be made).
    fn stats(&self, like: &RequestStats) -> RequestStats {
        match self {
            Self::Open(window) => window.clone(),
            Self::Closed(counts, recorded) => {
                RequestStats::from_recorded(*counts, recorded).unwrap_or_else(|_| like.empty_like())
            }
        }
    }
}

#[derive(Default)]
struct State {
    hellos: Vec<Option<Hello>>,
    heard: Vec<Option<Instant>>,
    last_second: Vec<Option<u32>>,
    done: Vec<Option<DoneIn>>,
    lost: Vec<Option<String>>,
    seconds: BTreeMap<u32, Gathered>,
    iterations: Vec<(u64, u64)>,
    closed: u32,
    started: Option<(u64, Instant)>,
}

/// What the run left when every shard was done or lost.
pub struct Ended {
    /// The whole run's statistics, time series included.
    pub stats: RunStats,
    /// Every shard's greeting, by index.
    pub hellos: Vec<Hello>,
    /// How each shard that finished says its run went.
    pub done: Vec<DoneIn>,
    /// Shards lost on the way, and what was last heard of each.
    pub lost: Vec<(u32, String)>,
}

impl Room {
    /// A run of `shards` shards whose calls must carry `secret`; its live statistics are
    /// `live`, and every row of every second also goes to `exporter`, if any.
    pub fn new(
        shards: u32,
        secret: &str,
        live: LiveStats,
        exporter: Option<Arc<PrometheusMetrics>>,
    ) -> Self {
        let count = shards as usize;
        let state = State {
            hellos: vec![None; count],
            heard: vec![None; count],
            last_second: vec![None; count],
            done: vec![None; count],
            lost: vec![None; count],
            iterations: vec![(0, 0); count],
            ..State::default()
        };
        Self {
            shards,
            secret_digest: Sha256::digest(secret.as_bytes()).into(),
            state: Mutex::new(state),
            phase: watch::Sender::new(Phase::Gathering),
            live,
            stop: Mutex::new(None),
            users: Mutex::new(None),
            exporter,
        }
    }

    /// Whether `authorization` (an HTTP header's value) carries the run's secret; compared
    /// as digests, so the time taken says nothing about the secret.
    pub fn admits(&self, authorization: Option<&str>) -> bool {
        let Some(token) = authorization.and_then(|value| value.strip_prefix("Bearer ")) else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        digest == self.secret_digest
    }

    /// The run's phase, to wait on.
    pub fn phase(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    /// Takes a shard's greeting: refused if it is not a shard of this run, or its shard has
    /// started already; the start is set once every shard has greeted.
    pub fn hello(&self, hello: Hello) -> Result<(), Refusal> {
        let conflict = |message: String| Err((StatusCode::CONFLICT, message));
        if hello.shards != self.shards || hello.shard >= self.shards {
            return conflict(format!(
                "this coordinator runs {} shards, not shard {} of {}: give every shard --shard I/{}",
                self.shards, hello.shard, hello.shards, self.shards
            ));
        }
        let mut state = self.lock();
        if state.started.is_some() {
            let claimed = state.hellos[hello.shard as usize].as_ref();
            if claimed.is_some_and(|claimed| claimed.instance == hello.instance) {
                return Ok(());
            }
            return conflict(format!(
                "the run has started; shard {} is taken",
                hello.shard
            ));
        }
        let other = state
            .hellos
            .iter()
            .flatten()
            .find(|other| other.shard != hello.shard);
        if let Some(other) = other {
            if let Some(differs) = difference(identity(other), identity(&hello)) {
                return conflict(format!(
                    "shard {} is not of the run shard {} started: {differs}",
                    hello.shard, other.shard
                ));
            }
        }
        let index = hello.shard as usize;
        if let Some(claimed) = &state.hellos[index] {
            if claimed.instance != hello.instance {
                return conflict(format!(
                    "shard {} of {} is claimed by another process: give each shard once",
                    hello.shard, self.shards
                ));
            }
        }
        state.hellos[index] = Some(hello);
        if state.hellos.iter().all(Option::is_some) {
            let start = SystemTime::now() + START_DELAY;
            let start_ms = start
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let start_ms = u64::try_from(start_ms).unwrap_or(u64::MAX);
            let now = Instant::now();
            state.started = Some((start_ms, now + START_DELAY));
            state.heard = vec![Some(now + START_DELAY); self.shards as usize];
            if let (Some(exporter), Some(Some(first))) = (&self.exporter, state.hellos.first()) {
                exporter.set_scenarios(first.scenarios.iter().map(|s| s.user.clone()).collect());
            }
            self.phase.send_replace(Phase::Started(start_ms));
        }
        Ok(())
    }

    /// The greeting of the first shard that has greeted (after the start, shard 0's).
    pub fn first_hello(&self) -> Option<Hello> {
        self.lock().hellos.iter().flatten().next().cloned()
    }

    /// The start, once set.
    pub fn start(&self) -> Option<Start> {
        let state = self.lock();
        let (start_at_ms, _) = state.started?;
        // Shard 0 ran the setups of the whole run; every shard's users read what they gave.
        let setup = state
            .hellos
            .first()
            .and_then(Option::as_ref)
            .map(|hello| hello.setup.clone())
            .unwrap_or_default();
        Some(Start { start_at_ms, setup })
    }

    /// Gives up the run before it started, with `why`; shards waiting are told.
    pub fn abandon(&self, why: String) {
        self.phase.send_replace(Phase::Abandoned(why));
    }

    /// The shards that have not greeted the coordinator.
    pub fn missing(&self) -> Vec<u32> {
        let state = self.lock();
        (0..self.shards)
            .filter(|&index| state.hellos[index as usize].is_none())
            .collect()
    }

    /// Takes seconds of a shard, adding each exactly to the run's statistics once (a batch
    /// sent again, its answer lost, holds seconds already taken); the answer says whether
    /// the shard must stop.
    pub fn seconds(&self, batch: SecondsIn) -> Result<Reply, Refusal> {
        let shard = batch.shard;
        let index = self.started_shard(shard)?;
        let taken = self.lock().last_second[index];
        let fresh = batch
            .seconds
            .into_iter()
            .filter(|second| taken.is_none_or(|taken| second.second > taken));
        let mut decoded = Vec::new();
        {
            // Decoded apart from the live statistics, which views and other shards read.
            let like = self.live.lock().empty_like();
            for second in fresh {
                let (number, users, iterations) = (second.second, second.users, second.iterations);
                let stats = second
                    .into_stats(&like)
                    .map_err(|err| (StatusCode::BAD_REQUEST, format!("{err:#}")))?;
                decoded.push((number, users, iterations, stats));
            }
        }
        let mut state = self.lock();
        state.heard[index] = Some(Instant::now());
        if state.last_second[index].is_none() && !decoded.is_empty() {
            tracing::info!("shard {shard} is running: its first second arrived");
        }
        for (number, users, iterations, stats) in decoded {
            if state.last_second[index].is_some_and(|taken| number <= taken) {
                continue;
            }
            self.live.lock().absorb(&stats);
            if let Some(exporter) = &self.exporter {
                for (key, row) in &stats.requests {
                    exporter.add_row(shard, key, row);
                }
                exporter.add_custom(&stats.custom);
            }
            state.iterations[index] = iterations;
            state.last_second[index] = Some(number);
            let empty = || Gathered {
                window: Window::Open(stats.total().empty_like()),
                users: 0,
            };
            let gathered = state.seconds.entry(number).or_insert_with(empty);
            gathered.window.add(stats.total());
            gathered.users += users;
        }
        let (iterations, dropped) = state
            .iterations
            .iter()
            .fold((0, 0), |(i, d), &(si, sd)| (i + si, d + sd));
        self.live.gauges.set_iterations(iterations, dropped);
        let users = *self.users.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Reply {
            stop: self.stopping().map(str::to_string),
            users,
        })
    }

    /// Takes a shard's last word.
    pub fn done(&self, done: DoneIn) -> Result<(), Refusal> {
        let index = self.started_shard(done.shard)?;
        let mut state = self.lock();
        state.heard[index] = Some(Instant::now());
        let taken = state.last_second[index].map_or(0, |last| last + 1);
        if taken < done.seconds && state.lost[index].is_none() {
            let message = format!(
                "shard {index} of {} finished, but its seconds {}..{} never arrived; the report holds the {taken} it sent",
                self.shards,
                taken + 1,
                done.seconds
            );
            tracing::error!("{message}");
            state.lost[index] = Some(message);
        }
        state.done[index] = Some(done);
        Ok(())
    }

    /// Orders every shard to stop, as `reason` (`stopped` or `aborted`), with their next
    /// answer.
    pub fn order_stop(&self, reason: &'static str) {
        let mut stop = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        stop.get_or_insert(reason);
    }

    /// The whole run's user count and the most users it can hold, when every shard's count
    /// may change (each offers its own); none before every shard has greeted.
    pub fn users_offer(&self) -> Option<UsersOffer> {
        let state = self.lock();
        let mut whole = UsersOffer {
            step: UsersStep {
                users: 0,
                spawn_rate: Some(0.0),
            },
            max_users: 0,
        };
        for hello in &state.hellos {
            let offer = hello.as_ref()?.adjustable?;
            whole.step.users = whole.step.users.saturating_add(offer.step.users);
            whole.max_users = whole.max_users.saturating_add(offer.max_users);
            whole.step.spawn_rate = whole
                .step
                .spawn_rate
                .zip(offer.step.spawn_rate)
                .map(|(a, b)| a + b);
        }
        Some(whole)
    }

    /// Orders every shard to run its share of `users` from its next answer on.
    pub fn order_users(&self, users: UsersStep) {
        *self.users.lock().unwrap_or_else(PoisonError::into_inner) = Some(users);
    }

    fn stopping(&self) -> Option<&'static str> {
        *self.stop.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Once a second while the run goes: marks shards silent for longer than `patience` as
    /// lost (naming them), shows the seconds every shard has sent in the live views, and
    /// says whether every shard is done or lost.
    pub fn tick(&self, patience: Duration) -> bool {
        let mut state = self.lock();
        let Some((start_ms, started)) = state.started else {
            return false;
        };
        let now = Instant::now();
        for index in 0..self.shards as usize {
            let silent = state.heard[index].is_some_and(|heard| now > heard + patience);
            if state.done[index].is_none() && state.lost[index].is_none() && silent {
                let last = match state.last_second[index] {
                    Some(second) => format!("after its second {}", second + 1),
                    None => "before its first second".to_string(),
                };
                let message = format!(
                    "shard {index} of {} was lost: nothing from it for {} s, {last}; the report holds what it sent until then",
                    self.shards,
                    patience.as_secs()
                );
                tracing::error!("{message}");
                state.lost[index] = Some(message);
            }
        }
        self.show_seconds(&mut state, start_ms, now.saturating_duration_since(started));
        (0..self.shards as usize).all(|i| state.done[i].is_some() || state.lost[i].is_some())
    }

    /// Closes, in the live time series, each second every running shard has sent or that is
    /// more than a little late.
    fn show_seconds(&self, state: &mut State, start_ms: u64, elapsed: Duration) {
        let running: Vec<usize> = (0..self.shards as usize)
            .filter(|&i| state.done[i].is_none() && state.lost[i].is_none())
            .collect();
        loop {
            let second = state.closed;
            let everyone_sent = running
                .iter()
                .all(|&i| state.last_second[i].is_some_and(|last| last >= second));
            let overdue = elapsed.as_secs() > u64::from(second) + 1 + LATE_SECONDS;
            if !(everyone_sent || overdue) || state.seconds.range(second..).next().is_none() {
                break;
            }
            let Some(gathered) = state.seconds.get_mut(&second) else {
                state.closed += 1;
                continue;
            };
            let point = second_of(start_ms, second, gathered, &self.live.lock().empty_row());
            let point = point.point();
            let users = gathered.users;
            gathered.window.close();
            let mut live = self.live.lock();
            let mut point = point;
            point.set_totals(live.total(), &LOCUST_PERCENTILES);
            live.timeline.push(point);
            self.live.gauges.set_users(users, users);
            state.closed += 1;
        }
    }

    /// What the run left, with its time series made of every second every shard sent.
    pub fn end(&self) -> Ended {
        let state = self.lock();
        let mut stats = self.live.lock().take();
        let start_ms = state.started.map_or(0, |(start_ms, _)| start_ms);
        let like = stats.empty_row();
        let mut seconds: Vec<Second> = state
            .seconds
            .iter()
            .map(|(&second, gathered)| second_of(start_ms, second, gathered, &like))
            .collect();
        // The last second lasts as long as the longest shard ran past its start.
        let elapsed = state.done.iter().flatten().map(|d| d.outcome.elapsed_s);
        let elapsed = elapsed.fold(0.0, f64::max);
        if let Some(last) = seconds.last_mut() {
            let start = last.elapsed_s - 1.0;
            if elapsed > start && elapsed < last.elapsed_s {
                last.seconds = elapsed - start;
                last.elapsed_s = elapsed;
            }
        }
        stats.timeline = Timeline::from_seconds(stats.empty_row(), &LOCUST_PERCENTILES, seconds);
        Ended {
            stats,
            hellos: state.hellos.iter().flatten().cloned().collect(),
            done: state.done.iter().flatten().cloned().collect(),
            lost: (0u32..)
                .zip(&state.lost)
                .filter_map(|(index, lost)| Some((index, lost.clone()?)))
                .collect(),
        }
    }

    /// The index of `shard`, if it is one of this run's and the run has started.
    fn started_shard(&self, shard: u32) -> Result<usize, Refusal> {
        if shard >= self.shards {
            return Err((
                StatusCode::CONFLICT,
                format!("this run has {} shards, not shard {shard}", self.shards),
            ));
        }
        if self.lock().started.is_none() {
            return Err((
                StatusCode::CONFLICT,
                "the run has not started: greet the coordinator first".to_string(),
            ));
        }
        Ok(shard as usize)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What makes `hello`'s run the run it is.
pub fn identity(hello: &Hello) -> RunIdentity<'_> {
    RunIdentity {
        seed: hello.seed,
        host: &hello.host,
        scenarios: &hello.scenarios,
        config: &hello.config,
    }
}

/// Second `second` of a run that started at `start_ms`, as the shards that sent it add up.
fn second_of(start_ms: u64, second: u32, gathered: &Gathered, like: &RequestStats) -> Second {
    Second {
        unix_time: start_ms / 1000 + u64::from(second) + 1,
        elapsed_s: f64::from(second) + 1.0,
        seconds: 1.0,
        window: gathered.window.stats(like),
        users: gathered.users,
    }
}

/// The error a coordinator ends with when `missing` shards of `shards` never greeted it.
pub fn never_joined(missing: &[u32], shards: u32, waited: Duration) -> anyhow::Error {
    let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
    anyhow!(
        "shard{} {} of {shards} did not join within {} s (--ready-timeout): start each with `wasmload run … --shard I/{shards} --coordinator URL` and the run's {}",
        if missing.len() == 1 { "" } else { "s" },
        names.join(", "),
        waited.as_secs(),
        crate::shard_link::wire::SECRET_ENV
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{self, Event, Interval, Sample, SampleTag};
    use crate::shard_link::wire::SecondOut;

    fn hello() -> Hello {
        let config = serde_json::json!({
            "model": "closed", "run_time_s": null, "iterations": null, "thresholds": [],
            "weights": [1], "connections": "per-user", "insecure": false,
            "shard": { "index": 0, "count": 1 }, "vu_memory_bytes": 1
        });
        Hello {
            shard: 0,
            shards: 1,
            instance: 1,
            seed: 1,
            host: "http://127.0.0.1:1/".into(),
            scenarios: Vec::new(),
            config: serde_json::from_value(config).expect("a config"),
            setup: Vec::new(),
            adjustable: None,
        }
    }

    fn hello_of(shard: u32, shards: u32) -> Hello {
        Hello {
            shard,
            shards,
            instance: u64::from(shard) + 1,
            ..hello()
        }
    }

    fn second(second: u32, requests: u64) -> SecondOut {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        for request in 0..requests {
            stats.apply(Event::Request(Sample {
                method: "GET".into(),
                name: "/".into(),
                latency_us: 100 + request,
                bytes: 1,
                failure: None,
                tag: SampleTag::default(),
            }));
        }
        let interval = Interval {
            second,
            users: 1,
            iterations: (0, 0),
            stats,
        };
        SecondOut::of(&interval).expect("encodes")
    }

    #[test]
    fn seconds_sent_again_are_taken_once() {
        let (_, _, live) = metrics::channel(&[], usize::MAX).expect("a valid layout");
        let room = Room::new(1, "s", live, None);
        room.hello(hello()).expect("the shard joins");
        let first = SecondsIn {
            shard: 0,
            seconds: vec![second(0, 10), second(1, 20)],
        };
        room.seconds(first).expect("taken");
        let again = SecondsIn {
            shard: 0,
            seconds: vec![second(0, 10), second(1, 20), second(2, 5)],
        };
        room.seconds(again).expect("taken");
        assert_eq!(
            room.live.lock().total().count,
            35,
            "seconds 0 and 1 counted once"
        );
    }

    #[test]
    fn a_shard_whose_seconds_did_not_all_arrive_is_lost() {
        let (_, _, live) = metrics::channel(&[], usize::MAX).expect("a valid layout");
        let room = Room::new(1, "s", live, None);
        room.hello(hello()).expect("the shard joins");
        let sent = SecondsIn {
            shard: 0,
            seconds: vec![second(0, 10)],
        };
        room.seconds(sent).expect("taken");
        let done: DoneIn = serde_json::from_value(serde_json::json!({
            "shard": 0, "users_by_scenario": [1], "start_skew_ms": 0.0, "seconds": 3,
            "outcome": {
                "reason": "time_up", "elapsed_s": 3.0, "users_spawned": 1, "peak_users": 1,
                "iterations": 1, "dropped_iterations": 0, "users_cancelled": 0,
                "tasks_cut_short": 0
            }
        }))
        .expect("a last word");
        room.done(done).expect("taken");
        let ended = room.end();
        assert_eq!(ended.lost.len(), 1, "the shard is named");
        assert!(
            ended.lost[0].1.contains("its seconds 2..3 never arrived"),
            "{:?}",
            ended.lost
        );
    }

    #[test]
    fn the_whole_runs_user_count_may_change_only_when_every_shards_may() {
        let (_, _, live) = metrics::channel(&[], usize::MAX).expect("a valid layout");
        let room = Room::new(2, "s", live, None);
        let offer = |users, spawn_rate| UsersOffer {
            step: UsersStep { users, spawn_rate },
            max_users: users * 2,
        };
        let mut first = hello_of(0, 2);
        first.adjustable = Some(offer(3, Some(1.5)));
        room.hello(first.clone()).expect("shard 0 joins");
        assert_eq!(
            room.users_offer(),
            None,
            "not before every shard has joined"
        );
        let mut second = hello_of(1, 2);
        second.adjustable = Some(offer(2, Some(1.0)));
        room.hello(second.clone()).expect("shard 1 joins");
        let whole = room.users_offer().expect("every shard's count may change");
        assert_eq!(
            whole.step,
            UsersStep {
                users: 5,
                spawn_rate: Some(2.5)
            }
        );
        assert_eq!(whole.max_users, 10);

        let (_, _, live) = metrics::channel(&[], usize::MAX).expect("a valid layout");
        let room = Room::new(2, "s", live, None);
        room.hello(first).expect("shard 0 joins");
        second.adjustable = Some(offer(2, None));
        room.hello(second.clone()).expect("shard 1 joins");
        let at_once = room.users_offer().expect("an offer");
        assert_eq!(
            at_once.step.spawn_rate, None,
            "one shard starting all at once makes the whole"
        );

        let (_, _, live) = metrics::channel(&[], usize::MAX).expect("a valid layout");
        let room = Room::new(2, "s", live, None);
        room.hello(Hello {
            adjustable: None,
            ..second
        })
        .expect("shard 1 joins");
        room.hello(hello_of(0, 2)).expect("shard 0 joins");
        assert_eq!(
            room.users_offer(),
            None,
            "a shard that follows a shape keeps the count"
        );
    }

    #[test]
    fn only_the_runs_secret_is_admitted() {
        let (_, _, live) = metrics::channel(&[], usize::MAX).expect("a valid layout");
        let room = Room::new(1, "right", live, None);
        assert!(room.admits(Some("Bearer right")));
        assert!(!room.admits(Some("Bearer wrong")));
        assert!(!room.admits(Some("right")));
        assert!(!room.admits(None));
    }
}
