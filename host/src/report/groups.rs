//! Groups in the console and HTML reports: how long each group of requests took, as a
//! row of type `GROUP` (k6's and Gatling's groups). Groups are not requests: the Aggregated
//! row leaves them out.

use std::fmt::Write as _;

use super::RunReport;
use crate::metrics::ms;

/// The percentiles a group's row shows.
const PERCENTILES: [f64; 3] = [50.0, 95.0, 99.0];

/// The cells of each group's row: name, runs, then avg, min, max, p50, p95, p99 in ms.
fn rows(report: &RunReport<'_>) -> Vec<(String, u64, [f64; 6])> {
    report
        .stats
        .groups
        .iter()
        .map(|(key, row)| {
            let [p50, p95, p99] = PERCENTILES.map(|p| ms(row.percentile(p)));
            let times = [ms(row.mean()), ms(row.min()), ms(row.max()), p50, p95, p99];
            (key.name.clone(), row.count, times)
        })
        .collect()
}

/// The console's `Groups` table; empty without groups.
pub fn console(report: &RunReport<'_>) -> String {
    let rows = rows(report);
    let mut out = String::new();
    if rows.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "Groups (ms)\n{:<8} {:<31} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "Type", "Name", "# runs", "Avg", "Min", "Max", "Med", "95%", "99%"
    );
    let _ = writeln!(out, "{}|{}", "-".repeat(40), "-".repeat(68));
    for (name, runs, times) in rows {
        let _ = write!(out, "{:<8} {name:<31} {runs:>7}", "GROUP");
        for time in times {
            let _ = write!(out, " {time:>9.2}");
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The HTML report's groups table; empty without groups.
pub fn html(report: &RunReport<'_>, escape: fn(&str) -> String) -> String {
    let rows = rows(report);
    let mut page = String::new();
    if rows.is_empty() {
        return page;
    }
    page.push_str("<h2>Groups (ms)</h2><table id=\"groups\"><thead><tr><th>Type</th><th class=\"name\">Name</th><th># runs</th><th>Avg</th><th>Min</th><th>Max</th><th>Median</th><th>95%</th><th>99%</th></tr></thead><tbody>");
    for (name, runs, times) in rows {
        let _ = write!(
            page,
            "<tr><td>GROUP</td><td class=\"name\">{}</td><td>{runs}</td>",
            escape(&name)
        );
        for time in times {
            let _ = write!(page, "<td>{time:.2}</td>");
        }
        page.push_str("</tr>");
    }
    page.push_str("</tbody></table>");
    page
}
