//! Metrics: virtual users send events over a channel; one aggregator turns them into run statistics.
//!
//! The hot path takes no shared lock and wakes no one: a user appends a finished request to
//! its own buffer (`user_samples`), which goes on an unbounded lock-free channel when it turns
//! non-empty; the aggregator task drains the channel every few milliseconds, and only it
//! touches the histograms.

mod cpu_watch;
mod custom;
mod latencies;
mod overflow;
mod request_stats;
mod run_stats;
mod timeline;
mod user_samples;

pub use cpu_watch::{
    kib_field, peak_resident_bytes, process_status_bytes, CpuWatch,
    BUSY_WARNING as CPU_BUSY_WARNING,
};
pub use custom::{trend_value, CustomMetrics, Gauge, MetricValue, TREND_SCALE};
pub use hdrhistogram::CreationError;
pub use overflow::{Overflow, DEFAULT_MAX_ROWS, OVERFLOW_ROW};
pub use request_stats::{RequestStats, RowCounts};
pub use run_stats::{CheckCount, FailureKey, RequestKey, RunStats, GROUP_METHOD};
pub use timeline::{ms, Second, TimePoint, Timeline};
pub use user_samples::SampleBuffer;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use user_samples::Message;

/// How often the aggregator closes a point of the time series.
pub const TIMELINE_INTERVAL: Duration = Duration::from_secs(1);

/// Events the aggregator folds in under one lock of the live statistics (a user's buffer
/// taken whole may pass it by what that user finished since the last drain).
const BATCH: usize = 256;

/// How often the aggregator drains the channel: rarely enough that a sender never wakes it,
/// often enough that live views and thresholds see every second's samples.
const DRAIN_INTERVAL: Duration = Duration::from_millis(10);

/// Where a sample belongs beyond its row: which scenario of a mixed run sent it, in an
/// arrival-rate run how late its iteration started (for the response time from the
/// intended start), and the group it was sent in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleTag {
    /// Index of the scenario in the run's scenario list.
    pub scenario: u16,
    /// How late the iteration started, in microseconds; `None` in a closed-model run.
    pub lateness_us: Option<u64>,
    /// The group (`outer::inner`) the request was sent in, if any.
    pub group: Option<Arc<str>>,
}

/// One finished request, as measured by the host.
#[derive(Debug, Clone)]
pub struct Sample {
    /// HTTP method, upper case (borrowed for the standard ones, so recording allocates less).
    pub method: Cow<'static, str>,
    /// The row name (the guest's `name`, or the URL path).
    pub name: String,
    /// Microseconds from sending the request to the last body byte (or to the error).
    pub latency_us: u64,
    /// Response body bytes.
    pub bytes: u64,
    /// Why it failed, if it did.
    pub failure: Option<String>,
    /// Scenario and iteration lateness.
    pub tag: SampleTag,
}

/// Something a virtual user reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// A request finished.
    Request(Sample),
    /// A request the run's stop cut off before its response came: counted, but neither a
    /// failure nor a latency.
    Cancelled(Sample),
    /// The guest trapped or a hook returned an error.
    Exception(String),
    /// A task of scenario `scenario` returned an error after one of its requests failed
    /// without a response: the failure is counted already, the error is not an exception.
    TaskCutShort {
        /// Index of the scenario.
        scenario: u16,
    },
    /// A named check passed or failed.
    Check {
        /// The check's name.
        name: String,
        /// Whether it passed.
        passed: bool,
    },
    /// Time a user of scenario `scenario` spent running guest code.
    GuestTime {
        /// Index of the scenario.
        scenario: u16,
        /// Microseconds of guest code.
        micros: u64,
    },
    /// An arrival-rate iteration started, this many microseconds after its intended start.
    IterationStarted {
        /// Start minus intended start.
        lateness_us: u64,
    },
    /// A group of scenario `scenario` ended after `micros`.
    Group {
        /// Index of the scenario.
        scenario: u16,
        /// The group's name, `outer::inner` when nested.
        name: String,
        /// How long it took.
        micros: u64,
    },
    /// A value of one of the scenario's own metrics.
    Metric {
        /// The metric's name.
        name: String,
        /// Its kind and value.
        value: MetricValue,
    },
}

/// The sending side of the metrics channel; cheap to clone. Users record requests through
/// their own [`SampleBuffer`], everything else directly.
#[derive(Debug, Clone)]
pub struct Recorder(mpsc::UnboundedSender<Message>);

