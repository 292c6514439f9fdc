//! Files written at the end of a run: Locust's CSVs with Locust's exact headers, and a JSON
//! summary that validates against the checked-in schema and agrees with the CSVs.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::Digest as _;

use crate::support::{guest, run_all_status_endpoints, scratch_dir, workspace};

/// Locust's documented CSV headers (locust/stats.py: `StatsCSV`, `StatsCSVFileWriter`).
const LOCUST_STATS: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
const LOCUST_HISTORY: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";
const LOCUST_FAILURES: &str = "Method,Name,Error,Occurrences";
const LOCUST_EXCEPTIONS: &str = "Count,Message,Traceback,Nodes";

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .records()
        .map(|row| row.expect("a CSV row"))
        .collect()
}

/// The first line of the file, with its line end.
fn header(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a CSV file");
    match text.find('\n') {
        Some(end) => text[..=end].to_string(),
        None => text,
    }
}

/// The time series' seconds count every request the run measured once.
fn assert_every_measured_request_is_in_one_second(summary: &serde_json::Value, total: u64) {
    let seconds = summary["timeline"].as_array().expect("a timeline");
    let by_second: u64 = seconds.iter().filter_map(|p| p["requests"].as_u64()).sum();
    let cancelled = summary["aggregated"]["cancelled"]
        .as_u64()
        .expect("cancelled");
    assert_eq!(
        by_second + cancelled,
        total,
        "every measured request is in one second"
    );
}

/// Checks the summary against `host/schemas/summary-v1.schema.json`.
pub fn assert_follows_the_schema(summary: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("host/schemas/summary-v1.schema.json"))
            .expect("the schema"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(summary)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

/// The summary's request counts by (method, name).
fn json_row_counts(summary: &serde_json::Value) -> BTreeMap<(String, String), u64> {
    summary["requests"]
        .as_array()
        .expect("request rows")
        .iter()
        .map(|row| {
            let key = (
                row["method"].as_str().unwrap_or_default().to_string(),
                row["name"].as_str().unwrap_or_default().to_string(),
            );
            (key, row["count"].as_u64().unwrap_or_default())
        })
        .collect()
}

#[tokio::test]
async fn csv_and_json_agree_and_follow_their_formats() {
    let out = scratch_dir("outputs");
    let prefix = out.join("run").display().to_string();
    let json_path = out.join("run.json");
    let json_arg = json_path.display().to_string();
    let (run, served) = run_all_status_endpoints(&[
        "--csv",
        &prefix,
        "--json",
        &json_arg,
        "--threshold",
        "p95<5s",
    ])
    .await;
    run.assert(run.code == 0, "the run succeeds");

    let stats_path = out.join("run_stats.csv");
    let history_path = out.join("run_stats_history.csv");
    let failures_path = out.join("run_failures.csv");
    // Whole lines, with Locust's (Python's csv) `\r\n` line ends.
    assert_eq!(header(&stats_path), format!("{LOCUST_STATS}\r\n"));
    assert_eq!(header(&history_path), format!("{LOCUST_HISTORY}\r\n"));
    assert_eq!(header(&failures_path), format!("{LOCUST_FAILURES}\r\n"));
    assert_eq!(
        header(&out.join("run_exceptions.csv")),
        format!("{LOCUST_EXCEPTIONS}\r\n")
    );
    let stats_text = std::fs::read_to_string(&stats_path).expect("the stats file");
    assert!(
        stats_text
            .split_inclusive('\n')
            .all(|line| line.ends_with("\r\n")),
        "every line ends with \\r\\n"
    );

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("the summary"))
            .expect("valid JSON");
    assert_follows_the_schema(&summary);
    let component = std::fs::read(guest("status_checks")).expect("the component");
    assert_eq!(
        summary["scenarios"][0]["sha256"],
        format!("{:x}", sha2::Sha256::digest(component)),
        "the summary names the component by its SHA-256"
    );

    // The CSV rows and the JSON rows are the same numbers.
    let stats = rows(&stats_path);
    let aggregated = stats.last().expect("an Aggregated row");
    assert_eq!(&aggregated[1], "Aggregated");
    let total: u64 = aggregated[2].parse().expect("a count");
    assert_eq!(summary["aggregated"]["count"], total);
    assert_eq!(total, served, "every request served is counted");
    assert_every_measured_request_is_in_one_second(&summary, total);
    let json_rows = json_row_counts(&summary);
    let csv_rows: BTreeMap<(String, String), u64> = stats[..stats.len() - 1]
        .iter()
        .map(|row| {
            (
                (row[0].to_string(), row[1].to_string()),
                row[2].parse().expect("a count"),
            )
        })
        .collect();
    assert_eq!(csv_rows, json_rows);
    assert!(csv_rows.len() >= 3, "one row per endpoint: {csv_rows:?}");
    let csv_failures: u64 = rows(&failures_path)
        .iter()
        .map(|row| row[3].parse::<u64>().expect("occurrences"))
        .sum();
    assert_eq!(summary["aggregated"]["failures"], csv_failures);

    // One history row per second, ending at the total.
    let history = rows(&history_path);
    assert!(history.len() >= 3, "{} history rows", history.len());
    let last = history.last().expect("a history row");
    assert_eq!(&last[3], "Aggregated");
    assert_eq!(last[17].parse::<u64>().expect("a count"), total);
    assert_eq!(
        summary["timeline"].as_array().map(Vec::len),
        Some(history.len())
    );
    assert_eq!(summary["thresholds"][0]["passed"], true);
    assert!(summary["aggregated"]["hdr_histogram"]
        .as_str()
        .is_some_and(|encoded| !encoded.is_empty()));
}

