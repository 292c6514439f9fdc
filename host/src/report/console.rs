//! The end-of-run report as Locust prints it: request stats with an Aggregated row,
//! response-time percentiles, and the error report; plus checks and exceptions.

use std::fmt::Write;
use std::time::Duration;

use super::{percentile_label, ReportRow, RunReport, ScenarioLabel, LOCUST_PERCENTILES};
use crate::metrics::RequestStats;
use crate::scheduler::{CancelCause, RunOutcome};

/// Renders the whole report as text.
pub fn render(report: &RunReport<'_>) -> String {
    let mut out = String::new();
    header(&mut out, report);
    request_table(&mut out, report);
    percentile_table(&mut out, report);
    out.push_str(&super::groups::console(report));
    intended_start_table(&mut out, report);
    failure_table(&mut out, report);
    exception_table(&mut out, report);
    check_table(&mut out, report);
    if let Ok(entries) =
        super::custom_metrics::entries(&report.stats.custom, report.outcome.elapsed)
    {
        out.push_str(&super::custom_metrics::console(&entries));
    }
    out
}

fn header(out: &mut String, report: &RunReport<'_>) {
    let outcome = &report.outcome;
    let reason = outcome.reason.describe();
    let scenarios: Vec<String> = report
        .scenarios
        .iter()
        .map(ScenarioLabel::describe)
        .collect();
    let shard = if report.shard.is_whole() {
        String::new()
    } else {
        format!(
            " ({}: its share of the run's users and iterations)",
            report.shard
        )
    };
    let from = report
        .host_from
        .filter(|from| *from != "--host")
        .map(|from| format!(" ({from})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "wasmload: {} against {}{from}{shard}",
        scenarios.join(", "),
        report.host
    );
    if outcome.open_model {
        let _ = writeln!(
            out,
            "arrival rate: {} iterations started, {} dropped, {} users in the pool, in {:.1}s ({reason}), seed {}",
            outcome.iterations,
            outcome.dropped_iterations,
            outcome.users_spawned,
            outcome.elapsed.as_secs_f64(),
            report.seed,
        );
        let lateness = &report.stats.start_lateness;
        if lateness.count > 0 {
            let _ = writeln!(
                out,
                "iteration start lateness (ms): median {}, p99 {}, max {}",
                ms(lateness.percentile(50.0)),
                ms(lateness.percentile(99.0)),
                ms(lateness.max()),
            );
        }
    } else {
        let _ = writeln!(
            out,
            "{} users started, peak {} running, {} tasks in {:.1}s ({reason}), seed {}",
            outcome.users_spawned,
            outcome.peak_users,
            outcome.iterations,
            outcome.elapsed.as_secs_f64(),
            report.seed,
        );
    }
    cpu_line(out, report);
    if report.scenarios.len() > 1 && !outcome.open_model {
        let split: Vec<String> = report
            .scenarios
            .iter()
            .zip(report.users_by_scenario)
            .map(|(label, users)| format!("{} {users}", label.user))
            .collect();
        let _ = writeln!(out, "users by scenario: {}", split.join(", "));
    }
    if let Some(line) = cancelled_line(outcome) {
        let _ = writeln!(out, "{line}");
    }
    for note in notes(report) {
        let _ = writeln!(out, "{note}");
    }
    out.push('\n');
}

/// How many users the stop cancelled, and what cut their grace period short; none if none.
fn cancelled_line(outcome: &RunOutcome) -> Option<String> {
    let why = match outcome.cancelled_by {
        CancelCause::StopTimeout => "did not finish within --stop-timeout",
        CancelCause::Signal => "had not finished when another Ctrl-C or SIGTERM came",
        CancelCause::Memory => "had not finished when memory ran critically low",
        CancelCause::Unknown => "did not finish",
    };
    match outcome.users_cancelled {
        0 => None,
        1 => Some(format!("1 user {why} and was cancelled")),
        n => Some(format!("{n} users {why} and were cancelled")),
    }
}

/// What a reader of the numbers should know: unverified TLS, requests the stop cut off, and
/// tasks that a failed request ended.
pub fn notes(report: &RunReport<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    if report.insecure {
        notes.push(
            "TLS certificates were not verified (--insecure): the server was not authenticated"
                .to_string(),
        );
    }
    let cancelled: u64 = report
        .stats
        .requests
        .values()
        .map(|row| row.cancelled)
        .sum();
    if cancelled > 0 {
        notes.push(format!(
            "{cancelled} requests were cut off in flight by the stop: counted, but neither failures nor latencies"
        ));
    }
    let overflow = &report.stats.overflow;
    // A merged or coordinated run has no cap of its own: each shard kept to its own.
    let cap = match overflow.max_rows {
        usize::MAX => "--max-rows".to_string(),
        max_rows => format!("--max-rows {max_rows}"),
    };
    if overflow.requests > 0 {
        notes.push(format!(
            "{} requests had names past {cap} (such as {}) and were counted under `{}`: \
             give URLs with ids one .name(..)",
            overflow.requests,
            overflow.examples.join(", "),
            crate::metrics::OVERFLOW_ROW
        ));
    }
    let custom = &report.stats.custom;
    if custom.dropped.requests > 0 {
        notes.push(format!(
            "{} values of custom metrics or groups had names past {cap} (such as {}) and were not kept: give them fewer, fixed names",
            custom.dropped.requests,
            custom.dropped.examples.join(", ")
        ));
    }
    let cut_short = report.stats.total_tasks_cut_short();
    if cut_short > 0 {
        notes.push(format!(
            "{cut_short} tasks ended early because one of their requests failed (counted as failures, not exceptions)"
        ));
    }
    notes
}

/// Where the CPU went: the generator's busiest second and each scenario's guest code.
fn cpu_line(out: &mut String, report: &RunReport<'_>) {
    let guests: Vec<String> = report
        .scenarios
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let micros = report
                .stats
                .guest_time_us
                .get(&(index as u16))
                .copied()
                .unwrap_or(0);
            format!("{} {:.2}s", label.user, micros as f64 / 1e6)
        })
        .collect();
    let peak = report.stats.generator_cpu_peak;
    let _ = writeln!(
        out,
        "cpu: guest code {}; wasmload's busiest second {:.0}% of its cores{}",
        guests.join(", "),
        peak * 100.0,
        if peak > crate::metrics::CPU_BUSY_WARNING {
            " (the generator may have been the bottleneck)"
        } else {
            ""
        }
    );
    let counts: Vec<u32> = report.scenarios.iter().map(|s| s.memories).collect();
    let most = counts.iter().copied().max().unwrap_or(1);
    let up_to = if counts.iter().any(|&count| count != most) {
        "up to "
    } else {
        ""
    };
    let cap = report.vu_memory as f64 / f64::from(1 << 20);
    let memories = if most == 1 {
        format!("each user's linear memory may grow to {cap:.0} MiB")
    } else {
        format!("each user's {up_to}{most} linear memories may grow to {cap:.0} MiB each")
    };
    let _ = writeln!(
        out,
        "memory: wasmload's peak resident {:.1} MiB; {memories} (--vu-memory)",
        report.stats.generator_peak_rss as f64 / f64::from(1 << 20)
    );
}

