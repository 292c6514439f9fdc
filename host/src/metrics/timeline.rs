//! The run over time: one point per second with the users running, the rates of that second,
//! its latency percentiles and the totals so far (with the percentiles the reports ask for).
//! Charts, the live view and the CSV history are drawn from it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::RequestStats;

/// The shortest last window that still becomes a point of its own.
const MIN_LAST_WINDOW: Duration = Duration::from_millis(500);

/// One second of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimePoint {
    /// Seconds from the start of the run to the end of this interval.
    pub elapsed_s: f64,
    /// Unix time (seconds) at the end of the interval.
    pub unix_time: u64,
    /// Users running at the end of the interval.
    pub users: u32,
    /// Requests completed in the interval, per second.
    pub rps: f64,
    /// Failed requests in the interval, per second.
    pub failures_per_s: f64,
    /// Requests completed in the interval (the run's last fragment, shorter than half a
    /// second, counts in the last point).
    pub requests: u64,
    /// Failed requests in the interval, likewise.
    pub failures: u64,
    /// The interval's latencies, base64 of HdrHistogram V2 compressed (microseconds), so the
    /// points of several shards merge exactly second by second.
    pub hdr_histogram: String,
    /// Median latency of the interval's requests, in ms (0 when there were none).
    pub p50_ms: f64,
    /// 95th percentile of the interval, in ms.
    pub p95_ms: f64,
    /// 99th percentile of the interval, in ms.
    pub p99_ms: f64,
    /// Requests so far.
    pub total_requests: u64,
    /// Failed requests so far.
    pub total_failures: u64,
    /// The tracked percentiles of all requests so far, in ms, in the timeline's order.
    pub total_percentiles_ms: Vec<f64>,
    /// Mean latency of all requests so far, in ms.
    pub total_avg_ms: f64,
    /// Smallest latency so far, in ms.
    pub total_min_ms: f64,
    /// Largest latency so far, in ms.
    pub total_max_ms: f64,
    /// Mean response size so far, in bytes.
    pub total_avg_bytes: u64,
}

/// Builds the time series: requests go into the current window; each
/// tick closes the window into a point, with the run's totals so far (derived by the caller
/// from the rows, so no request is recorded twice).
#[derive(Debug, Clone)]
pub struct Timeline {
    points: Vec<TimePoint>,
    window: RequestStats,
    /// The last closed window, which a short final fragment joins.
    last_window: Option<RequestStats>,
    window_started: Duration,
    percentiles: Vec<f64>,
}

impl Timeline {
    /// An empty time series whose windows start as `empty` and whose points keep the totals'
    /// `percentiles`.
    pub fn new(empty: RequestStats, percentiles: &[f64]) -> Self {
        Self {
            points: Vec::new(),
            window: empty,
            last_window: None,
            window_started: Duration::ZERO,
            percentiles: percentiles.to_vec(),
        }
    }

    /// A finished time series of `points` (merged from shards), whose totals keep
    /// `percentiles`.
    pub fn from_points(empty: RequestStats, percentiles: &[f64], points: Vec<TimePoint>) -> Self {
        Self {
            points,
            ..Self::new(empty, percentiles)
        }
    }

    /// The finished time series of `seconds`, in order (a run put together from its
    /// shards); each point's totals are those of every second up to it.
    pub fn from_seconds(
        empty: RequestStats,
        percentiles: &[f64],
        seconds: impl IntoIterator<Item = Second>,
    ) -> Self {
        let mut so_far = empty.empty_like();
        let points = seconds
            .into_iter()
            .map(|second| {
                so_far.merge(&second.window);
                let mut point = second.point();
                point.set_totals(&so_far, percentiles);
                point
            })
            .collect();
        Self::from_points(empty, percentiles, points)
    }

    /// Appends a second closed elsewhere (by a coordinator) to the series.
    pub fn push(&mut self, point: TimePoint) {
        self.points.push(point);
    }

    /// The percentiles each point keeps of the totals.
    pub fn percentiles(&self) -> &[f64] {
        &self.percentiles
    }

    /// Counts one request in the current second.
    pub fn record(&mut self, latency_us: u64, bytes: u64, failed: bool) {
        self.window.record(latency_us, bytes, failed);
    }

