//! The files a run writes at its end (`--csv`, `--json`, `--html`, `--junit`), also when it was
//! interrupted; a file that cannot be written is named in one line.

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::config::{Outputs, RunConfig};
use crate::error::Failure;
use crate::plan::ConnectionMode;
use crate::report::json_summary::{ShardEntry, SummaryConfig};
use crate::report::{self, RunReport};
use crate::thresholds::Verdict;

/// Checks, before a run, that every file `outputs` asks for can be written where it is meant
/// to go, so a typo in a path costs a line, not the run's results.
pub fn check(outputs: &Outputs) -> Result<(), Failure> {
    let csv = outputs
        .csv
        .iter()
        .flat_map(|prefix| report::locust_csv::files(prefix));
    let files = csv
        .map(|path| ("--csv", path))
        .chain(outputs.json.clone().map(|path| ("--json", path)))
        .chain(outputs.html.clone().map(|path| ("--html", path)))
        .chain(outputs.junit.clone().map(|path| ("--junit", path)));
    for (flag, path) in files {
        writable(&path)
            .map_err(|why| Failure::bad_input(anyhow!("{flag} {}: {why}", path.display())))?;
    }
    Ok(())
}

/// Why `path` cannot be written, if it cannot: it is a directory, an existing file that will
/// not open for writing, or a new file in a directory that is missing or refuses new files.
fn writable(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err("is a directory; give a file name".into());
    }
    if path.exists() {
        // Opened to append, so nothing in it changes (`/dev/stdout` and pipes work too).
        return std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|err| format!("cannot be written: {err}"));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!(
            "the directory {} does not exist; create it first",
            dir.display()
        ));
    }
    // A file of our own in that directory, removed at once, shows that files can be made
    // there; named for this process and this instant, so runs sharing a directory differ.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let probe = dir.join(format!(
        ".wasmload-write-check-{}-{stamp}",
        std::process::id()
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|err| format!("cannot create files in {}: {err}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes the files `outputs` asks for; `summary` is what the JSON summary records of the
/// run's parameters. A file that cannot be written does not keep the others from being
/// written; each that failed is named.
pub fn write(
    outputs: &Outputs,
    summary: &SummaryConfig,
    report: &RunReport<'_>,
    verdicts: &[Verdict],
) -> Result<(), Failure> {
    let mut failed = Vec::new();
    let mut written = |what: &str, path: &Path, result: anyhow::Result<Vec<PathBuf>>| match result {
        Ok(files) => tracing::info!("wrote {}", display_paths(&files)),
        Err(err) => failed.push(format!(
            "cannot write the {what} {}: {err:#}",
            path.display()
        )),
    };
    if let Some(prefix) = &outputs.csv {
        written(
            "CSV files",
            prefix,
            report::locust_csv::write(prefix, report),
        );
    }
    if let Some(path) = &outputs.json {
        let result = report::json_summary::write(path, report, summary, verdicts);
        written("JSON summary", path, result.map(|()| vec![path.clone()]));
    }
    if let Some(path) = &outputs.html {
        let result = report::html::write(path, report, verdicts);
        written("HTML report", path, result.map(|()| vec![path.clone()]));
    }
    if let Some(path) = &outputs.junit {
        let result = report::junit::write(path, report, verdicts);
        written("JUnit report", path, result.map(|()| vec![path.clone()]));
    }
    match failed.is_empty() {
        true => Ok(()),
        false => Err(Failure::bad_input(anyhow!(failed.join("; ")))),
    }
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