/// A file that cannot be written is refused before the run, naming the flag and the path,
/// and nothing is sent.
#[tokio::test]
async fn an_output_path_that_cannot_be_written_is_refused_before_the_run() {
    let out = scratch_dir("unwritable-output");
    let missing = out.join("no-such-dir").join("run").display().to_string();
    let (run, served) = crate::support::run_against_demo(
        "browse_products",
        &["--users", "2", "--run-time", "10s", "--csv", &missing],
    )
    .await;
    run.assert(run.code == 2, "bad input exits 2");
    assert_eq!(served, 0, "the run never started");
    run.assert(
        run.stderr
            .contains(&format!("--csv {missing}_stats.csv: the directory"))
            && run.stderr.contains("does not exist; create it first"),
        "the line names the flag, the path and what to do",
    );
    let directory = out.display().to_string();
    let (run, served) = crate::support::run_against_demo(
        "browse_products",
        &["--users", "2", "--run-time", "10s", "--json", &directory],
    )
    .await;
    run.assert(run.code == 2 && served == 0, "a directory is refused too");
    run.assert(
        run.stderr.contains("is a directory; give a file name"),
        "and says so",
    );
}

/// One file that cannot be written at the end (its directory went away during the run) does
/// not keep the others from being written.
#[tokio::test]
async fn one_file_that_fails_at_the_end_does_not_lose_the_others() {
    let server = crate::support::demo_server().await;
    let out = scratch_dir("output-lost-midway");
    let doomed = out.join("doomed");
    std::fs::create_dir_all(&doomed).expect("a directory");
    let csv = doomed.join("run").display().to_string();
    let json = out.join("run.json");
    let (component, url, json_arg) = (
        guest("browse_products").display().to_string(),
        server.url(),
        json.display().to_string(),
    );
    let args = [
        "run", &component, "--host", &url, "--users", "2", "--csv", &csv, "--json", &json_arg,
    ];
    let run = crate::support::Background::spawn(&args);
    crate::support::eventually("a request", std::time::Duration::from_secs(60), || {
        server.requests_served() >= 1
    })
    .await;
    std::fs::remove_dir_all(&doomed).expect("the directory removed");
    run.signal("-INT");
    let result = run.finish(std::time::Duration::from_secs(60)).await;
    result.assert(result.code == 2, "a file not written exits 2");
    result.assert(
        result
            .stderr
            .contains(&format!("cannot write the CSV files {csv}")),
        "the line names the file",
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON summary written"))
            .expect("valid JSON");
    assert_eq!(summary["aggregated"]["count"], result.aggregated().0);
    server.shutdown().await;
}
