//! Everything wasmload shows or writes about a run, one module per format: the console
//! report and verdict table, Locust's CSV files, the JSON summary, the HTML report, the live
//! terminal view and the Prometheus endpoint. Metrics hand over numbers; only this room knows
//! how they look.

mod console;
pub mod custom_metrics;
mod groups;
pub mod html;
pub mod json_summary;
pub mod junit;
pub mod live;
pub mod locust_csv;
pub mod prometheus;
mod prometheus_custom;
mod prometheus_rows;
pub mod summary_in;
mod svg_chart;
mod verdict_table;

pub use console::{notes, render};
pub use verdict_table::render as render_verdicts;

use std::borrow::Cow;
use std::time::Duration;

use crate::metrics::{RequestKey, RequestStats, RunStats};
use crate::scheduler::RunOutcome;
use summary_in::LibraryIn;

/// Locust's percentiles, in the order of its tables and CSV columns; each point of the time
/// series keeps them for `PREFIX_stats_history.csv`.
pub const LOCUST_PERCENTILES: [f64; 11] = [
    50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0,
];

/// A percentile's column heading, as Locust writes it: `50%`, `99.9%`, `100%`.
pub fn percentile_label(percentile: f64) -> String {
    format!("{percentile}%")
}

/// A scenario of the run, as the report names it.
#[derive(Debug, Clone)]
pub struct ScenarioLabel {
    /// The component file.
    pub file: String,
    /// The scenario's user name.
    pub user: String,
    /// Linear memories each of its users has (its libraries' included).
    pub memories: u32,
    /// The libraries linked into it: file names and digests.
    pub libraries: Vec<LibraryIn>,
    /// SHA-256 of the component file, in hex, so the shards of one run can be told from
    /// another run's.
    pub sha256: String,
}

impl ScenarioLabel {
    /// `file (user)`, and `with lib.wasm, …` when libraries are linked in.
    pub fn describe(&self) -> String {
        if self.libraries.is_empty() {
            format!("{} ({})", self.file, self.user)
        } else {
            format!(
                "{} ({}) with {}",
                self.file,
                self.user,
                self.libraries
                    .iter()
                    .map(|library| library.file.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// One row of a report's tables, with the figures every format shows.
pub struct ReportRow<'a> {
    /// The row's scenario, method and raw name; `None` on the Aggregated row.
    pub key: Option<&'a RequestKey>,
    /// HTTP method (empty on the Aggregated row).
    pub method: &'a str,
    /// The row's name as shown.
    pub name: String,
    /// Its statistics.
    pub stats: Cow<'a, RequestStats>,
    /// Whether this is the Aggregated row, drawn apart.
    pub aggregated: bool,
    /// Requests per second over the run.
    pub rps: f64,
    /// Failed requests per second over the run.
    pub failures_per_s: f64,
}

/// Everything a report shows about a run.
pub struct RunReport<'a> {
    /// The run's scenarios, in the order their indexes refer to.
    pub scenarios: &'a [ScenarioLabel],
    /// Users started per scenario (closed model), in the same order.
    pub users_by_scenario: &'a [u32],
    /// The `--host`.
    pub host: &'a str,
    /// Where the host came from (`--host`, the plan, the scenario), when the report says.
    pub host_from: Option<&'a str>,
    /// The seed, so the run can be repeated.
    pub seed: u64,
    /// Which part of the run this process made.
    pub shard: crate::plan::Shard,
    /// Whether TLS certificates went unverified (`--insecure`).
    pub insecure: bool,
    /// How far each linear memory of a user may grow (`--vu-memory`).
    pub vu_memory: usize,
    /// How the run went.
    pub outcome: RunOutcome,
    /// The measurements.
    pub stats: &'a RunStats,
}

impl<'a> ReportRow<'a> {
    /// The row of `stats` (the Aggregated row without a key), with its rates over the run.
    fn new(
        key: Option<&'a RequestKey>,
        name: String,
        stats: Cow<'a, RequestStats>,
        report: &RunReport<'_>,
    ) -> Self {
        Self {
            key,
            method: key.map_or("", |key| &key.method),
            name,
            rps: report.per_second(stats.count),
            failures_per_s: report.per_second(stats.failures),
            aggregated: key.is_none(),
            stats,
        }
    }
}

impl RunReport<'_> {
    /// A row's name: prefixed with its scenario's user name when the run mixes scenarios.
    pub fn row_name(&self, scenario: u16, name: &str) -> String {
        match self.scenarios.get(usize::from(scenario)) {
            Some(label) if self.scenarios.len() > 1 => format!("{}: {name}", label.user),
            _ => name.to_string(),
        }
    }

    /// Every table's rows: one per (method, name), named as [`row_name`](Self::row_name)
    /// says, then Locust's Aggregated row.
    pub fn rows(&self) -> Vec<ReportRow<'_>> {
        let row = |key, name, stats| ReportRow::new(key, name, stats, self);
        let mut rows: Vec<ReportRow<'_>> = self
            .stats
            .requests
            .iter()
            .map(|(key, stats)| {
                let name = self.row_name(key.scenario, &key.name);
                row(Some(key), name, Cow::Borrowed(stats))
            })
            .collect();
        let total = Cow::Borrowed(self.stats.total());
        rows.push(row(None, "Aggregated".to_string(), total));
        rows
    }

    /// `count` per second of the run (whose length counts as at least a millisecond).
    pub fn per_second(&self, count: u64) -> f64 {
        let seconds = self
            .outcome
            .elapsed
            .max(Duration::from_millis(1))
            .as_secs_f64();
        count as f64 / seconds
    }
}