fn name_width(report: &RunReport<'_>) -> usize {
    let longest = report
        .stats
        .requests
        .keys()
        .map(|key| report.row_name(key.scenario, &key.name).chars().count())
        .max()
        .unwrap_or(0);
    longest.clamp(30, 80)
}

fn request_table(out: &mut String, report: &RunReport<'_>) {
    let width = name_width(report);
    let rule = format!(
        "--------|{}|-------|-------------|-------|-------|-------|-------|--------|--------|-----------",
        "-".repeat(width + 1)
    );
    let _ = writeln!(
        out,
        "{:<8} {:<width$} {:>7} {:>12} | {:>6} {:>7} {:>7} {:>7} | {:>7} | {:>7} {:>11}",
        "Type",
        "Name",
        "# reqs",
        "# fails",
        "Avg",
        "Min",
        "Max",
        "Med",
        "Avg B",
        "req/s",
        "failures/s"
    );
    let _ = writeln!(out, "{rule}");
    for row in report.rows() {
        if row.aggregated {
            let _ = writeln!(out, "{rule}");
        }
        request_row(out, &row, width);
    }
    out.push('\n');
}

fn request_row(out: &mut String, row: &ReportRow<'_>, width: usize) {
    let stats = &row.stats;
    let fails = format!("{}({:.2}%)", stats.failures, stats.failure_ratio() * 100.0);
    let time = |duration| time(stats, duration);
    let _ = writeln!(
        out,
        "{:<8} {:<width$} {:>7} {:>12} | {:>6} {:>7} {:>7} {:>7} | {:>7} | {:>7.2} {:>11.2}",
        row.method,
        truncate(&row.name, width),
        stats.count,
        fails,
        time(stats.mean()),
        time(stats.min()),
        time(stats.max()),
        time(stats.percentile(50.0)),
        stats.mean_bytes(),
        row.rps,
        row.failures_per_s,
    );
}