impl Recorder {
    /// Records a finished request.
    pub fn request(&self, sample: Sample) {
        self.send(Event::Request(sample));
    }

    /// Records how long a group took.
    pub fn group(&self, scenario: u16, name: String, micros: u64) {
        self.send(Event::Group {
            scenario,
            name,
            micros,
        });
    }

    /// Records a value of a custom metric.
    pub fn metric(&self, name: String, value: MetricValue) {
        self.send(Event::Metric { name, value });
    }

    /// Records a request cut off by the run's stop.
    pub fn cancelled(&self, sample: Sample) {
        self.send(Event::Cancelled(sample));
    }

    /// Records a task that ended with an error after a request of it failed.
    pub fn task_cut_short(&self, scenario: u16) {
        self.send(Event::TaskCutShort { scenario });
    }

    /// Records an exception (a trap or an error returned by the guest).
    pub fn exception(&self, message: impl Into<String>) {
        self.send(Event::Exception(message.into()));
    }

    /// Records time spent in guest code by a user of `scenario`.
    pub fn guest_time(&self, scenario: u16, micros: u64) {
        self.send(Event::GuestTime { scenario, micros });
    }

    /// Records how late an arrival-rate iteration started.
    pub fn iteration_started(&self, lateness_us: u64) {
        self.send(Event::IterationStarted { lateness_us });
    }

    /// Records a named check.
    pub fn check(&self, name: impl Into<String>, passed: bool) {
        self.send(Event::Check {
            name: name.into(),
            passed,
        });
    }

    fn send(&self, event: Event) {
        self.send_message(Message::Event(event));
    }

    fn send_message(&self, message: Message) {
        // The aggregator outlives every recorder: it stops only when all of them are dropped.
        let _ = self.0.send(message);
    }
}

/// Something that sees every request as the aggregator takes it in, such as a live
/// exporter; it is called on the aggregator's task, so it must be quick.
pub trait SampleObserver: Send + Sync {
    /// One finished request.
    fn observe(&self, sample: &Sample);

    /// One request cut off by the run's stop.
    fn cancelled(&self, sample: &Sample);

    /// One value of a custom metric.
    fn metric(&self, name: &str, value: &MetricValue);
}

/// One second of a shard's run, for its coordinator: exactly what was recorded in it.
#[derive(Debug)]
pub struct Interval {
    /// Which second of the run, from 0.
    pub second: u32,
    /// Users running at its end.
    pub users: u32,
    /// Iterations claimed, and arrival-rate iterations dropped, since the run began.
    pub iterations: (u64, u64),
    /// What was recorded in it (its time series left empty).
    pub stats: RunStats,
}

/// The receiving side: folds events into [`RunStats`] until every [`Recorder`] is dropped.
pub struct Aggregator {
    events: mpsc::UnboundedReceiver<Message>,
    live: LiveStats,
    observer: Option<Arc<dyn SampleObserver>>,
    intervals: Option<IntervalSink>,
}

/// Where a shard's seconds go, and the second being recorded.
struct IntervalSink {
    sender: mpsc::UnboundedSender<Interval>,
    current: RunStats,
    second: u32,
}

impl IntervalSink {
    /// Sends the current second on and starts the next.
    fn close(&mut self, gauges: &Gauges, cpu_busy: f64) {
        let mut stats = self.current.take();
        stats.generator_cpu_peak = cpu_busy;
        let second = self.second;
        self.second += 1;
        // The receiver leaves only when the coordinator is gone; the run goes on regardless.
        let _ = self.sender.send(Interval {
            second,
            users: gauges.users(),
            iterations: (gauges.iterations(), gauges.dropped_iterations()),
            stats,
        });
    }
}

impl Aggregator {
    /// Also shows every finished request to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn SampleObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Also sends every second's statistics, exactly and on their own, to `sender` (a shard
    /// reporting to its coordinator); the last, partial second goes when the run ends.
    pub fn with_intervals(mut self, sender: mpsc::UnboundedSender<Interval>) -> Self {
        let current = self.live.lock().empty_like();
        self.intervals = Some(IntervalSink {
            sender,
            current,
            second: 0,
        });
        self
    }

