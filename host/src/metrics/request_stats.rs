//! Statistics of one request row: counts, bytes and an HDR histogram of latencies in microseconds.

use std::time::Duration;

use std::borrow::Cow;

use hdrhistogram::{CreationError, Histogram};

use super::latencies::Latencies;

/// Highest latency the histogram tracks exactly enough (one hour, in microseconds); longer
/// samples are clamped to it.
const MAX_TRACKED_US: u64 = 3_600_000_000;

/// The counts of a row apart from its histogram, as a JSON summary keeps them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    /// Requests.
    pub count: u64,
    /// Failed requests.
    pub failures: u64,
    /// Requests cut off by the stop.
    pub cancelled: u64,
    /// Response body bytes.
    pub bytes: u64,
    /// Sum of the measured latencies, in microseconds.
    pub sum_us: u64,
    /// Smallest measured latency, in microseconds.
    pub min_us: u64,
    /// Largest measured latency, in microseconds.
    pub max_us: u64,
}

/// Counts and latency distribution for one (method, name) row, or for all of them.
#[derive(Debug, Clone)]
pub struct RequestStats {
    /// Requests recorded.
    pub count: u64,
    /// Requests recorded as failures.
    pub failures: u64,
    /// Requests the run's stop cut off: in `count`, but neither failures nor latencies.
    pub cancelled: u64,
    /// Response body bytes received.
    pub bytes: u64,
    /// Sum of all latencies, for an exact mean.
    total_us: u64,
    /// Exact smallest latency.
    min_us: u64,
    /// Exact largest latency.
    max_us: u64,
    /// Latency distribution at microsecond resolution.
    latencies: Latencies,
    /// The same requests timed from their iteration's intended start (arrival-rate runs
    /// only), so a stall that delays iterations shows even when service times look fine.
    response: Option<Box<RequestStats>>,
}

impl RequestStats {
    /// An empty row. Only the histogram's layout can be refused, so rows after the first are
    /// made with [`empty_like`](Self::empty_like), which cannot fail.
    pub fn new() -> Result<Self, CreationError> {
        Ok(Self::with_latencies(Latencies::new()?))
    }

    /// An empty row with this row's histogram layout.
    pub fn empty_like(&self) -> Self {
        Self::with_latencies(Latencies::Few(Vec::new()))
    }

    fn with_latencies(latencies: Latencies) -> Self {
        Self {
            count: 0,
            failures: 0,
            cancelled: 0,
            bytes: 0,
            total_us: 0,
            min_us: u64::MAX,
            max_us: 0,
            latencies,
            response: None,
        }
    }

    /// A row rebuilt from what a JSON summary keeps of it: its counts and its histogram.
    pub fn from_parts(counts: RowCounts, mut histogram: Histogram<u64>) -> Self {
        histogram.auto(true);
        Self {
            count: counts.count,
            failures: counts.failures,
            cancelled: counts.cancelled,
            bytes: counts.bytes,
            total_us: counts.sum_us,
            min_us: if counts.count > counts.cancelled {
                counts.min_us
            } else {
                u64::MAX
            },
            max_us: counts.max_us,
            latencies: Latencies::Many(histogram),
            response: None,
        }
    }

    /// A row rebuilt from its counts and its latencies as `(value, count)` pairs (as
    /// [`recorded`](Self::recorded) lists them); refused only if the histogram layout is.
    pub fn from_recorded(counts: RowCounts, pairs: &[(u64, u64)]) -> Result<Self, CreationError> {
        let mut stats = Self::with_latencies(Latencies::from_recorded(pairs)?);
        stats.count = counts.count;
        stats.failures = counts.failures;
        stats.cancelled = counts.cancelled;
        stats.bytes = counts.bytes;
        stats.total_us = counts.sum_us;
        if counts.count > counts.cancelled {
            stats.min_us = counts.min_us;
        }
        stats.max_us = counts.max_us;
        Ok(stats)
    }