fn percentile_table(out: &mut String, report: &RunReport<'_>) {
    let width = name_width(report);
    let _ = writeln!(out, "Response time percentiles (ms)");
    let mut head = format!("{:<8} {:<width$}", "Type", "Name");
    let mut rule = format!("--------|{}", "-".repeat(width + 1));
    for percentile in LOCUST_PERCENTILES {
        let _ = write!(head, " {:>7}", percentile_label(percentile));
        rule.push_str("|-------");
    }
    let _ = writeln!(out, "{head} {:>7}\n{rule}|-------", "# reqs");
    for row in report.rows() {
        if row.aggregated {
            let _ = writeln!(out, "{rule}|-------");
        }
        percentile_row(out, row.method, &row.name, &row.stats, width);
    }
    out.push('\n');
}

/// A latency of `stats`' row, or N/A for a row whose requests the stop all cut off.
fn time(stats: &RequestStats, duration: Duration) -> String {
    match stats.measured() {
        0 => "N/A".to_string(),
        _ => ms(duration),
    }
}

fn percentile_row(out: &mut String, method: &str, name: &str, stats: &RequestStats, width: usize) {
    let _ = write!(out, "{:<8} {:<width$}", method, truncate(name, width));
    for percentile in LOCUST_PERCENTILES {
        let _ = write!(out, " {:>7}", time(stats, stats.percentile(percentile)));
    }
    let _ = writeln!(out, " {:>7}", stats.count);
}

/// Open-model runs: service time (send to last byte) beside response time from the
/// iteration's intended start, which shows stalls that delayed iterations.
fn intended_start_table(out: &mut String, report: &RunReport<'_>) {
    if !report.outcome.open_model {
        return;
    }
    const SHOWN: [(f64, &str); 4] = [(50.0, "50%"), (95.0, "95%"), (99.0, "99%"), (100.0, "max")];
    let width = name_width(report);
    let _ = writeln!(
        out,
        "Service time (send to last byte) | response time (from the intended start), ms"
    );
    let mut head = format!("{:<8} {:<width$}", "Type", "Name");
    for prefix in ["svc", "resp"] {
        for (_, label) in SHOWN {
            let _ = write!(head, " {:>9}", format!("{prefix} {label}"));
        }
    }
    let _ = writeln!(out, "{head}");
    let _ = writeln!(out, "--------|{}|{}", "-".repeat(width + 1), "-".repeat(80));
    let row = |out: &mut String, method: &str, name: &str, stats: &RequestStats| {
        let _ = write!(out, "{:<8} {:<width$}", method, truncate(name, width));
        let response = stats.response().unwrap_or(stats);
        for measured in [stats, response] {
            for (percentile, _) in SHOWN {
                let _ = write!(out, " {:>9}", ms(measured.percentile(percentile)));
            }
        }
        out.push('\n');
    };
    for shown in report.rows() {
        row(out, shown.method, &shown.name, &shown.stats);
    }
    out.push('\n');
}

fn failure_table(out: &mut String, report: &RunReport<'_>) {
    if report.stats.failures.is_empty() {
        return;
    }
    let _ = writeln!(out, "Error report\n{:<18} Error", "# occurrences");
    let _ = writeln!(out, "------------------|{}", "-".repeat(70));
    let mut failures: Vec<_> = report.stats.failures.iter().collect();
    failures.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (key, count) in failures {
        let _ = writeln!(
            out,
            "{count:<18} {} {}: {}",
            key.method,
            report.row_name(key.scenario, &key.name),
            key.message
        );
    }
    out.push('\n');
}

fn exception_table(out: &mut String, report: &RunReport<'_>) {
    if report.stats.exceptions.is_empty() {
        return;
    }
    let _ = writeln!(out, "Exceptions\n{:<18} Exception", "# occurrences");
    let _ = writeln!(out, "------------------|{}", "-".repeat(70));
    let mut exceptions: Vec<_> = report.stats.exceptions.iter().collect();
    exceptions.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (message, count) in exceptions {
        let _ = writeln!(out, "{count:<18} {message}");
    }
    out.push('\n');
}

