//! The request series of the Prometheus endpoint: requests, failures and a latency histogram
//! per row, labelled by scenario, shard, method and name. Fed one request at a time in a
//! run, or one second of a shard at a time in a coordinator; rendered at each scrape.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use prometheus::proto::{Bucket, Counter, Histogram, LabelPair, Metric, MetricFamily, MetricType};

use crate::metrics::{RequestKey, RequestStats, Sample};

/// Latency bucket bounds, in seconds.
pub const BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Which series a request belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    scenario: u16,
    shard: u32,
    method: String,
    name: String,
}

/// One series' counts.
#[derive(Debug, Clone, Default)]
struct SeriesCounts {
    requests: u64,
    failures: u64,
    measured: u64,
    sum_seconds: f64,
    /// Requests whose latency falls in each bucket (not cumulative); the rest are past the
    /// last bound.
    in_bucket: [u64; BUCKETS.len()],
}

/// Every row's series.
#[derive(Debug, Default)]
pub struct RowSeries {
    series: Mutex<HashMap<SeriesKey, SeriesCounts>>,
    scenarios: Mutex<Vec<String>>,
}

impl RowSeries {
    /// Names the scenarios of the `scenario` label, in the run's order.
    pub fn set_scenarios(&self, names: Vec<String>) {
        *self
            .scenarios
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = names;
    }

    /// Counts one request of shard `shard`; `measured` is false for one the stop cut off.
    pub fn observe(&self, shard: u32, sample: &Sample, measured: bool) {
        let key = SeriesKey {
            scenario: sample.tag.scenario,
            shard,
            method: sample.method.to_string(),
            name: sample.name.clone(),
        };
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let counts = series.entry(key).or_default();
        counts.requests += 1;
        if measured {
            counts.failures += u64::from(sample.failure.is_some());
            counts.measured += 1;
            let seconds = sample.latency_us as f64 / 1e6;
            counts.sum_seconds += seconds;
            if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
                counts.in_bucket[bucket] += 1;
            }
        }
    }

    /// Adds a whole row of shard `shard` (one of its seconds), bucket by bucket.
    pub fn add_row(&self, shard: u32, key: &RequestKey, row: &RequestStats) {
        let series_key = SeriesKey {
            scenario: key.scenario,
            shard,
            method: key.method.to_string(),
            name: key.name.clone(),
        };
        let counts = row.counts();
        let mut in_bucket = [0u64; BUCKETS.len()];
        for (micros, count) in row.recorded() {
            let seconds = micros as f64 / 1e6;
            if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
                in_bucket[bucket] += count;
            }
        }
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = series.entry(series_key).or_default();
        mine.requests += counts.count;
        mine.failures += counts.failures;
        mine.measured += counts.count.saturating_sub(counts.cancelled);
        mine.sum_seconds += counts.sum_us as f64 / 1e6;
        for (mine, theirs) in mine.in_bucket.iter_mut().zip(in_bucket) {
            *mine += theirs;
        }
    }

    /// The three request families, for the text encoder.
    pub fn families(&self) -> Vec<MetricFamily> {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        if series.is_empty() {
            return Vec::new();
        }
        let scenarios = self
            .scenarios
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut ordered: Vec<(&SeriesKey, &SeriesCounts)> = series.iter().collect();
        ordered.sort_by(|a, b| {
            (a.0.scenario, a.0.shard, &a.0.name, &a.0.method).cmp(&(
                b.0.scenario,
                b.0.shard,
                &b.0.name,
                &b.0.method,
            ))
        });
        let labels = |key: &SeriesKey| {
            let scenario = scenarios
                .get(usize::from(key.scenario))
                .cloned()
                .unwrap_or_else(|| key.scenario.to_string());
            [
                ("method", key.method.clone()),
                ("name", key.name.clone()),
                ("scenario", scenario),
                ("shard", key.shard.to_string()),
            ]
            .map(|(name, value)| {
                let mut pair = LabelPair::default();
                pair.set_name(name.to_string());
                pair.set_value(value);
                pair
            })
            .to_vec()
        };
        let counter = |key: &SeriesKey, value: u64| {
            let mut counter = Counter::default();
            counter.set_value(value as f64);
            let mut metric = Metric::default();
            metric.set_label(labels(key));
            metric.set_counter(counter);
            metric
        };
        let requests = ordered.iter().map(|(key, c)| counter(key, c.requests));
        let failures = ordered.iter().map(|(key, c)| counter(key, c.failures));
        let durations = ordered.iter().map(|(key, counts)| {
            let mut metric = Metric::default();
            metric.set_label(labels(key));
            metric.set_histogram(histogram_of(counts));
            metric
        });
        vec![
            family(
                "wasmload_requests_total",
                "Requests completed, by row.",
                MetricType::COUNTER,
                requests.collect(),
            ),
            family(
                "wasmload_request_failures_total",
                "Requests that failed, by row.",
                MetricType::COUNTER,
                failures.collect(),
            ),
            family(
                "wasmload_request_duration_seconds",
                "Time from sending a request to its last body byte.",
                MetricType::HISTOGRAM,
                durations.collect(),
            ),
        ]
    }
}

fn histogram_of(counts: &SeriesCounts) -> Histogram {
    let mut cumulative = 0;
    let buckets = BUCKETS
        .iter()
        .zip(counts.in_bucket)
        .map(|(&bound, count)| {
            cumulative += count;
            let mut bucket = Bucket::default();
            bucket.set_upper_bound(bound);
            bucket.set_cumulative_count(cumulative);
            bucket
        })
        .collect();
    let mut histogram = Histogram::default();
    histogram.set_sample_count(counts.measured);
    histogram.set_sample_sum(counts.sum_seconds);
    histogram.set_bucket(buckets);
    histogram
}

fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.to_string());
    family.set_help(help.to_string());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}
