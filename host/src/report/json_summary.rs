//! `--json FILE`: the whole run as JSON, described by `host/schemas/summary-v1.schema.json`.
//! Every histogram is included (HdrHistogram V2 compressed, base64), so later tools can merge
//! runs and shards exactly.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::custom_metrics::{self, MetricEntry};
use super::summary_in::LibraryIn;
use super::{ReportRow, RunReport, LOCUST_PERCENTILES};
use crate::metrics::{ms, RequestStats, TimePoint};
use crate::scheduler::{RunOutcome, StopReason};
use crate::thresholds::Verdict;

/// The schema the summary follows; bumped when a field changes meaning or goes away.
pub const SCHEMA_ID: &str = "https://wasmload.dev/schemas/summary-v1.schema.json";

/// The run parameters the summary records.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryConfig {
    /// `closed` or `open`.
    pub model: &'static str,
    /// `--run-time`, in seconds.
    pub run_time_s: Option<f64>,
    /// `--iterations`.
    pub iterations: Option<u64>,
    /// The thresholds, as given.
    pub thresholds: Vec<String>,
    /// Scenario weights, in scenario order.
    pub weights: Vec<u32>,
    /// `--connections`: `per-user`, `shared` or `per-iteration`.
    pub connections: &'static str,
    /// `--insecure`.
    pub insecure: bool,
    /// `--shard`: which part of the run this process made.
    pub shard: ShardEntry,
    /// `--vu-memory`, in bytes.
    pub vu_memory_bytes: usize,
    /// `--run-id`: the run's name, the same in every shard.
    pub run_id: Option<String>,
}

/// Shard `index` of `count`, as the summary records it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ShardEntry {
    /// This shard, from 0.
    pub index: u32,
    /// The run's shards.
    pub count: u32,
}

/// The entry of one scenario.
#[derive(Serialize)]
struct ScenarioEntry<'a> {
    file: &'a str,
    user: &'a str,
    weight: u32,
    users_started: Option<u32>,
    /// Linear memories each of its users has.
    memories: u32,
    /// SHA-256 of the component file, in hex.
    sha256: &'a str,
    /// The libraries linked into it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    libraries: &'a [LibraryIn],
}

#[derive(Serialize)]
struct Summary<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    wasmload_version: &'static str,
    scenarios: Vec<ScenarioEntry<'a>>,
    host: &'a str,
    seed: u64,
    config: &'a SummaryConfig,
    outcome: Outcome,
    requests: Vec<RowEntry<'a>>,
    /// How long each group took.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<GroupEntry<'a>>,
    aggregated: Stats,
    failures: Vec<FailureEntry<'a>>,
    exceptions: Vec<ExceptionEntry<'a>>,
    checks: Vec<CheckEntry<'a>>,
    /// The scenario's own metrics.
    metrics: Vec<MetricEntry>,
    /// Names past `--max-rows`, when there were any.
    #[serde(skip_serializing_if = "Option::is_none")]
    past_the_cap: Option<PastTheCap<'a>>,
    thresholds: &'a [Verdict],
    start_lateness: Option<Stats>,
    timeline: &'a [TimePoint],
    cpu: Cpu,
}

/// What did not get a row of its own because `--max-rows` names were taken: requests
/// counted under the overflow row, custom-metric values not kept, and the first such names.
#[derive(Serialize)]
struct PastTheCap<'a> {
    requests: u64,
    request_names: &'a [String],
    metric_values: u64,
    metric_names: &'a [String],
}

#[derive(Serialize)]
struct Cpu {
    /// Seconds of guest code per scenario, in scenario order.
    guest_seconds: Vec<f64>,
    /// wasmload's busiest second, as a share of the cores it may use.
    generator_peak: f64,
    /// The most memory wasmload held resident, in bytes.
    generator_peak_rss_bytes: u64,
}

/// How the run went, as the summary records it.
#[derive(Debug, Serialize)]
pub struct Outcome {
    reason: &'static str,
    elapsed_s: f64,
    users_spawned: u32,
    peak_users: u32,
    iterations: u64,
    dropped_iterations: u64,
    users_cancelled: usize,
    tasks_cut_short: u64,
}

#[derive(Serialize)]
struct RowEntry<'a> {
    scenario: u16,
    method: &'a str,
    name: &'a str,
    #[serde(flatten)]
    stats: Stats,
    /// Response time from the intended start (open model only).
    response: Option<Stats>,
    /// The groups its requests were sent in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<&'a str>,
}