fn check_table(out: &mut String, report: &RunReport<'_>) {
    if report.stats.checks.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Checks\n{:<40} {:>10} {:>10} {:>8}",
        "Name", "Passes", "Fails", "Pass %"
    );
    let _ = writeln!(out, "{}|{}", "-".repeat(40), "-".repeat(31));
    for (name, count) in &report.stats.checks {
        let total = count.passed + count.failed;
        let rate = if total == 0 {
            0.0
        } else {
            count.passed as f64 * 100.0 / total as f64
        };
        let _ = writeln!(
            out,
            "{:<40} {:>10} {:>10} {:>7.2}%",
            truncate(name, 40),
            count.passed,
            count.failed,
            rate
        );
    }
    out.push('\n');
}

/// Milliseconds with precision that suits the magnitude: sub-millisecond times stay visible.
fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(3)).collect();
        format!("{kept}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Event, RunStats, Sample, SampleTag};
    use crate::scheduler::{RunOutcome, StopReason};

    fn sample(method: &'static str, name: &str, latency_us: u64, failure: Option<&str>) -> Event {
        Event::Request(Sample {
            method: method.into(),
            name: name.into(),
            latency_us,
            bytes: 50,
            failure: failure.map(str::to_string),
            tag: SampleTag::default(),
        })
    }

    fn rendered(stats: &RunStats) -> String {
        let scenarios = [ScenarioLabel {
            file: "login_flow.wasm".into(),
            user: "LoginFlow".into(),
            memories: 2,
            libraries: vec![crate::report::summary_in::LibraryIn {
                file: "auth.wasm".into(),
                sha256: String::new(),
            }],
            sha256: String::new(),
        }];
        let report = RunReport {
            scenarios: &scenarios,
            users_by_scenario: &[2],
            host_from: None,
            host: "http://127.0.0.1:8000",
            seed: 42,
            shard: crate::plan::Shard::WHOLE,
            insecure: false,
            vu_memory: 64 << 20,
            outcome: RunOutcome {
                reason: StopReason::TimeUp,
                elapsed: Duration::from_secs(10),
                users_spawned: 2,
                peak_users: 2,
                iterations: 4,
                ..RunOutcome::default()
            },
            stats,
        };
        render(&report)
    }

    #[test]
    fn the_report_has_locust_tables_with_an_aggregated_row() {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        stats.apply(sample("GET", "/users", 2_000, None));
        stats.apply(sample(
            "GET",
            "/users",
            4_000,
            Some("HTTP 500 Internal Server Error"),
        ));
        stats.apply(sample("POST", "/login", 150_000, None));
        stats.apply(Event::Exception("task: panicked at x".into()));
        stats.apply(Event::Check {
            name: "has users".into(),
            passed: true,
        });
        let text = rendered(&stats);
        let users_row = text
            .lines()
            .find(|line| line.starts_with("GET") && line.contains("/users"))
            .expect("a /users row");
        assert!(users_row.contains("1(50.00%)"), "{users_row}");
        assert!(
            users_row.contains("3.00"),
            "mean of 2 ms and 4 ms: {users_row}"
        );
        assert!(
            users_row.contains("0.20"),
            "2 requests in 10 s: {users_row}"
        );
        let aggregated = text
            .lines()
            .find(|line| line.contains("Aggregated"))
            .expect("an Aggregated row");
        assert!(aggregated.contains(" 3 "), "{aggregated}");
        assert!(text.contains("Response time percentiles"));
        assert!(text.contains("login_flow.wasm (LoginFlow) with auth.wasm against"));
        assert!(text.contains("1                  GET /users: HTTP 500 Internal Server Error"));
        assert!(text.contains("task: panicked at x"));
        assert!(text.contains("has users"));
        assert!(text.contains("seed 42"));
    }

    #[test]
    fn milliseconds_keep_sub_millisecond_detail() {
        assert_eq!(ms(Duration::from_micros(420)), "0.42");
        assert_eq!(ms(Duration::from_micros(42_500)), "42.5");
        assert_eq!(ms(Duration::from_millis(420)), "420");
    }
}
