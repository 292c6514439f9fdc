//! Reports of a finished run; one module per format.

mod console;
pub mod html;
pub mod json_summary;
pub mod live;
pub mod locust_csv;
mod svg_chart;

pub use console::render;

use std::time::Duration;

use crate::metrics::{RequestStats, RunStats};
use crate::scheduler::RunOutcome;

/// A scenario of the run, as the report names it.
#[derive(Debug, Clone)]
pub struct ScenarioLabel {
    /// The component file.
    pub file: String,
    /// The scenario's user name.
    pub user: String,
}

/// One row of a report's tables.
pub struct ReportRow<'a> {
    /// HTTP method (empty on the Aggregated row).
    pub method: &'a str,
    /// The row's name as shown.
    pub name: String,
    /// Its statistics.
    pub stats: std::borrow::Cow<'a, RequestStats>,
    /// Whether this is the Aggregated row, drawn apart.
    pub aggregated: bool,
}

/// Everything a report shows about a run.
pub struct RunReport<'a> {
    /// The run's scenarios, in the order their indexes refer to.
    pub scenarios: &'a [ScenarioLabel],
    /// Users started per scenario (closed model), in the same order.
    pub users_by_scenario: &'a [u32],
    /// The `--host`.
    pub host: &'a str,
    /// The seed, so the run can be repeated.
    pub seed: u64,
    /// How the run went.
    pub outcome: RunOutcome,
    /// The measurements.
    pub stats: &'a RunStats,
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
        let mut rows: Vec<ReportRow<'_>> = self
            .stats
            .requests
            .iter()
            .map(|(key, stats)| ReportRow {
                method: &key.method,
                name: self.row_name(key.scenario, &key.name),
                stats: std::borrow::Cow::Borrowed(stats),
                aggregated: false,
            })
            .collect();
        rows.push(ReportRow {
            method: "",
            name: "Aggregated".to_string(),
            stats: std::borrow::Cow::Owned(self.stats.total()),
            aggregated: true,
        });
        rows
    }

    /// The run's length in seconds, never zero (for rates).
    pub fn seconds(&self) -> f64 {
        self.outcome
            .elapsed
            .max(Duration::from_millis(1))
            .as_secs_f64()
    }
}