    /// Ends the current window at `elapsed` from the start, with `users` running and `total`
    /// the statistics of every request so far.
    pub fn close_window(&mut self, elapsed: Duration, users: u32, total: &RequestStats) {
        let seconds = elapsed
            .saturating_sub(self.window_started)
            .as_secs_f64()
            .max(1e-3);
        let empty = self.window.empty_like();
        let window = std::mem::replace(&mut self.window, empty);
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let mut point =
            TimePoint::of_window(&window, seconds, elapsed.as_secs_f64(), unix_time, users);
        point.set_totals(total, &self.percentiles);
        self.points.push(point);
        self.last_window = Some(window);
        self.window_started = elapsed;
    }

    /// Ends the time series at `elapsed`: a last window of half a second or more becomes a
    /// point of its own; a shorter one (its rates would be noise) only brings the last point's
    /// totals up to date.
    pub fn finish(&mut self, elapsed: Duration, users: u32, total: &RequestStats) {
        let window = elapsed.saturating_sub(self.window_started);
        match self.points.last_mut() {
            Some(last) if window < MIN_LAST_WINDOW => {
                let empty = self.window.empty_like();
                let fragment = std::mem::replace(&mut self.window, empty);
                if let Some(closed) = &mut self.last_window {
                    closed.merge(&fragment);
                    last.requests = closed.count;
                    last.failures = closed.failures;
                    last.hdr_histogram = closed.encode_histogram().unwrap_or_default();
                }
                last.set_totals(total, &self.percentiles);
            }
            _ => self.close_window(elapsed, users, total),
        }
    }

    /// The points so far, oldest first.
    pub fn points(&self) -> &[TimePoint] {
        &self.points
    }

    /// The latest point, if a second has passed.
    pub fn last(&self) -> Option<&TimePoint> {
        self.points.last()
    }
}

/// One second of a run put together from its parts (its shards).
#[derive(Debug, Clone)]
pub struct Second {
    /// When it ended, in Unix seconds.
    pub unix_time: u64,
    /// Seconds from the run's start to its end.
    pub elapsed_s: f64,
    /// How long it was: 1, or less for the run's last.
    pub seconds: f64,
    /// Its requests.
    pub window: RequestStats,
    /// Users running at its end.
    pub users: u32,
}

impl Second {
    /// Its point of the time series, without the totals so far.
    pub fn point(&self) -> TimePoint {
        TimePoint::of_window(
            &self.window,
            self.seconds.max(1e-3),
            self.elapsed_s,
            self.unix_time,
            self.users,
        )
    }
}

impl TimePoint {
    /// The point of a `window` of `seconds` that ended `elapsed_s` into the run, at
    /// `unix_time`, with `users` running; its totals are still to be set.
    pub fn of_window(
        window: &RequestStats,
        seconds: f64,
        elapsed_s: f64,
        unix_time: u64,
        users: u32,
    ) -> Self {
        TimePoint {
            elapsed_s,
            unix_time,
            users,
            rps: window.count as f64 / seconds,
            failures_per_s: window.failures as f64 / seconds,
            requests: window.count,
            failures: window.failures,
            hdr_histogram: window.encode_histogram().unwrap_or_default(),
            p50_ms: ms(window.percentile(50.0)),
            p95_ms: ms(window.percentile(95.0)),
            p99_ms: ms(window.percentile(99.0)),
            total_requests: 0,
            total_failures: 0,
            total_percentiles_ms: Vec::new(),
            total_avg_ms: 0.0,
            total_min_ms: 0.0,
            total_max_ms: 0.0,
            total_avg_bytes: 0,
        }
    }

    /// Copies the run's totals so far, with their `percentiles`, into the point.
    pub fn set_totals(&mut self, total: &RequestStats, percentiles: &[f64]) {
        self.total_requests = total.count;
        self.total_failures = total.failures;
        self.total_percentiles_ms = percentiles
            .iter()
            .map(|&p| ms(total.percentile(p)))
            .collect();
        self.total_avg_ms = ms(total.mean());
        self.total_min_ms = ms(total.min());
        self.total_max_ms = ms(total.max());
        self.total_avg_bytes = total.mean_bytes();
    }
}

