//! What the live dashboard shows at one moment, as JSON: state, users, totals, rows, failures,
//! the time series so far, and the scenario's own metrics.

use serde::Serialize;

use crate::metrics::{ms, LiveStats, RequestStats, RunStats};
use crate::report::custom_metrics;

/// The dashboard's view of the run.
#[derive(Debug, Serialize)]
pub struct Snapshot {
    /// `waiting` (for Start), `running` or `stopped`.
    pub state: &'static str,
    /// Users running.
    pub users: u32,
    /// Users the shape asks for.
    pub target_users: u32,
    /// Whether the user count can be changed from the page.
    pub adjustable: bool,
    /// Every request together.
    pub total: Row,
    /// One row per (method, name).
    pub rows: Vec<Row>,
    /// Failures by (method, name, message).
    pub failures: Vec<FailureRow>,
    /// The time series so far.
    pub timeline: Vec<Point>,
    /// The scenario's own metrics, as `PREFIX_metrics.csv` has them, its header first.
    pub metrics: Vec<Vec<String>>,
}

/// A stats row.
#[derive(Debug, Serialize)]
pub struct Row {
    method: String,
    name: String,
    count: u64,
    failures: u64,
    avg_ms: f64,
    min_ms: f64,
    max_ms: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
}

/// A failures row.
#[derive(Debug, Serialize)]
pub struct FailureRow {
    method: String,
    name: String,
    message: String,
    occurrences: u64,
}

/// A point of the charts.
#[derive(Debug, Serialize)]
pub struct Point {
    t: f64,
    rps: f64,
    failures_per_s: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    users: u32,
}

impl Snapshot {
    /// Reads the live statistics now.
    pub fn take(live: &LiveStats, state: &'static str, adjustable: bool) -> Self {
        let stats = live.lock();
        Self {
            state,
            users: live.gauges.users(),
            target_users: live.gauges.target_users(),
            adjustable,
            total: row("", "Aggregated", stats.total()),
            rows: rows(&stats),
            failures: stats
                .failures
                .iter()
                .map(|(key, &occurrences)| FailureRow {
                    method: key.method.to_string(),
                    name: key.name.clone(),
                    message: key.message.clone(),
                    occurrences,
                })
                .collect(),
            timeline: stats
                .timeline
                .points()
                .iter()
                .map(|point| Point {
                    t: point.elapsed_s,
                    rps: point.rps,
                    failures_per_s: point.failures_per_s,
                    p50_ms: point.p50_ms,
                    p95_ms: point.p95_ms,
                    p99_ms: point.p99_ms,
                    users: point.users,
                })
                .collect(),
            metrics: custom_metric_records(&stats),
        }
    }
}

/// The custom metrics' records, over the run so far.
fn custom_metric_records(stats: &RunStats) -> Vec<Vec<String>> {
    let elapsed = stats
        .timeline
        .points()
        .last()
        .map_or(0.0, |point| point.elapsed_s);
    let elapsed = std::time::Duration::from_secs_f64(elapsed.max(0.0));
    match custom_metrics::entries(&stats.custom, elapsed) {
        Ok(entries) if !entries.is_empty() => custom_metrics::csv_records(&entries),
        _ => Vec::new(),
    }
}

fn rows(stats: &RunStats) -> Vec<Row> {
    stats
        .requests
        .iter()
        .map(|(key, stats)| row(&key.method, &key.name, stats))
        .collect()
}

fn row(method: &str, name: &str, stats: &RequestStats) -> Row {
    Row {
        method: method.to_string(),
        name: name.to_string(),
        count: stats.count,
        failures: stats.failures,
        avg_ms: ms(stats.mean()),
        min_ms: ms(stats.min()),
        max_ms: ms(stats.max()),
        p50_ms: ms(stats.percentile(50.0)),
        p95_ms: ms(stats.percentile(95.0)),
        p99_ms: ms(stats.percentile(99.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{channel, Event, MetricValue};

    #[test]
    fn the_dashboard_shows_the_custom_metrics() {
        let (_, _, live) = channel(&[], 10).expect("a layout");
        live.lock().apply(Event::Metric {
            name: "views".into(),
            value: MetricValue::Counter(3),
        });
        let snapshot = Snapshot::take(&live, "running", false);
        assert_eq!(snapshot.metrics[0][..3], ["Type", "Name", "Count"]);
        assert_eq!(snapshot.metrics[1][..3], ["counter", "views", "3"]);
    }
}
