//! Metrics: virtual users send events over a channel; one aggregator turns them into run statistics.
//!
//! The hot path takes no shared lock: recording a sample is one send on an unbounded
//! lock-free channel, and only the aggregator task touches the histograms.

mod request_stats;
mod run_stats;

pub use request_stats::RequestStats;
pub use run_stats::{CheckCount, FailureKey, RequestKey, RunStats};

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

/// Events the aggregator folds in under one lock of the live statistics.
const BATCH: usize = 256;

/// Where a sample belongs beyond its row: which scenario of a mixed run sent it, and, in an
/// arrival-rate run, how late its iteration started (for the response time from the
/// intended start).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleTag {
    /// Index of the scenario in the run's scenario list.
    pub scenario: u16,
    /// How late the iteration started, in microseconds; `None` in a closed-model run.
    pub lateness_us: Option<u64>,
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
    /// The guest trapped or a hook returned an error.
    Exception(String),
    /// A named check passed or failed.
    Check {
        /// The check's name.
        name: String,
        /// Whether it passed.
        passed: bool,
    },
    /// An arrival-rate iteration started, this many microseconds after its intended start.
    IterationStarted {
        /// Start minus intended start.
        lateness_us: u64,
    },
}

/// The sending side of the metrics channel; cheap to clone, one per user.
#[derive(Debug, Clone)]
pub struct Recorder(mpsc::UnboundedSender<Event>);

impl Recorder {
    /// Records a finished request.
    pub fn request(&self, sample: Sample) {
        self.send(Event::Request(sample));
    }

    /// Records an exception (a trap or an error returned by the guest).
    pub fn exception(&self, message: impl Into<String>) {
        self.send(Event::Exception(message.into()));
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
        // The aggregator outlives every recorder: it stops only when all of them are dropped.
        let _ = self.0.send(event);
    }
}

/// The receiving side: folds events into [`RunStats`] until every [`Recorder`] is dropped.
#[derive(Debug)]
pub struct Aggregator {
    events: mpsc::UnboundedReceiver<Event>,
    live: LiveStats,
}

impl Aggregator {
    /// Collects events until all recorders are gone, then returns the totals.
    pub async fn run(mut self) -> RunStats {
        let mut batch = Vec::with_capacity(BATCH);
        while self.events.recv_many(&mut batch, BATCH).await > 0 {
            let mut stats = self.live.lock();
            for event in batch.drain(..) {
                stats.apply(event);
            }
        }
        std::mem::take(&mut *self.live.lock())
    }
}

/// The statistics so far, readable while the run goes on (for thresholds that abort a run
/// and for live views). Only the aggregator and these readers take its lock, never a user.
#[derive(Debug, Clone, Default)]
pub struct LiveStats(Arc<Mutex<RunStats>>);

impl LiveStats {
    /// Locks the statistics for reading; keep the guard short.
    pub fn lock(&self) -> MutexGuard<'_, RunStats> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connected recorder and aggregator, and a handle on the live statistics.
pub fn channel() -> (Recorder, Aggregator, LiveStats) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let live = LiveStats::default();
    let aggregator = Aggregator {
        events: receiver,
        live: live.clone(),
    };
    (Recorder(sender), aggregator, live)
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
        let (recorder, aggregator, _live) = channel();
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
}