/// A duration in milliseconds.
pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A timeline and the totals its caller keeps beside it.
    struct Run {
        timeline: Timeline,
        total: RequestStats,
    }

    impl Default for Run {
        fn default() -> Self {
            let total = RequestStats::new().expect("a valid layout");
            Self {
                timeline: Timeline::new(total.empty_like(), &[50.0, 100.0]),
                total,
            }
        }
    }

    impl Run {
        fn record(&mut self, latency_us: u64, bytes: u64, failed: bool) {
            self.timeline.record(latency_us, bytes, failed);
            self.total.record(latency_us, bytes, failed);
        }

        fn close_window(&mut self, elapsed: Duration, users: u32) {
            self.timeline.close_window(elapsed, users, &self.total);
        }

        fn finish(&mut self, elapsed: Duration, users: u32) {
            self.timeline.finish(elapsed, users, &self.total);
        }

        fn points(&self) -> &[TimePoint] {
            self.timeline.points()
        }

        fn last(&self) -> Option<&TimePoint> {
            self.timeline.last()
        }
    }

    #[test]
    fn each_window_has_its_own_rates_and_percentiles() {
        let mut timeline = Run::default();
        for _ in 0..10 {
            timeline.record(1_000, 100, false);
        }
        timeline.close_window(Duration::from_secs(1), 5);
        timeline.record(50_000, 100, true);
        timeline.close_window(Duration::from_secs(2), 6);
        let [first, second] = timeline.points() else {
            panic!("two points expected");
        };
        assert_eq!(
            (first.users, first.rps, first.failures_per_s),
            (5, 10.0, 0.0)
        );
        assert!((first.p95_ms - 1.0).abs() < 0.01, "{}", first.p95_ms);
        assert_eq!((second.rps, second.failures_per_s), (1.0, 1.0));
        assert!((second.p50_ms - 50.0).abs() < 0.1, "{}", second.p50_ms);
        assert_eq!((second.total_requests, second.total_failures), (11, 1));
        assert!((second.total_max_ms - 50.0).abs() < 0.01);
        assert_eq!(timeline.last(), Some(second));
    }

    #[test]
    fn the_seconds_histograms_add_up_to_the_runs_exactly_with_the_last_fragment() {
        use base64::Engine as _;
        use hdrhistogram::serialization::Deserializer;
        let mut timeline = Run::default();
        for (second, latency_us) in [(1, 900), (2, 12_000), (3, 250_000)] {
            for n in 0..=second {
                timeline.record(latency_us + n, 10, n == 0);
            }
            timeline.close_window(Duration::from_secs(second), 1);
        }
        timeline.record(77_000, 10, false);
        timeline.finish(Duration::from_millis(3_100), 1);
        let mut added = hdrhistogram::Histogram::<u64>::new(3).expect("a histogram");
        for point in timeline.points() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&point.hdr_histogram)
                .expect("base64");
            let second: hdrhistogram::Histogram<u64> = Deserializer::new()
                .deserialize(&mut bytes.as_slice())
                .expect("a V2 histogram");
            assert_eq!(second.len(), point.requests);
            added.add(&second).expect("the same layout");
        }
        let total = timeline.total.histogram().expect("the run's histogram");
        assert_eq!(
            added.len(),
            10,
            "2 + 3 + 4 requests and the last fragment's one"
        );
        assert_eq!(*total, added, "bucket for bucket");
        let failures: u64 = timeline.points().iter().map(|point| point.failures).sum();
        assert_eq!(failures, 3);
    }

    #[test]
    fn a_short_last_window_only_updates_the_totals() {
        let mut timeline = Run::default();
        timeline.record(1_000, 10, false);
        timeline.close_window(Duration::from_secs(1), 2);
        timeline.record(1_000, 10, true);
        timeline.finish(Duration::from_millis(1_020), 2);
        let [only] = timeline.points() else {
            panic!("one point expected");
        };
        assert_eq!(
            (only.rps, only.total_requests, only.total_failures),
            (1.0, 2, 1)
        );
        timeline.record(1_000, 10, false);
        timeline.finish(Duration::from_millis(1_800), 2);
        assert_eq!(timeline.points().len(), 2);
    }

    #[test]
    fn an_empty_second_has_zero_rates() {
        let mut timeline = Run::default();
        timeline.close_window(Duration::from_secs(1), 0);
        let point = timeline.last().expect("a point");
        assert_eq!(
            (point.rps, point.p99_ms, point.total_requests),
            (0.0, 0.0, 0)
        );
    }
}
