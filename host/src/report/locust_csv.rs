//! `--csv PREFIX`: Locust's four CSV files, with Locust's column names and order, so tools
//! that read Locust's CSVs read these.

use std::path::{Path, PathBuf};

use csv::Writer;

use super::{percentile_label, ReportRow, RunReport, LOCUST_PERCENTILES};
use crate::metrics::{ms, RequestStats};

/// Locust's percentile columns, shared by the stats and history files.
fn percentile_columns() -> impl Iterator<Item = String> {
    LOCUST_PERCENTILES.into_iter().map(percentile_label)
}

/// Columns of `PREFIX_stats.csv`.
fn stats_columns() -> Vec<String> {
    let mut columns: Vec<String> = [
        "Type",
        "Name",
        "Request Count",
        "Failure Count",
        "Median Response Time",
        "Average Response Time",
        "Min Response Time",
        "Max Response Time",
        "Average Content Size",
        "Requests/s",
        "Failures/s",
    ]
    .map(String::from)
    .into();
    columns.extend(percentile_columns());
    columns
}

/// Columns of `PREFIX_stats_history.csv`.
fn history_columns() -> Vec<String> {
    let mut columns: Vec<String> = [
        "Timestamp",
        "User Count",
        "Type",
        "Name",
        "Requests/s",
        "Failures/s",
    ]
    .map(String::from)
    .into();
    columns.extend(percentile_columns());
    columns.extend(
        [
            "Total Request Count",
            "Total Failure Count",
            "Total Median Response Time",
            "Total Average Response Time",
            "Total Min Response Time",
            "Total Max Response Time",
            "Total Average Content Size",
        ]
        .map(String::from),
    );
    columns
}

/// Columns of `PREFIX_failures.csv`.
const FAILURES_COLUMNS: [&str; 4] = ["Method", "Name", "Error", "Occurrences"];

/// Columns of `PREFIX_exceptions.csv`.
const EXCEPTIONS_COLUMNS: [&str; 4] = ["Count", "Message", "Traceback", "Nodes"];

/// A CSV writer with Python's `csv` defaults, which Locust writes with: `\r\n` line ends.
fn writer(path: &Path) -> csv::Result<Writer<std::fs::File>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_path(path)
}

/// The four files `--csv PREFIX` writes: stats, stats history, failures, exceptions.
pub fn files(prefix: &Path) -> [PathBuf; 4] {
    [
        "_stats.csv",
        "_stats_history.csv",
        "_failures.csv",
        "_exceptions.csv",
    ]
    .map(|suffix| suffixed(prefix, suffix))
}

/// `prefix` with `suffix` after its file name (`out/run` + `_stats.csv`).
fn suffixed(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes the four files next to `prefix` and returns their paths.
pub fn write(prefix: &Path, report: &RunReport<'_>) -> anyhow::Result<Vec<PathBuf>> {
    let files = files(prefix);
    stats(&files[0], report)?;
    history(&files[1], report)?;
    failures(&files[2], report)?;
    exceptions(&files[3], report)?;
    let mut written = files.to_vec();
    if !report.stats.custom.is_empty() {
        let metrics = suffixed(prefix, "_metrics.csv");
        custom_metrics(&metrics, report)?;
        written.push(metrics);
    }
    Ok(written)
}

/// `PREFIX_metrics.csv`: the scenario's own metrics, written only when it recorded some.
fn custom_metrics(path: &Path, report: &RunReport<'_>) -> anyhow::Result<()> {
    let entries = super::custom_metrics::entries(&report.stats.custom, report.outcome.elapsed)?;
    let mut out = writer(path)?;
    for record in super::custom_metrics::csv_records(&entries) {
        out.write_record(record)?;
    }
    out.flush()?;
    Ok(())
}

fn stats(path: &Path, report: &RunReport<'_>) -> anyhow::Result<()> {
    let mut out = writer(path)?;
    out.write_record(stats_columns())?;
    for row in report.rows() {
        out.write_record(stats_record(&row))?;
    }
    out.flush()?;
    Ok(())
}

fn stats_record(shown: &ReportRow<'_>) -> Vec<String> {
    let row = &shown.stats;
    let mut record = vec![
        shown.method.to_string(),
        shown.name.clone(),
        row.count.to_string(),
        row.failures.to_string(),
        whole_ms(row, 50.0),
        format!("{:.2}", ms(row.mean())),
        format!("{:.2}", ms(row.min())),
        format!("{:.2}", ms(row.max())),
        row.mean_bytes().to_string(),
        format!("{:.6}", shown.rps),
        format!("{:.6}", shown.failures_per_s),
    ];
    record.extend(percentiles(row));
    record
}

/// Locust writes percentiles as whole milliseconds, or `N/A` for a row without requests (here
/// also one whose every request the run's stop cut off: they have no latency).
fn percentiles(row: &RequestStats) -> Vec<String> {
    LOCUST_PERCENTILES
        .iter()
        .map(|&p| whole_ms(row, p))
        .collect()
}

fn whole_ms(row: &RequestStats, percentile: f64) -> String {
    if row.measured() == 0 {
        "N/A".to_string()
    } else {
        format!("{:.0}", ms(row.percentile(percentile)))
    }
}

fn history(path: &Path, report: &RunReport<'_>) -> anyhow::Result<()> {
    let mut out = writer(path)?;
    out.write_record(history_columns())?;
    for point in report.stats.timeline.points() {
        let mut record = vec![
            point.unix_time.to_string(),
            point.users.to_string(),
            String::new(),
            "Aggregated".to_string(),
            format!("{:.6}", point.rps),
            format!("{:.6}", point.failures_per_s),
        ];
        record.extend(point.total_percentiles_ms.iter().map(|&value| {
            if point.total_requests == 0 {
                "N/A".to_string()
            } else {
                format!("{value:.0}")
            }
        }));
        record.extend([
            point.total_requests.to_string(),
            point.total_failures.to_string(),
            format!("{:.0}", point.total_percentiles_ms.first().unwrap_or(&0.0)),
            format!("{:.2}", point.total_avg_ms),
            format!("{:.2}", point.total_min_ms),
            format!("{:.2}", point.total_max_ms),
            point.total_avg_bytes.to_string(),
        ]);
        out.write_record(record)?;
    }
    out.flush()?;
    Ok(())
}

fn failures(path: &Path, report: &RunReport<'_>) -> anyhow::Result<()> {
    let mut out = writer(path)?;
    out.write_record(FAILURES_COLUMNS)?;
    for (key, count) in &report.stats.failures {
        out.write_record([
            key.method.to_string(),
            report.row_name(key.scenario, &key.name),
            key.message.clone(),
            count.to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

fn exceptions(path: &Path, report: &RunReport<'_>) -> anyhow::Result<()> {
    let mut out = writer(path)?;
    out.write_record(EXCEPTIONS_COLUMNS)?;
    for (message, count) in &report.stats.exceptions {
        out.write_record([
            count.to_string(),
            message.clone(),
            String::new(),
            "local".into(),
        ])?;
    }
    out.flush()?;
    Ok(())
}