/// A group's durations, as a row.
#[derive(Serialize)]
struct GroupEntry<'a> {
    scenario: u16,
    name: &'a str,
    #[serde(flatten)]
    stats: Stats,
}

/// Counts, latency statistics in milliseconds, and the exact histogram.
#[derive(Serialize)]
struct Stats {
    count: u64,
    failures: u64,
    cancelled: u64,
    bytes: u64,
    rps: f64,
    failures_per_s: f64,
    avg_ms: f64,
    /// The sum of the measured latencies, in microseconds, for an exact mean after a merge.
    sum_us: u64,
    min_ms: f64,
    max_ms: f64,
    percentiles_ms: BTreeMap<String, f64>,
    /// Base64 of the HdrHistogram V2 compressed encoding, values in microseconds.
    hdr_histogram: String,
}

#[derive(Serialize)]
struct FailureEntry<'a> {
    scenario: u16,
    method: &'a str,
    name: &'a str,
    message: &'a str,
    occurrences: u64,
}

#[derive(Serialize)]
struct ExceptionEntry<'a> {
    message: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct CheckEntry<'a> {
    name: &'a str,
    passes: u64,
    fails: u64,
}

/// Writes the summary of `report` to `path`.
pub fn write(
    path: &Path,
    report: &RunReport<'_>,
    config: &SummaryConfig,
    verdicts: &[Verdict],
) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&summary(report, config, verdicts)?)?;
    std::fs::write(path, text + "\n")?;
    Ok(())
}

fn summary<'a>(
    report: &'a RunReport<'a>,
    config: &'a SummaryConfig,
    verdicts: &'a [Verdict],
) -> anyhow::Result<Summary<'a>> {
    let stats = report.stats;
    let (requests, aggregated) = request_entries(report)?;
    let lateness = &stats.start_lateness;
    let start_lateness = (lateness.count > 0)
        .then(|| stats_of(lateness, report.per_second(lateness.count), 0.0))
        .transpose()?;
    Ok(Summary {
        schema: SCHEMA_ID,
        wasmload_version: env!("CARGO_PKG_VERSION"),
        scenarios: scenario_entries(report, config),
        host: report.host,
        seed: report.seed,
        config,
        outcome: outcome_entry(&report.outcome, stats.total_tasks_cut_short()),
        requests,
        groups: report
            .stats
            .groups
            .iter()
            .map(|(key, row)| {
                Ok(GroupEntry {
                    scenario: key.scenario,
                    name: &key.name,
                    stats: stats_of(row, report.per_second(row.count), 0.0)?,
                })
            })
            .collect::<anyhow::Result<_>>()?,
        aggregated,
        failures: stats
            .failures
            .iter()
            .map(|(key, &occurrences)| FailureEntry {
                scenario: key.scenario,
                method: &key.method,
                name: &key.name,
                message: &key.message,
                occurrences,
            })
            .collect(),
        exceptions: stats
            .exceptions
            .iter()
            .map(|(message, &count)| ExceptionEntry { message, count })
            .collect(),
        checks: stats
            .checks
            .iter()
            .map(|(name, count)| CheckEntry {
                name,
                passes: count.passed,
                fails: count.failed,
            })
            .collect(),
        metrics: custom_metrics::entries(&stats.custom, report.outcome.elapsed)?,
        past_the_cap: (stats.overflow.requests > 0 || stats.custom.dropped.requests > 0).then(
            || PastTheCap {
                requests: stats.overflow.requests,
                request_names: &stats.overflow.examples,
                metric_values: stats.custom.dropped.requests,
                metric_names: &stats.custom.dropped.examples,
            },
        ),
        thresholds: verdicts,
        start_lateness,
        timeline: stats.timeline.points(),
        cpu: cpu_entry(report),
    })
}