    /// Every latency with how often it was recorded, smallest first.
    pub fn recorded(&self) -> Vec<(u64, u64)> {
        self.latencies.recorded()
    }

    /// Sets the row's response times from the intended start (arrival-rate runs).
    pub fn set_response(&mut self, response: Option<RequestStats>) {
        self.response = response.map(Box::new);
    }

    /// The row's counts apart from its histogram (what [`from_parts`](Self::from_parts) takes).
    pub fn counts(&self) -> RowCounts {
        RowCounts {
            count: self.count,
            failures: self.failures,
            cancelled: self.cancelled,
            bytes: self.bytes,
            sum_us: self.total_us,
            min_us: self.min_us,
            max_us: self.max_us,
        }
    }

    /// The sum of every measured latency, in microseconds (for an exact mean after a merge).
    pub fn sum_us(&self) -> u64 {
        self.total_us
    }

    /// Records one request.
    pub fn record(&mut self, latency_us: u64, bytes: u64, failed: bool) {
        self.count += 1;
        self.failures += u64::from(failed);
        self.bytes += bytes;
        self.total_us += latency_us;
        self.min_us = self.min_us.min(latency_us);
        self.max_us = self.max_us.max(latency_us);
        self.latencies
            .record(latency_us.clamp(1, MAX_TRACKED_US) as u32);
    }

    /// Records a request the run's stop cut off.
    pub fn record_cancelled(&mut self) {
        self.count += 1;
        self.cancelled += 1;
    }

    /// Requests with a measured latency (the cancelled ones have none).
    pub fn measured(&self) -> u64 {
        self.count - self.cancelled
    }

    /// Records one request of an arrival-rate iteration that started `lateness_us` late: its
    /// service time as [`record`](Self::record) does, and its response time from the
    /// iteration's intended start.
    pub fn record_with_lateness(
        &mut self,
        latency_us: u64,
        lateness_us: u64,
        bytes: u64,
        failed: bool,
    ) {
        self.record(latency_us, bytes, failed);
        if self.response.is_none() {
            self.response = Some(Box::new(self.empty_like()));
        }
        if let Some(response) = &mut self.response {
            response.record(latency_us.saturating_add(lateness_us), bytes, failed);
        }
    }

    /// Response times from the intended start, if any request of the row had one.
    pub fn response(&self) -> Option<&RequestStats> {
        self.response.as_deref()
    }

    /// Adds another row's samples to this one, exactly.
    pub fn merge(&mut self, other: &RequestStats) {
        if let Some(theirs) = &other.response {
            let empty = || Box::new(theirs.empty_like());
            self.response.get_or_insert_with(empty).merge(theirs);
        }
        self.count += other.count;
        self.failures += other.failures;
        self.cancelled += other.cancelled;
        self.bytes += other.bytes;
        self.total_us += other.total_us;
        self.min_us = self.min_us.min(other.min_us);
        self.max_us = self.max_us.max(other.max_us);
        self.latencies.merge(&other.latencies);
    }

    /// Mean latency, or zero when empty.
    pub fn mean(&self) -> Duration {
        match self.measured() {
            0 => Duration::ZERO,
            n => Duration::from_nanos(self.total_us.saturating_mul(1000) / n),
        }
    }

    /// Smallest latency, or zero when empty.
    pub fn min(&self) -> Duration {
        match self.measured() {
            0 => Duration::ZERO,
            _ => Duration::from_micros(self.min_us),
        }
    }

