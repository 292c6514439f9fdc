//! What every virtual user of a run shares: the broker, the recorder, the test data, and the
//! options that shape each user's sandbox.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use crate::broker::HttpBroker;
use crate::data::DataSets;
use crate::metrics::Recorder;

/// `--task-timeout` when not given.
pub const DEFAULT_TASK_TIMEOUT: Duration = Duration::from_secs(30);
/// `--vu-memory` when not given.
pub const DEFAULT_VU_MEMORY: usize = 64 << 20;

/// The options of each user's sandbox.
#[derive(Debug, Clone)]
pub struct VuOptions {
    /// Parameters from `--env`.
    pub env: HashMap<String, String>,
    /// Seed of the per-user random generators.
    pub seed: u64,
    /// Longest stretch of guest computation without a host call.
    pub task_timeout: Duration,
    /// Linear memory a user may grow to, in bytes.
    pub vu_memory: usize,
    /// Whether the task timeout and the memory limiter apply (`--no-budgets` turns them off).
    pub budgets: bool,
    /// `--vu-cpu`: the share of one core a user's guest code may use; past it the user is
    /// paused.
    pub vu_cpu: Option<f64>,
}

impl Default for VuOptions {
    /// No parameters, seed 0, a 30 s task timeout, 64 MiB of memory, budgets on.
    fn default() -> Self {
        Self {
            env: HashMap::new(),
            seed: 0,
            task_timeout: DEFAULT_TASK_TIMEOUT,
            vu_memory: DEFAULT_VU_MEMORY,
            budgets: true,
            vu_cpu: None,
        }
    }
}

/// What all users of a run share; each user's Store holds an `Arc` of it.
#[derive(Debug)]
pub struct RunContext {
    /// The shared HTTP client and allow-list.
    pub broker: HttpBroker,
    /// Where samples, exceptions and checks go.
    pub recorder: Recorder,
    /// The options of each user's sandbox.
    pub options: VuOptions,
    /// The run's test data (`--data`).
    pub data: DataSets,
    /// What each scenario's test-wide `setup` returned.
    pub setup_results: SetupResults,
}

/// What each scenario's `setup` returned, set once before the users start and read by all.
#[derive(Debug, Default)]
pub struct SetupResults(Box<[OnceLock<Vec<u8>>]>);

impl SetupResults {
    /// Room for the results of `scenarios` scenarios.
    pub fn new(scenarios: usize) -> Self {
        Self((0..scenarios).map(|_| OnceLock::new()).collect())
    }

    /// Keeps what scenario `scenario`'s setup returned.
    pub fn set(&self, scenario: u16, bytes: Vec<u8>) {
        if let Some(cell) = self.0.get(usize::from(scenario)) {
            let _ = cell.set(bytes);
        }
    }

    /// What scenario `scenario`'s setup returned, if it has run.
    pub fn get(&self, scenario: u16) -> Option<&[u8]> {
        self.0
            .get(usize::from(scenario))
            .and_then(OnceLock::get)
            .map(Vec::as_slice)
    }
}
