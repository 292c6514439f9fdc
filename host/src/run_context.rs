//! Services and settings shared by every virtual user of a run.

use std::collections::HashMap;
use std::time::Duration;

use crate::broker::HttpBroker;
use crate::metrics::Recorder;

/// What all users of a run share; each user's Store holds an `Arc` of it.
#[derive(Debug)]
pub struct RunContext {
    /// The shared HTTP client and allow-list.
    pub broker: HttpBroker,
    /// Where samples, exceptions and checks go.
    pub recorder: Recorder,
    /// Parameters from `--env`.
    pub env: HashMap<String, String>,
    /// Seed of the per-user random generators.
    pub seed: u64,
    /// Longest stretch of guest computation without a host call.
    pub task_timeout: Duration,
    /// Linear memory a user may grow to, in bytes.
    pub vu_memory: usize,
    /// Whether the task timeout and memory limit apply (off only to measure their cost).
    pub budgets: bool,
}