    /// Collects events until all recorders are gone, closing a point of the time series
    /// every second, then returns the totals.
    pub async fn run(mut self) -> RunStats {
        let started = Instant::now();
        let mut ticks = tokio::time::interval_at(started + TIMELINE_INTERVAL, TIMELINE_INTERVAL);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut drains = tokio::time::interval(DRAIN_INTERVAL);
        drains.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(BATCH);
        let mut cpu = CpuWatch::start();
        loop {
            tokio::select! {
                _ = drains.tick() => {
                    if !self.drain(&mut batch) {
                        break;
                    }
                }
                _ = ticks.tick() => {
                    self.drain(&mut batch);
                    let users = self.live.gauges.users();
                    let busy = cpu.sample();
                    {
                        let mut stats = self.live.lock();
                        stats.close_second(started.elapsed(), users);
                        stats.generator_cpu_peak = stats.generator_cpu_peak.max(busy);
                    }
                    if let Some(sink) = &mut self.intervals {
                        sink.close(&self.live.gauges, busy);
                    }
                }
            }
        }
        let mut stats = {
            let mut live = self.live.lock();
            let empty = live.empty_like();
            std::mem::replace(&mut *live, empty)
        };
        stats.finish_timeline(started.elapsed(), self.live.gauges.users());
        stats.generator_peak_rss = peak_resident_bytes();
        if let Some(mut sink) = self.intervals.take() {
            sink.current.generator_peak_rss = stats.generator_peak_rss;
            sink.close(&self.live.gauges, 0.0);
        }
        stats
    }
}

impl Aggregator {
    /// Folds in every event waiting on the channel, about `BATCH` under each lock; false once
    /// every recorder is gone and nothing is left.
    fn drain(&mut self, batch: &mut Vec<Event>) -> bool {
        let mut open = true;
        loop {
            match self.events.try_recv() {
                Ok(Message::Event(event)) => batch.push(event),
                Ok(Message::Samples(buffer)) => {
                    batch.extend(user_samples::take(&buffer).into_iter().map(Event::Request));
                }
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
            if batch.len() >= BATCH {
                self.apply(batch);
            }
        }
        self.apply(batch);
        open
    }

    fn apply(&mut self, batch: &mut Vec<Event>) {
        if batch.is_empty() {
            return;
        }
        let mut stats = self.live.lock();
        for mut event in batch.drain(..) {
            // Past the row cap, every view counts the request under the overflow row.
            let overflowed = stats.admit(&mut event);
            if let Some(observer) = &self.observer {
                observe(observer.as_ref(), &event);
            }
            if let Some(sink) = &mut self.intervals {
                if let Some(name) = overflowed {
                    sink.current.overflow.note(name);
                }
                sink.current.apply(event.clone());
            }
            stats.apply(event);
        }
    }
}

/// Shows `event` to `observer` if it is a request or a custom metric's value.
fn observe(observer: &dyn SampleObserver, event: &Event) {
    match event {
        Event::Request(sample) => observer.observe(sample),
        Event::Cancelled(sample) => observer.cancelled(sample),
        Event::Metric { name, value } => observer.metric(name, value),
        _ => {}
    }
}

/// Gauges the scheduler sets while the run goes on, for live views and exports.
#[derive(Debug, Default)]
pub struct Gauges {
    users: AtomicU32,
    target_users: AtomicU32,
    iterations: AtomicU64,
    dropped_iterations: AtomicU64,
}

impl Gauges {
    /// Claims the next iteration of the run; false once `limit` are used up.
    pub fn claim_iteration(&self, limit: Option<u64>) -> bool {
        let claimed = self.iterations.fetch_add(1, Ordering::Relaxed);
        match limit {
            Some(limit) if claimed >= limit => {
                self.iterations.fetch_sub(1, Ordering::Relaxed);
                false
            }
            _ => true,
        }
    }

    /// Iterations claimed so far (dropped arrival-rate iterations included).
    pub fn iterations(&self) -> u64 {
        self.iterations.load(Ordering::Relaxed)
    }

    /// Sets the users running and the users the shape asks for.
    pub fn set_users(&self, running: u32, target: u32) {
        self.users.store(running, Ordering::Relaxed);
        self.target_users.store(target, Ordering::Relaxed);
    }

    /// Sets the iterations claimed and dropped so far (a coordinator adds up its shards').
    pub fn set_iterations(&self, iterations: u64, dropped: u64) {
        self.iterations.store(iterations, Ordering::Relaxed);
        self.dropped_iterations.store(dropped, Ordering::Relaxed);
    }

