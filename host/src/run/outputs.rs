//! The files a run writes at its end (`--csv`, `--json`, `--html`, `--junit`), also when it was
//! interrupted; a file that cannot be written is named in one line.

use std::path::PathBuf;

use anyhow::anyhow;

use crate::config::{Outputs, RunConfig};
use crate::error::Failure;
use crate::plan::ConnectionMode;
use crate::report::json_summary::{ShardEntry, SummaryConfig};
use crate::report::{self, RunReport};
use crate::thresholds::Verdict;

/// Writes the files `outputs` asks for; `summary` is what the JSON summary records of the
/// run's parameters.
pub fn write(
    outputs: &Outputs,
    summary: &SummaryConfig,
    report: &RunReport<'_>,
    verdicts: &[Verdict],
) -> Result<(), Failure> {
    let unwritable = |what: &str, err: anyhow::Error| {
        Failure::bad_input(anyhow!("cannot write the {what}: {err:#}"))
    };
    if let Some(prefix) = &outputs.csv {
        let files = report::locust_csv::write(prefix, report)
            .map_err(|err| unwritable("CSV files", err))?;
        tracing::info!("wrote {}", display_paths(&files));
    }
    if let Some(path) = &outputs.json {
        report::json_summary::write(path, report, summary, verdicts)
            .map_err(|err| unwritable("JSON summary", err))?;
        tracing::info!("wrote {}", path.display());
    }
    if let Some(path) = &outputs.html {
        report::html::write(path, report, verdicts)
            .map_err(|err| unwritable("HTML report", err))?;
        tracing::info!("wrote {}", path.display());
    }
    if let Some(path) = &outputs.junit {
        report::junit::write(path, report, verdicts)
            .map_err(|err| unwritable("JUnit report", err))?;
        tracing::info!("wrote {}", path.display());
    }
    Ok(())
}

/// What the JSON summary records of `config`; `weights` are the scenarios' weights.
pub fn summary_config(config: &RunConfig, weights: &[u32]) -> SummaryConfig {
    SummaryConfig {
        model: config.model.name(),
        run_time_s: config.run_time.map(|run_time| run_time.as_secs_f64()),
        iterations: config.iterations,
        thresholds: config.thresholds.iter().map(ToString::to_string).collect(),
        weights: weights.to_vec(),
        connections: match config.broker.connections {
            ConnectionMode::PerUser => "per-user",
            ConnectionMode::Shared => "shared",
            ConnectionMode::PerIteration => "per-iteration",
        },
        insecure: config.broker.tls.insecure,
        shard: ShardEntry {
            index: config.shard.index,
            count: config.shard.count,
        },
        vu_memory_bytes: config.vu.vu_memory,
        run_id: config.run_id.clone(),
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
