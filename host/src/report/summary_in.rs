//! Reading a JSON summary back (`wasmload merge`): the parts a merge needs, with every
//! histogram decoded, and one line naming the file and the field when something is off.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::json_summary::SCHEMA_ID;
use crate::metrics::{RequestStats, RowCounts, TimePoint};

/// One summary file, as written by `--json`.
#[derive(Debug)]
pub struct SummaryFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its contents.
    pub summary: SummaryIn,
}

/// The parts of a summary a merge uses.
#[derive(Debug, Deserialize)]
pub struct SummaryIn {
    /// `$schema`.
    #[serde(rename = "$schema")]
    pub schema: String,
    /// The scenarios, in order.
    pub scenarios: Vec<ScenarioIn>,
    /// `--host`.
    pub host: String,
    /// `--seed`.
    pub seed: u64,
    /// The run's parameters.
    pub config: ConfigIn,
    /// How the shard's run went.
    pub outcome: OutcomeIn,
    /// The request rows.
    pub requests: Vec<RowIn>,
    /// The groups' durations.
    #[serde(default)]
    pub groups: Vec<GroupIn>,
    /// Failures by row and message.
    pub failures: Vec<FailureIn>,
    /// Exceptions by message.
    pub exceptions: Vec<ExceptionIn>,
    /// Checks by name.
    pub checks: Vec<CheckIn>,
    /// The scenario's own metrics (none in a summary from before they existed).
    #[serde(default)]
    pub metrics: Vec<super::custom_metrics::MetricEntry>,
    /// Names past `--max-rows` (none when every name had its row).
    #[serde(default)]
    pub past_the_cap: PastTheCapIn,
    /// How late arrival-rate iterations started.
    pub start_lateness: Option<StatsIn>,
    /// The run second by second.
    pub timeline: Vec<TimePoint>,
    /// CPU and memory.
    pub cpu: CpuIn,
}

/// A scenario of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioIn {
    /// Its component file.
    pub file: String,
    /// Its user's name.
    pub user: String,
    /// Its weight.
    pub weight: u32,
    /// Users the shard started of it (closed model).
    pub users_started: Option<u32>,
    /// Linear memories each user has.
    pub memories: u32,
    /// SHA-256 of the component file.
    pub sha256: String,
    /// The libraries linked into it, which are part of what the run is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<LibraryIn>,
}

/// A library linked into a scenario: its file name and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryIn {
    /// Its file name.
    pub file: String,
    /// SHA-256 of its file, in hex.
    pub sha256: String,
}

/// The run's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigIn {
    /// `closed` or `open`.
    pub model: String,
    /// `--run-time`, in seconds.
    pub run_time_s: Option<f64>,
    /// This shard's share of `--iterations`.
    pub iterations: Option<u64>,
    /// The thresholds, as given.
    pub thresholds: Vec<String>,
    /// Scenario weights.
    pub weights: Vec<u32>,
    /// `--connections`.
    pub connections: String,
    /// `--insecure`.
    pub insecure: bool,
    /// Which shard.
    pub shard: ShardIn,
    /// `--vu-memory`, in bytes.
    pub vu_memory_bytes: usize,
    /// `--run-id`; none in summaries written before it existed.
    #[serde(default)]
    pub run_id: Option<String>,
}

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardIn {
    /// This shard, from 0.
    pub index: u32,
    /// The run's shards.
    pub count: u32,
}

/// How a shard's run went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutcomeIn {
    /// Why it ended (`time_up`, `completed`, …).
    pub reason: String,
    /// Seconds it ran.
    pub elapsed_s: f64,
    /// Users started.
    pub users_spawned: u32,
    /// Most users at once.
    pub peak_users: u32,
    /// Iterations run.
    pub iterations: u64,
    /// Arrival-rate iterations dropped.
    pub dropped_iterations: u64,
    /// Users cancelled at the stop.
    pub users_cancelled: usize,
    /// Tasks that ended with an error after one of their requests failed.
    pub tasks_cut_short: u64,
}

