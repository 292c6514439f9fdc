//! The thresholds' verdicts as the console shows them: one row per threshold with what was
//! measured, then a summary line.

use std::fmt::Write;

use crate::thresholds::Verdict;

/// The verdicts as a table with a summary line; empty when there are no thresholds.
pub fn render(verdicts: &[Verdict]) -> String {
    if verdicts.is_empty() {
        return String::new();
    }
    let width = verdicts
        .iter()
        .map(|verdict| verdict.threshold.chars().count())
        .max()
        .unwrap_or(0)
        .max(34);
    let mut out = String::from("Thresholds\n");
    let _ = writeln!(out, " {:<width$} {:<12} Result", "Threshold", "Measured");
    for verdict in verdicts {
        let result = if verdict.passed { "pass" } else { "FAIL" };
        let _ = writeln!(
            out,
            " {:<width$} {:<12} {result}",
            verdict.threshold, verdict.measured
        );
    }
    let total = verdicts.len();
    let failed = verdicts.iter().filter(|verdict| !verdict.passed).count();
    let noun = if total == 1 {
        "threshold"
    } else {
        "thresholds"
    };
    let _ = match (failed, total) {
        (0, 1) => writeln!(out, "the threshold passed"),
        (0, _) => writeln!(out, "all {total} {noun} passed"),
        _ => writeln!(out, "{failed} of {total} {noun} failed"),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RunStats;
    use crate::plan::Threshold;
    use crate::thresholds::evaluate;
    use std::time::Duration;

    /// 120 requests in 10 s, 3 failures: `GET /orders` 1..=100 ms, `POST /orders` 500 ms x10.
    fn run() -> RunStats {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        let mut request = |method: &'static str, name: &str, latency_ms: u64, ok: bool| {
            stats.apply(crate::test_support::request(method, name, latency_ms, ok))
        };
        for ms in 1..=100 {
            request("GET", "/orders", ms, ms % 50 != 0);
        }
        for i in 0..10 {
            request("POST", "/orders", 500, i != 0);
        }
        for _ in 0..10 {
            request("GET", "/users", 5, true);
        }
        stats
    }

    #[test]
    fn render_shows_each_row_and_a_summary() {
        let thresholds: Vec<Threshold> = ["p95<=500ms", "error_rate<1%", "/typo:p95<1s"]
            .iter()
            .map(|text| text.parse().expect("parses"))
            .collect();
        let verdicts = evaluate(&thresholds, &run(), Duration::from_secs(10), &[]);
        let table = render(&verdicts);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "Thresholds");
        assert!(lines[1].starts_with(" Threshold "), "{table}");
        assert!(lines[1].contains("Measured") && lines[1].ends_with("Result"));
        assert!(lines[2].starts_with(" p95<=500ms "), "{table}");
        assert!(lines[2].ends_with(" pass"), "{table}");
        assert!(lines[3].starts_with(" error_rate<1% "), "{table}");
        assert!(lines[3].contains(" 2.50% "), "{table}");
        assert!(lines[3].ends_with(" FAIL"), "{table}");
        assert!(lines[4].contains(" no data "), "{table}");
        assert!(lines[4].ends_with(" FAIL"), "{table}");
        assert_eq!(lines[5], "2 of 3 thresholds failed");
        // Columns line up.
        let column = lines[1].find("Measured").expect("header");
        assert_eq!(lines[3].find("2.50%"), Some(column), "{table}");

        let passing = render(&verdicts[..1]);
        assert!(passing.ends_with("the threshold passed\n"), "{passing}");
        let two = render(&[verdicts[0].clone(), verdicts[0].clone()]);
        assert!(two.ends_with("all 2 thresholds passed\n"), "{two}");
        assert_eq!(render(&[]), "");
    }
}
