//! `--junit FILE`: the run's verdicts as a JUnit XML report, which CI systems show natively.
//! One test suite holds a test case per threshold (failed when the threshold failed), another
//! a test case per check (failed when any of its runs failed).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::RunReport;
use crate::metrics::CheckCount;
use crate::thresholds::Verdict;

/// The report's name, as CI systems show it.
const REPORT_NAME: &str = "wasmload";

/// Writes the JUnit report of `report` and `verdicts` to `path`.
pub fn write(path: &Path, report: &RunReport<'_>, verdicts: &[Verdict]) -> anyhow::Result<()> {
    let xml = render(report, verdicts)?;
    std::fs::write(path, xml).with_context(|| format!("{}", path.display()))
}

/// The JUnit XML of `report` and `verdicts`.
pub fn render(report: &RunReport<'_>, verdicts: &[Verdict]) -> anyhow::Result<String> {
    let elapsed = report.outcome.elapsed;
    let mut junit = Report::new(REPORT_NAME);
    junit.set_time(elapsed);
    junit.add_test_suite(thresholds_suite(verdicts, elapsed));
    junit.add_test_suite(checks_suite(report));
    Ok(junit.to_string()?)
}

fn thresholds_suite(verdicts: &[Verdict], elapsed: Duration) -> TestSuite {
    let mut suite = TestSuite::new("thresholds");
    suite.set_time(elapsed);
    for verdict in verdicts {
        let status = if verdict.passed {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(format!("measured {}", verdict.measured))
                .set_type("threshold");
            status
        };
        let mut case = TestCase::new(verdict.threshold.as_str(), status);
        case.set_classname("thresholds").set_system_out(format!(
            "{}: measured {}",
            verdict.threshold, verdict.measured
        ));
        suite.add_test_case(case);
    }
    suite
}

fn checks_suite(report: &RunReport<'_>) -> TestSuite {
    let mut suite = TestSuite::new("checks");
    suite.set_time(report.outcome.elapsed);
    for (name, count) in &report.stats.checks {
        let summary = check_summary(count);
        let status = if count.failed == 0 {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(summary.clone()).set_type("check");
            status
        };
        let mut case = TestCase::new(name.as_str(), status);
        case.set_classname("checks")
            .set_assertions(usize::try_from(count.passed + count.failed).unwrap_or(usize::MAX))
            .set_system_out(format!("{name}: {summary}"));
        suite.add_test_case(case);
    }
    suite
}

/// "3 of 1000 failed (99.70% passed)".
fn check_summary(count: &CheckCount) -> String {
    let runs = count.passed + count.failed;
    let share = if runs == 0 {
        0.0
    } else {
        count.passed as f64 * 100.0 / runs as f64
    };
    format!("{} of {runs} failed ({share:.2}% passed)", count.failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_reads_as_its_share() {
        let count = CheckCount {
            passed: 997,
            failed: 3,
        };
        assert_eq!(check_summary(&count), "3 of 1000 failed (99.70% passed)");
    }
}