/// A row's counts and histogram.
#[derive(Debug, Deserialize)]
pub struct StatsIn {
    count: u64,
    failures: u64,
    cancelled: u64,
    bytes: u64,
    sum_us: u64,
    min_ms: f64,
    max_ms: f64,
    hdr_histogram: String,
}

/// A request row.
#[derive(Debug, Deserialize)]
pub struct RowIn {
    /// Its scenario.
    pub scenario: u16,
    /// Its method.
    pub method: String,
    /// Its name.
    pub name: String,
    /// Its statistics.
    #[serde(flatten)]
    pub stats: StatsIn,
    /// Its response times from the intended start (open model).
    pub response: Option<StatsIn>,
    /// The groups its requests were sent in.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A group's durations.
#[derive(Debug, Deserialize)]
pub struct GroupIn {
    /// Its scenario.
    pub scenario: u16,
    /// Its name.
    pub name: String,
    /// Its statistics.
    #[serde(flatten)]
    pub stats: StatsIn,
}

/// Failures of one row with one message.
#[derive(Debug, Deserialize)]
pub struct FailureIn {
    /// The row's scenario.
    pub scenario: u16,
    /// The row's method.
    pub method: String,
    /// The row's name.
    pub name: String,
    /// What the failures said.
    pub message: String,
    /// How often.
    pub occurrences: u64,
}

/// One exception message.
#[derive(Debug, Deserialize)]
pub struct ExceptionIn {
    /// What it said.
    pub message: String,
    /// How often.
    pub count: u64,
}

/// One named check.
#[derive(Debug, Deserialize)]
pub struct CheckIn {
    /// Its name.
    pub name: String,
    /// Passes.
    pub passes: u64,
    /// Fails.
    pub fails: u64,
}

/// CPU and memory of a shard.
#[derive(Debug, Deserialize)]
pub struct CpuIn {
    /// Seconds of guest code per scenario.
    pub guest_seconds: Vec<f64>,
    /// The shard's busiest second, as a share of its cores.
    pub generator_peak: f64,
    /// The most memory the shard held resident, in bytes.
    pub generator_peak_rss_bytes: u64,
}

impl SummaryFile {
    /// Reads a summary, or says in one line why it cannot be one.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let summary: SummaryIn = serde_json::from_str(&text).map_err(|err| {
            anyhow!(
                "{} is not a wasmload JSON summary of this version ({err}): write it with `wasmload run … --json FILE`",
                path.display()
            )
        })?;
        if summary.schema != SCHEMA_ID {
            bail!(
                "{} follows {}, not {SCHEMA_ID}",
                path.display(),
                summary.schema
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
            summary,
        })
    }
}

impl StatsIn {
    /// The row, rebuilt with its histogram.
    pub fn to_stats(&self) -> anyhow::Result<RequestStats> {
        let counts = RowCounts {
            count: self.count,
            failures: self.failures,
            cancelled: self.cancelled,
            bytes: self.bytes,
            sum_us: self.sum_us,
            min_us: micros(self.min_ms),
            max_us: micros(self.max_ms),
        };
        Ok(RequestStats::from_parts(
            counts,
            decode_histogram(&self.hdr_histogram)?,
        ))
    }
}

/// A histogram from base64 of its V2 compressed encoding.
pub fn decode_histogram(encoded: &str) -> anyhow::Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .context("a histogram is not base64")?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|err| anyhow!("a histogram cannot be decoded: {err:?}"))
}

/// Milliseconds (as the summary writes a whole number of microseconds) back to microseconds.
fn micros(ms: f64) -> u64 {
    (ms * 1000.0).round().max(0.0) as u64
}

/// What did not get a row of its own because `--max-rows` names were taken.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PastTheCapIn {
    /// Requests counted under the overflow row.
    pub requests: u64,
    /// The first of their names.
    pub request_names: Vec<String>,
    /// Custom-metric values not kept.
    pub metric_values: u64,
    /// The first of their names.
    pub metric_names: Vec<String>,
}
