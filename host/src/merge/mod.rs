//! `wasmload merge`: the JSON summaries of a run's shards added into the report of the whole
//! run — histograms bucket for bucket, counters summed, the time series lined up by absolute
//! second — with the thresholds judged once, on the merged result.

pub mod check;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;

use crate::config::Outputs;
use crate::error::{Failure, EXIT_OK};
use crate::metrics::RunStats;
use crate::plan::{Shard, Threshold};
use crate::report::json_summary::{reason_from_name, ShardEntry, SummaryConfig};
use crate::report::summary_in::{ConfigIn, OutcomeIn, ScenarioIn, SummaryFile};
use crate::report::{self, RunReport, ScenarioLabel};
use crate::run::{outputs, run_exit_code};
use crate::scheduler::{CancelCause, RunOutcome, StopReason};
use crate::thresholds;
use check::RunIdentity;

/// What `wasmload merge` was asked for.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The shards' summaries, in any order.
    pub summaries: Vec<PathBuf>,
    /// Thresholds to judge the merged run by; the run's own (from the summaries) when empty.
    pub thresholds: Vec<Threshold>,
    /// Files to write.
    pub outputs: Outputs,
    /// Exit code when requests failed (else 1, or 0 with thresholds).
    pub exit_code_on_error: Option<u8>,
}

/// Merges the summaries, prints the report and writes the files asked for; returns the exit
/// code a run with these results would have.
pub fn merge(options: &MergeOptions) -> Result<u8, Failure> {
    let files = options
        .summaries
        .iter()
        .map(|path| SummaryFile::read(path).map_err(Failure::bad_input))
        .collect::<Result<Vec<_>, _>>()?;
    let first = check::one_whole_run(&files).map_err(Failure::bad_input)?;
    let stats = stats::merged(&files).map_err(Failure::bad_input)?;
    let outcomes: Vec<&OutcomeIn> = files.iter().map(|file| &file.summary.outcome).collect();
    let outcome = merged_outcome(&outcomes, first.config.model == "open");
    let thresholds = thresholds_of(&options.thresholds, &first.config)?;
    let users = user_names(&first.scenarios);
    let verdicts = thresholds::evaluate(&thresholds, &stats, outcome.elapsed, &users);
    let labels = labels_of(&first.scenarios);
    let started: Vec<Vec<u32>> = files
        .iter()
        .map(|file| {
            let scenarios = &file.summary.scenarios;
            scenarios
                .iter()
                .map(|s| s.users_started.unwrap_or(0))
                .collect()
        })
        .collect();
    let users_by_scenario = added_up(labels.len(), &started);
    let run = RunIdentity::of(first);
    let report = whole_run_report(&labels, &users_by_scenario, run, outcome, &stats);
    println!(
        "merged the {} shards of one run: {}",
        files.len(),
        files
            .iter()
            .map(|file| file.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    print!("{}", report::render(&report));
    print!("{}", report::render_verdicts(&verdicts));
    let iterations = files
        .iter()
        .map(|file| file.summary.config.iterations)
        .sum();
    let summary = whole_run_config(&first.config, iterations, &thresholds);
    outputs::write(&options.outputs, &summary, &report, &verdicts)?;
    Ok(exit_code(
        any_ran_low(&outcomes),
        &verdicts,
        &stats,
        options.exit_code_on_error,
        thresholds.is_empty(),
    ))
}

/// Whether any shard stopped because its memory ran low.
pub fn any_ran_low(outcomes: &[&OutcomeIn]) -> bool {
    outcomes
        .iter()
        .any(|outcome| reason_from_name(&outcome.reason) == Some(StopReason::MemoryLow))
}

/// The exit code of a whole run with these `verdicts` and `stats`: 2 when a shard's memory
/// ran low (a limit of the machine); else `on_error` is `--exit-code-on-error`, and without
/// thresholds failed requests exit with 1.
pub fn exit_code(
    memory_ran_low: bool,
    verdicts: &[thresholds::Verdict],
    stats: &crate::metrics::RunStats,
    on_error: Option<u8>,
    no_thresholds: bool,
) -> u8 {
    let on_error = match (on_error, no_thresholds) {
        (Some(code), _) => code,
        (None, true) => crate::error::EXIT_REQUEST_FAILURES,
        (None, false) => EXIT_OK,
    };
    run_exit_code(memory_ran_low, verdicts, stats, on_error)
}

/// Users started of each of `scenarios` scenarios, the shards' lists added up.
pub fn added_up(scenarios: usize, shards: &[Vec<u32>]) -> Vec<u32> {
    (0..scenarios)
        .map(|index| shards.iter().filter_map(|users| users.get(index)).sum())
        .collect()
}

/// The report of the whole run whose shards say `run` of themselves.
pub fn whole_run_report<'a>(
    labels: &'a [ScenarioLabel],
    users_by_scenario: &'a [u32],
    run: RunIdentity<'a>,
    outcome: RunOutcome,
    stats: &'a RunStats,
) -> RunReport<'a> {
    RunReport {
        scenarios: labels,
        users_by_scenario,
        host: run.host,
        host_from: None,
        seed: run.seed,
        shard: Shard::WHOLE,
        insecure: run.config.insecure,
        vu_memory: run.config.vu_memory_bytes,
        outcome,
        stats,
    }
}