/// The request rows, then the Aggregated row.
fn request_entries<'a>(report: &'a RunReport<'a>) -> anyhow::Result<(Vec<RowEntry<'a>>, Stats)> {
    let mut rows = report.rows();
    let aggregated = match rows.pop() {
        Some(total) => row_stats(&total)?,
        None => stats_of(report.stats.total(), 0.0, 0.0)?,
    };
    let requests = rows
        .iter()
        .filter_map(|row| Some((row.key?, row)))
        .map(|(key, row)| {
            Ok(RowEntry {
                scenario: key.scenario,
                method: &key.method,
                name: &key.name,
                stats: row_stats(row)?,
                response: row
                    .stats
                    .response()
                    .map(|response| stats_of(response, row.rps, row.failures_per_s))
                    .transpose()?,
                groups: report
                    .stats
                    .row_groups
                    .get(key)
                    .map(|groups| groups.iter().map(String::as_str).collect())
                    .unwrap_or_default(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((requests, aggregated))
}

fn scenario_entries<'a>(
    report: &'a RunReport<'a>,
    config: &SummaryConfig,
) -> Vec<ScenarioEntry<'a>> {
    report
        .scenarios
        .iter()
        .enumerate()
        .map(|(index, label)| ScenarioEntry {
            file: &label.file,
            user: &label.user,
            weight: config.weights.get(index).copied().unwrap_or(1),
            users_started: (!report.outcome.open_model)
                .then(|| report.users_by_scenario.get(index).copied())
                .flatten(),
            memories: label.memories,
            sha256: &label.sha256,
            libraries: &label.libraries,
        })
        .collect()
}

/// The summary's record of `outcome`, with `tasks_cut_short` tasks cut short.
pub fn outcome_entry(outcome: &RunOutcome, tasks_cut_short: u64) -> Outcome {
    Outcome {
        reason: reason_name(outcome.reason),
        elapsed_s: outcome.elapsed.as_secs_f64(),
        users_spawned: outcome.users_spawned,
        peak_users: outcome.peak_users,
        iterations: outcome.iterations,
        dropped_iterations: outcome.dropped_iterations,
        users_cancelled: outcome.users_cancelled,
        tasks_cut_short,
    }
}

fn cpu_entry(report: &RunReport<'_>) -> Cpu {
    let guest_seconds = (0..report.scenarios.len())
        .map(|index| {
            let scenario = u16::try_from(index).unwrap_or(u16::MAX);
            let micros = report.stats.guest_time_us.get(&scenario).copied();
            micros.unwrap_or(0) as f64 / 1e6
        })
        .collect();
    Cpu {
        guest_seconds,
        generator_peak: report.stats.generator_cpu_peak,
        generator_peak_rss_bytes: report.stats.generator_peak_rss,
    }
}

/// The entry of a report row.
fn row_stats(row: &ReportRow<'_>) -> anyhow::Result<Stats> {
    stats_of(&row.stats, row.rps, row.failures_per_s)
}

/// The entry of a distribution whose rates the report already computed.
fn stats_of(row: &RequestStats, rps: f64, failures_per_s: f64) -> anyhow::Result<Stats> {
    Ok(Stats {
        count: row.count,
        failures: row.failures,
        cancelled: row.cancelled,
        bytes: row.bytes,
        rps,
        failures_per_s,
        avg_ms: ms(row.mean()),
        sum_us: row.sum_us(),
        min_ms: ms(row.min()),
        max_ms: ms(row.max()),
        percentiles_ms: LOCUST_PERCENTILES
            .iter()
            .map(|&p| (format!("{p}"), ms(row.percentile(p))))
            .collect(),
        hdr_histogram: row.encode_histogram()?,
    })
}

/// The stop reason a summary names, back; `None` for a name this version does not write.
pub fn reason_from_name(name: &str) -> Option<StopReason> {
    StopReason::ALL
        .into_iter()
        .find(|&reason| reason_name(reason) == name)
}

fn reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::TimeUp => "time_up",
        StopReason::Completed => "completed",
        StopReason::ShapeEnded => "shape_ended",
        StopReason::Aborted => "aborted",
        StopReason::Stopped => "stopped",
        StopReason::Interrupted => "interrupted",
        StopReason::DataExhausted => "data_exhausted",
        StopReason::MemoryLow => "memory_low",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::Histogram;

    #[test]
    fn histograms_round_trip_exactly() {
        let mut row = RequestStats::new().expect("a valid layout");
        for latency in [120, 4_500, 4_500, 88_000, 2_000_000] {
            row.record(latency, 0, false);
        }
        let encoded = row.encode_histogram().expect("encodes");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        let decoded: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .expect("a V2 histogram");
        assert_eq!(&decoded, &*row.histogram().expect("a histogram"));
        assert_eq!(decoded.len(), 5);
    }

    #[test]
    fn every_stop_reason_a_summary_names_reads_back() {
        for reason in StopReason::ALL {
            assert_eq!(reason_from_name(reason_name(reason)), Some(reason));
        }
        assert_eq!(reason_name(StopReason::MemoryLow), "memory_low");
    }
}