    /// Largest latency.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.max_us)
    }

    /// The latency at `percentile` (0..=100), within the histogram's precision; zero when empty.
    pub fn percentile(&self, percentile: f64) -> Duration {
        if self.measured() == 0 {
            return Duration::ZERO;
        }
        if percentile >= 100.0 {
            return self.max();
        }
        let value = self.latencies.value_at_percentile(percentile);
        Duration::from_micros(value.min(self.max_us))
    }

    /// Mean response size in bytes.
    pub fn mean_bytes(&self) -> u64 {
        self.bytes.checked_div(self.measured()).unwrap_or(0)
    }

    /// Failures as a fraction of requests (0.0 when empty).
    pub fn failure_ratio(&self) -> f64 {
        match self.count {
            0 => 0.0,
            n => self.failures as f64 / n as f64,
        }
    }

    /// The latencies as a histogram, for exports that serialize it.
    pub fn histogram(&self) -> Result<Cow<'_, Histogram<u64>>, CreationError> {
        self.latencies.histogram()
    }

    /// Base64 of the latencies in HdrHistogram's V2 compressed encoding (microseconds), the
    /// form the JSON summary keeps so that rows, seconds and shards merge exactly.
    pub fn encode_histogram(&self) -> anyhow::Result<String> {
        use base64::Engine as _;
        use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
        let mut bytes = Vec::new();
        let histogram = self
            .histogram()
            .map_err(|err| anyhow::anyhow!("cannot make a histogram: {err:?}"))?;
        V2DeflateSerializer::new()
            .serialize(&histogram, &mut bytes)
            .map_err(|err| anyhow::anyhow!("cannot encode a histogram: {err:?}"))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Heap bytes the row's latencies take.
    pub fn heap_bytes(&self) -> usize {
        self.latencies.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> RequestStats {
        RequestStats::new().expect("a valid layout")
    }

    fn stats_of(latencies_us: &[u64]) -> RequestStats {
        let mut stats = empty();
        for &latency in latencies_us {
            stats.record(latency, 100, false);
        }
        stats
    }

    fn close(actual: Duration, expected_us: u64) -> bool {
        let actual = actual.as_micros() as f64;
        let expected = expected_us as f64;
        (actual - expected).abs() <= expected * 0.001 + 1.0
    }

    #[test]
    fn an_empty_row_reports_zeroes() {
        let stats = empty();
        assert_eq!(stats.count, 0);
        assert_eq!(stats.mean(), Duration::ZERO);
        assert_eq!(stats.min(), Duration::ZERO);
        assert_eq!(stats.percentile(95.0), Duration::ZERO);
        assert_eq!(stats.mean_bytes(), 0);
        assert_eq!(stats.failure_ratio(), 0.0);
    }

    #[test]
    fn mean_min_and_max_are_exact() {
        let stats = stats_of(&[1_000, 2_000, 3_001]);
        assert_eq!(stats.count, 3);
        assert_eq!(stats.mean(), Duration::from_nanos(2_000_333));
        assert_eq!(stats.min(), Duration::from_micros(1_000));
        assert_eq!(stats.max(), Duration::from_micros(3_001));
        assert_eq!(stats.bytes, 300);
        assert_eq!(stats.mean_bytes(), 100);
    }

    #[test]
    fn percentiles_follow_the_distribution() {
        // 1..=10_000 microseconds, once each: p50 = 5000, p95 = 9500, p99 = 9900.
        let latencies: Vec<u64> = (1..=10_000).collect();
        let stats = stats_of(&latencies);
        assert!(
            close(stats.percentile(50.0), 5_000),
            "{:?}",
            stats.percentile(50.0)
        );
        assert!(
            close(stats.percentile(95.0), 9_500),
            "{:?}",
            stats.percentile(95.0)
        );
        assert!(
            close(stats.percentile(99.0), 9_900),
            "{:?}",
            stats.percentile(99.0)
        );
        assert!(
            close(stats.percentile(99.9), 9_990),
            "{:?}",
            stats.percentile(99.9)
        );
        assert_eq!(stats.percentile(100.0), Duration::from_micros(10_000));
    }

    #[test]
    fn a_slow_tail_shows_in_high_percentiles_only() {
        let mut latencies = vec![1_000; 990];
        latencies.extend([500_000; 10]);
        let stats = stats_of(&latencies);
        assert!(close(stats.percentile(50.0), 1_000));
        assert!(close(stats.percentile(99.0), 1_000));
        assert!(close(stats.percentile(99.9), 500_000));
    }

    #[test]
    fn cancelled_requests_count_but_measure_nothing() {
        let mut stats = stats_of(&[1_000, 3_000]);
        stats.record_cancelled();
        assert_eq!((stats.count, stats.cancelled, stats.failures), (3, 1, 0));
        assert_eq!(stats.mean(), Duration::from_micros(2_000));
        assert_eq!(stats.min(), Duration::from_micros(1_000));
        assert_eq!(stats.mean_bytes(), 100);
        let mut merged = empty();
        merged.merge(&stats);
        assert_eq!((merged.count, merged.cancelled), (3, 1));
        let mut only_cancelled = empty();
        only_cancelled.record_cancelled();
        assert_eq!(only_cancelled.percentile(50.0), Duration::ZERO);
        assert_eq!(only_cancelled.mean(), Duration::ZERO);
    }

    #[test]
    fn failures_are_counted_and_ratioed() {
        let mut stats = empty();
        stats.record(10, 0, true);
        stats.record(10, 0, false);
        stats.record(10, 0, false);
        stats.record(10, 0, true);
        assert_eq!(stats.failures, 2);
        assert_eq!(stats.failure_ratio(), 0.5);
    }

    #[test]
    fn merging_equals_recording_everything_in_one_row() {
        let a = stats_of(&[5, 50, 500]);
        let b = stats_of(&[7, 70_000]);
        let mut merged = a.clone();
        merged.merge(&b);
        let all = stats_of(&[5, 50, 500, 7, 70_000]);
        assert_eq!(merged.count, all.count);
        assert_eq!(merged.mean(), all.mean());
        assert_eq!(merged.min(), all.min());
        assert_eq!(merged.max(), all.max());
        for p in [50.0, 90.0, 99.0] {
            assert_eq!(merged.percentile(p), all.percentile(p));
        }
    }

    #[test]
    fn lateness_adds_to_the_response_time_only() {
        let mut stats = empty();
        stats.record_with_lateness(1_000, 0, 10, false);
        stats.record_with_lateness(1_000, 2_000_000, 10, false);
        assert_eq!(stats.max(), Duration::from_micros(1_000));
        let response = stats.response().expect("response times");
        assert_eq!(response.count, 2);
        assert_eq!(response.max(), Duration::from_micros(2_001_000));
        let mut merged = empty();
        merged.merge(&stats);
        assert_eq!(merged.response().map(|r| r.count), Some(2));
        assert!(empty().response().is_none());
    }

    #[test]
    fn an_empty_or_fast_row_stays_small() {
        let size = RequestStats::heap_bytes;
        let empty = empty();
        assert_eq!(size(&empty), 0);
        let rare = stats_of(&[150, 900, 4_000, 12_000]);
        assert!(size(&rare) <= 64, "{} bytes", size(&rare));
        let fast = stats_of(&[150, 900, 4_000, 12_000].repeat(100));
        assert!(size(&fast) <= 64 << 10, "{} bytes", size(&fast));
        let slow = stats_of(&[150, 3_000_000_000].repeat(200));
        assert!(
            size(&slow) > size(&fast),
            "a slow row grows to hold its latencies"
        );
        let mut merged = fast.clone();
        merged.merge(&slow);
        assert_eq!(merged.max(), slow.max());
    }

    #[test]
    fn latencies_beyond_an_hour_are_clamped_not_lost() {
        let mut stats = empty();
        stats.record(10 * MAX_TRACKED_US, 0, false);
        assert_eq!(stats.count, 1);
        assert_eq!(stats.max(), Duration::from_micros(10 * MAX_TRACKED_US));
    }
}