/// The scenarios' user names, in order, as thresholds take them.
pub fn user_names(scenarios: &[ScenarioIn]) -> Vec<String> {
    scenarios
        .iter()
        .map(|scenario| scenario.user.clone())
        .collect()
}

/// The report's labels of the run's scenarios.
pub fn labels_of(scenarios: &[ScenarioIn]) -> Vec<ScenarioLabel> {
    scenarios
        .iter()
        .map(|scenario| ScenarioLabel {
            file: scenario.file.clone(),
            user: scenario.user.clone(),
            memories: scenario.memories,
            libraries: scenario.libraries.clone(),
            sha256: scenario.sha256.clone(),
        })
        .collect()
}

/// `given` thresholds, else the run's own, as its shards recorded them.
pub fn thresholds_of(given: &[Threshold], config: &ConfigIn) -> Result<Vec<Threshold>, Failure> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    config
        .thresholds
        .iter()
        .map(|text| text.parse::<Threshold>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| Failure::bad_input(anyhow!("a summary's threshold: {err}")))
}

/// What the merged summary records of the run's parameters: the whole run's (one shard of
/// one, all the `iterations`), as a shard's `first` config has them.
pub fn whole_run_config(
    first: &ConfigIn,
    iterations: Option<u64>,
    thresholds: &[Threshold],
) -> SummaryConfig {
    SummaryConfig {
        model: if first.model == "open" {
            "open"
        } else {
            "closed"
        },
        run_time_s: first.run_time_s,
        iterations,
        thresholds: thresholds.iter().map(ToString::to_string).collect(),
        weights: first.weights.clone(),
        connections: connections_name(&first.connections),
        insecure: first.insecure,
        shard: ShardEntry { index: 0, count: 1 },
        vu_memory_bytes: first.vu_memory_bytes,
        run_id: first.run_id.clone(),
    }
}

/// The whole run's outcome: the shards' counts added up, its length the longest shard's,
/// and the gravest reason any shard stopped for.
pub fn merged_outcome(outcomes: &[&OutcomeIn], open_model: bool) -> RunOutcome {
    let total = |count: fn(&OutcomeIn) -> u64| outcomes.iter().map(|o| count(o)).sum::<u64>();
    RunOutcome {
        reason: outcomes
            .iter()
            .filter_map(|outcome| reason_from_name(&outcome.reason))
            .max_by_key(|&reason| gravity(reason))
            .unwrap_or_default(),
        elapsed: Duration::try_from_secs_f64(
            outcomes.iter().map(|o| o.elapsed_s).fold(0.0, f64::max),
        )
        .unwrap_or_default(),
        users_spawned: outcomes.iter().map(|o| o.users_spawned).sum(),
        peak_users: outcomes.iter().map(|o| o.peak_users).sum(),
        iterations: total(|o| o.iterations),
        dropped_iterations: total(|o| o.dropped_iterations),
        users_cancelled: outcomes.iter().map(|o| o.users_cancelled).sum(),
        cancelled_by: CancelCause::Unknown,
        open_model,
        warm_up: Duration::ZERO,
    }
}

/// How much a stop reason says about the run: an interruption over memory running low over
/// an abort over a stop over the run's own end.
fn gravity(reason: StopReason) -> u8 {
    match reason {
        StopReason::Completed => 0,
        StopReason::ShapeEnded => 1,
        StopReason::TimeUp | StopReason::DataExhausted => 2,
        StopReason::Stopped => 3,
        StopReason::Aborted => 4,
        StopReason::MemoryLow => 5,
        StopReason::Interrupted => 6,
    }
}

fn connections_name(name: &str) -> &'static str {
    match name {
        "shared" => "shared",
        "per-iteration" => "per-iteration",
        _ => "per-user",
    }
}
