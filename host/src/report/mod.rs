//! Reports of a finished run; one module per format.

mod console;

pub use console::render;

use std::time::Duration;

use crate::metrics::RunStats;
use crate::scheduler::RunOutcome;

/// Everything a report shows about a run.
pub struct RunReport<'a> {
    /// The scenario file.
    pub scenario: &'a str,
    /// The scenario's user name.
    pub user: &'a str,
    /// The `--host`.
    pub host: &'a str,
    /// Target users.
    pub users: u32,
    /// The seed, so the run can be repeated.
    pub seed: u64,
    /// How the run went.
    pub outcome: RunOutcome,
    /// The measurements.
    pub stats: &'a RunStats,
}

impl RunReport<'_> {
    /// The run's length in seconds, never zero (for rates).
    pub fn seconds(&self) -> f64 {
        self.outcome
            .elapsed
            .max(Duration::from_millis(1))
            .as_secs_f64()
    }
}
