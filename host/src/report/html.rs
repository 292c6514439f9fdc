//! `--html FILE`: one self-contained HTML report. Styles and charts (inline SVG) are in the
//! file, it runs no script and fetches nothing, so it renders offline and never goes stale.

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use super::svg_chart::{escape, line_chart, Series};
use super::{percentile_label, ReportRow, RunReport, LOCUST_PERCENTILES};
use crate::metrics::{ms, RequestStats};
use crate::thresholds::Verdict;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d1d1f; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.params { color: #555; margin: 0 0 8px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.panel { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; }
.panel h3 { font-size: 14px; margin: 4px 0; }
svg.chart { width: 100%; height: auto; }
svg .tick, svg .legend, svg .unit { font-size: 11px; fill: #555; }
table { border-collapse: collapse; background: #fff; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
th { background: #f0f0f0; }
td.name, th.name { text-align: left; }
tr.total td { font-weight: 600; }
.pass { color: #137333; font-weight: 600; }
.fail { color: #b3261e; font-weight: 600; }
.empty { color: #777; }
"#;

/// Writes the report of a finished run to `path`.
pub fn write(path: &Path, report: &RunReport<'_>, verdicts: &[Verdict]) -> anyhow::Result<()> {
    std::fs::write(path, render(report, verdicts))?;
    Ok(())
}

/// The whole page.
pub fn render(report: &RunReport<'_>, verdicts: &[Verdict]) -> String {
    let mut page = String::new();
    let title: Vec<&str> = report
        .scenarios
        .iter()
        .map(|label| label.user.as_str())
        .collect();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wasmload: {}</title><style>{STYLE}</style></head><body>",
        escape(&title.join(", "))
    );
    header(&mut page, report);
    charts(&mut page, report);
    request_table(&mut page, report);
    percentile_table(&mut page, report);
    page.push_str(&super::groups::html(report, escape));
    failure_table(&mut page, report);
    exception_table(&mut page, report);
    custom_metric_table(&mut page, report);
    threshold_table(&mut page, verdicts);
    page.push_str("</body></html>\n");
    page
}

fn header(page: &mut String, report: &RunReport<'_>) {
    let outcome = &report.outcome;
    let scenarios: Vec<String> = report
        .scenarios
        .iter()
        .map(|label| escape(&label.describe()))
        .collect();
    let _ = write!(
        page,
        "<h1>wasmload report</h1><p class=\"params\" id=\"params\">{} against <b>{}</b><br>{} model · {} users started, peak {} · {} iterations{} · {:.1} s · {} · seed {}</p>",
        scenarios.join(", "),
        escape(report.host),
        if outcome.open_model { "open (arrival rate)" } else { "closed" },
        outcome.users_spawned,
        outcome.peak_users,
        outcome.iterations,
        if outcome.open_model {
            format!(", {} dropped", outcome.dropped_iterations)
        } else {
            String::new()
        },
        outcome.elapsed.as_secs_f64(),
        outcome.reason.describe(),
        report.seed,
    );
    for note in super::notes(report) {
        let _ = write!(page, "<p class=\"params\">{}</p>", escape(&note));
    }
}

fn charts(page: &mut String, report: &RunReport<'_>) {
    let points = report.stats.timeline.points();
    let x: Vec<f64> = points.iter().map(|point| point.elapsed_s).collect();
    let series = |label, color, value: fn(&crate::metrics::TimePoint) -> f64| Series {
        label,
        color,
        values: points.iter().map(value).collect(),
    };
    page.push_str("<h2>Over time</h2><div class=\"charts\">");
    let panels = [
        (
            "Requests and failures per second",
            line_chart(
                "chart-rps",
                "per second",
                &x,
                &[
                    series("req/s", "#1f77b4", |p| p.rps),
                    series("failures/s", "#d62728", |p| p.failures_per_s),
                ],
            ),
        ),
        (
            "Response time percentiles (each second)",
            line_chart(
                "chart-latency",
                "ms",
                &x,
                &[
                    series("p50", "#2ca02c", |p| p.p50_ms),
                    series("p95", "#ff7f0e", |p| p.p95_ms),
                    series("p99", "#9467bd", |p| p.p99_ms),
                ],
            ),
        ),
        (
            "Users",
            line_chart(
                "chart-users",
                "users",
                &x,
                &[series("users", "#17becf", |p| f64::from(p.users))],
            ),
        ),
    ];
    for (title, svg) in panels {
        let _ = write!(page, "<div class=\"panel\"><h3>{title}</h3>{svg}</div>");
    }
    page.push_str("</div>");
}

fn request_table(page: &mut String, report: &RunReport<'_>) {
    page.push_str("<h2>Requests</h2><table id=\"requests\"><thead><tr><th>Type</th><th class=\"name\">Name</th><th># reqs</th><th># fails</th><th>Avg (ms)</th><th>Min (ms)</th><th>Max (ms)</th><th>Median (ms)</th><th>Avg size (B)</th><th>req/s</th><th>failures/s</th></tr></thead><tbody>");
    for row in report.rows() {
        request_row(page, &row);
    }
    page.push_str("</tbody></table>");
}

/// The class of the Aggregated row, which the style sets in bold.
fn row_class(row: &ReportRow<'_>) -> &'static str {
    if row.aggregated {
        " class=\"total\""
    } else {
        ""
    }
}

/// A latency in milliseconds, or N/A for a row whose requests the stop all cut off.
fn time(row: &RequestStats, duration: Duration) -> String {
    match row.measured() {
        0 => "N/A".to_string(),
        _ => format!("{:.2}", ms(duration)),
    }
}

fn request_row(page: &mut String, shown: &ReportRow<'_>) {
    let (class, row) = (row_class(shown), &shown.stats);
    let _ = write!(
        page,
        "<tr{class}><td class=\"name\">{}</td><td class=\"name\">{}</td><td>{}</td><td>{} ({:.2}%)</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td></tr>",
        escape(shown.method),
        escape(&shown.name),
        row.count,
        row.failures,
        row.failure_ratio() * 100.0,
        time(row, row.mean()),
        time(row, row.min()),
        time(row, row.max()),
        time(row, row.percentile(50.0)),
        row.mean_bytes(),
        shown.rps,
        shown.failures_per_s,
    );
}

fn percentile_table(page: &mut String, report: &RunReport<'_>) {
    page.push_str("<h2>Response time percentiles (ms)</h2><table id=\"percentiles\"><thead><tr><th>Type</th><th class=\"name\">Name</th>");
    for percentile in LOCUST_PERCENTILES {
        let _ = write!(page, "<th>{}</th>", percentile_label(percentile));
    }
    page.push_str("<th># reqs</th></tr></thead><tbody>");
    for row in report.rows() {
        let _ = write!(
            page,
            "<tr{}><td class=\"name\">{}</td><td class=\"name\">{}</td>",
            row_class(&row),
            escape(row.method),
            escape(&row.name)
        );
        for percentile in LOCUST_PERCENTILES {
            let shown = time(&row.stats, row.stats.percentile(percentile));
            let _ = write!(page, "<td>{shown}</td>");
        }
        let _ = write!(page, "<td>{}</td></tr>", row.stats.count);
    }
    page.push_str("</tbody></table>");
}

fn failure_table(page: &mut String, report: &RunReport<'_>) {
    page.push_str("<h2>Failures</h2>");
    if report.stats.failures.is_empty() {
        page.push_str("<p class=\"empty\" id=\"failures\">No request failed.</p>");
        return;
    }
    page.push_str("<table id=\"failures\"><thead><tr><th># occurrences</th><th class=\"name\">Method</th><th class=\"name\">Name</th><th class=\"name\">Error</th></tr></thead><tbody>");
    for (key, count) in &report.stats.failures {
        let _ = write!(
            page,
            "<tr><td>{count}</td><td class=\"name\">{}</td><td class=\"name\">{}</td><td class=\"name\">{}</td></tr>",
            escape(&key.method),
            escape(&report.row_name(key.scenario, &key.name)),
            escape(&key.message)
        );
    }
    page.push_str("</tbody></table>");
}

fn exception_table(page: &mut String, report: &RunReport<'_>) {
    page.push_str("<h2>Exceptions</h2>");
    if report.stats.exceptions.is_empty() {
        page.push_str("<p class=\"empty\" id=\"exceptions\">No exceptions.</p>");
        return;
    }
    page.push_str("<table id=\"exceptions\"><thead><tr><th># occurrences</th><th class=\"name\">Exception</th></tr></thead><tbody>");
    for (message, count) in &report.stats.exceptions {
        let _ = write!(
            page,
            "<tr><td>{count}</td><td class=\"name\">{}</td></tr>",
            escape(message)
        );
    }
    page.push_str("</tbody></table>");
}

/// The scenario's own metrics, as `PREFIX_metrics.csv` has them; nothing without any.
fn custom_metric_table(page: &mut String, report: &RunReport<'_>) {
    let Ok(entries) = super::custom_metrics::entries(&report.stats.custom, report.outcome.elapsed)
    else {
        return;
    };
    if entries.is_empty() {
        return;
    }
    let records = super::custom_metrics::csv_records(&entries);
    page.push_str("<h2>Custom metrics</h2><table id=\"metrics\"><thead><tr>");
    for (index, record) in records.iter().enumerate() {
        let cell = if index == 0 { "th" } else { "td" };
        if index > 0 {
            page.push_str("<tr>");
        }
        for value in record {
            let _ = write!(page, "<{cell}>{}</{cell}>", escape(value));
        }
        page.push_str(if index == 0 {
            "</tr></thead><tbody>"
        } else {
            "</tr>"
        });
    }
    page.push_str("</tbody></table>");
}

fn threshold_table(page: &mut String, verdicts: &[Verdict]) {
    page.push_str("<h2>Thresholds</h2>");
    if verdicts.is_empty() {
        page.push_str("<p class=\"empty\" id=\"thresholds\">No thresholds were set.</p>");
        return;
    }
    page.push_str("<table id=\"thresholds\"><thead><tr><th class=\"name\">Threshold</th><th>Measured</th><th>Result</th></tr></thead><tbody>");
    for verdict in verdicts {
        let (class, result) = if verdict.passed {
            ("pass", "pass")
        } else {
            ("fail", "FAIL")
        };
        let _ = write!(
            page,
            "<tr><td class=\"name\">{}</td><td>{}</td><td class=\"{class}\">{result}</td></tr>",
            escape(&verdict.threshold),
            escape(&verdict.measured)
        );
    }
    page.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Event, RunStats, Sample, SampleTag};
    use crate::report::ScenarioLabel;
    use crate::scheduler::RunOutcome;
    use std::time::Duration;

    #[test]
    fn the_page_is_self_contained_with_charts_and_tables() {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        for second in 1..=3u64 {
            for i in 0..10 {
                stats.apply(Event::Request(Sample {
                    method: "GET".into(),
                    name: "/items?<b>".into(),
                    latency_us: 1_000 * (i + 1),
                    bytes: 10,
                    failure: (i == 0).then(|| "HTTP 500 <oops>".to_string()),
                    tag: SampleTag::default(),
                }));
            }
            stats.close_second(Duration::from_secs(second), 5);
        }
        let scenarios = [ScenarioLabel {
            file: "s.wasm".into(),
            user: "U".into(),
            memories: 1,
            libraries: Vec::new(),
            sha256: String::new(),
        }];
        let report = RunReport {
            scenarios: &scenarios,
            users_by_scenario: &[5],
            host_from: None,
            host: "http://127.0.0.1:1",
            seed: 9,
            shard: crate::plan::Shard::WHOLE,
            insecure: false,
            vu_memory: 64 << 20,
            outcome: RunOutcome {
                elapsed: Duration::from_secs(3),
                users_spawned: 5,
                peak_users: 5,
                ..RunOutcome::default()
            },
            stats: &stats,
        };
        let verdicts = [Verdict {
            threshold: "p95<1ms".into(),
            measured: "9.5 ms".into(),
            passed: false,
        }];
        let page = render(&report, &verdicts);
        assert_eq!(page.matches("<svg").count(), 3);
        assert!(page.contains(r#"data-points="3""#));
        assert!(page.contains("/items?&lt;b&gt;") && !page.contains("<b>\""));
        assert!(page.contains("HTTP 500 &lt;oops&gt;"));
        assert!(page.contains(r#"<td class="fail">FAIL</td>"#));
        for external in ["<script", "src=", "href=", "@import", "url("] {
            assert!(
                !page.contains(external),
                "the page must not load {external}"
            );
        }
    }
}