    /// Counts one dropped arrival-rate iteration.
    pub fn drop_iteration(&self) {
        self.dropped_iterations.fetch_add(1, Ordering::Relaxed);
    }

    /// Users running now.
    pub fn users(&self) -> u32 {
        self.users.load(Ordering::Relaxed)
    }

    /// Users the shape asks for now.
    pub fn target_users(&self) -> u32 {
        self.target_users.load(Ordering::Relaxed)
    }

    /// Arrival-rate iterations dropped so far.
    pub fn dropped_iterations(&self) -> u64 {
        self.dropped_iterations.load(Ordering::Relaxed)
    }
}

/// The statistics so far, readable while the run goes on (for thresholds that abort a run
/// and for live views), and the scheduler's gauges. Only the aggregator and these readers
/// take its lock, never a user.
#[derive(Debug, Clone)]
pub struct LiveStats {
    stats: Arc<Mutex<RunStats>>,
    /// Users and dropped iterations, set by the scheduler.
    pub gauges: Arc<Gauges>,
}

impl LiveStats {
    /// Locks the statistics for reading; keep the guard short.
    pub fn lock(&self) -> MutexGuard<'_, RunStats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connected recorder and aggregator, and a handle on the live statistics; each point of
/// the time series keeps the totals' `percentiles`, and rows are capped at `max_rows`.
pub fn channel(
    percentiles: &[f64],
    max_rows: usize,
) -> Result<(Recorder, Aggregator, LiveStats), CreationError> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let live = LiveStats {
        stats: Arc::new(Mutex::new(RunStats::with_max_rows(percentiles, max_rows)?)),
        gauges: Arc::default(),
    };
    let aggregator = Aggregator {
        events: receiver,
        live: live.clone(),
        observer: None,
        intervals: None,
    };
    Ok((Recorder(sender), aggregator, live))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str, latency_us: u64, failure: Option<&str>) -> Sample {
        Sample {
            method: "GET".into(),
            name: name.into(),
            latency_us,
            bytes: 10,
            failure: failure.map(str::to_string),
            tag: SampleTag::default(),
        }
    }

    #[tokio::test]
    async fn the_aggregator_sees_every_event_from_every_recorder() {
        let (recorder, aggregator, _live) = channel(&[], DEFAULT_MAX_ROWS).expect("a valid layout");
        let collecting = tokio::spawn(aggregator.run());
        let mut users = Vec::new();
        for user in 0..8 {
            let recorder = recorder.clone();
            users.push(tokio::spawn(async move {
                for i in 0..1000u64 {
                    let failure = (i % 10 == 0).then_some("HTTP 500");
                    recorder.request(sample("/a", 100 + user, failure));
                }
                recorder.check("ok", true);
                recorder.exception("boom");
            }));
        }
        drop(recorder);
        for user in users {
            user.await.expect("user task");
        }
        let stats = collecting.await.expect("aggregator");
        let total = stats.total();
        assert_eq!(total.count, 8000);
        assert_eq!(total.failures, 800);
        assert_eq!(stats.total_exceptions(), 8);
        assert_eq!(stats.checks["ok"].passed, 8);
        let key = FailureKey {
            scenario: 0,
            method: "GET".into(),
            name: "/a".into(),
            message: "HTTP 500".into(),
        };
        assert_eq!(stats.failures[&key], 800);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn samples_buffered_by_users_all_reach_the_aggregator_across_drains() {
        let (recorder, aggregator, _live) = channel(&[], DEFAULT_MAX_ROWS).expect("a valid layout");
        let collecting = tokio::spawn(aggregator.run());
        let mut users = Vec::new();
        for user in 0..4 {
            let recorder = recorder.clone();
            users.push(tokio::spawn(async move {
                let buffer = SampleBuffer::default();
                for i in 0..3000u64 {
                    buffer.record(&recorder, sample("/b", 50 + user, None));
                    if i % 500 == 0 {
                        // Across several of the aggregator's drains.
                        tokio::time::sleep(DRAIN_INTERVAL * 2).await;
                    }
                }
            }));
        }
        for user in users {
            user.await.expect("user task");
        }
        drop(recorder);
        let stats = collecting.await.expect("aggregator");
        assert_eq!(stats.total().count, 12_000);
        assert_eq!(stats.requests.len(), 1);
    }
}
