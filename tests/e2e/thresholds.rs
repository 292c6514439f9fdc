//! Thresholds: each kind passes or fails as measured, a failure sets exit code 4, and
//! `--abort-on-fail` ends a run early.

use crate::support::run_against_demo;

const KINDS_PASSING: &[&str] = &[
    "p95<5s",
    "error_rate<1%",
    "rps>=1",
    "/users:max<5s",
    "GET /status:requests>=1",
];
const KINDS_FAILING: &[&str] = &[
    "p95<1us",
    "error_rate>50%",
    "rps>=1000000",
    "/users:max<1us",
    "GET /status:requests<1",
    "/no/such/row:p50<1s",
];

fn flags(thresholds: &[&str], extra: &[&'static str]) -> Vec<String> {
    let mut flags: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    for threshold in thresholds {
        flags.push("--threshold".into());
        flags.push(threshold.to_string());
    }
    flags
}

async fn run_with(thresholds: &[&str], extra: &[&'static str]) -> crate::support::Run {
    let flags = flags(thresholds, extra);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    run_against_demo("status_checks", &flags).await.0
}

#[tokio::test]
async fn passing_thresholds_exit_0_and_failing_ones_exit_4() {
    // With this seed, the first tasks of the 8 users hit all three endpoints.
    let base = ["--users", "8", "--run-time", "2s", "--seed", "3"];
    let passed = run_with(KINDS_PASSING, &base).await;
    passed.assert(passed.code == 0, "every threshold passes");
    for threshold in KINDS_PASSING {
        let row = passed.stdout.lines().find(|line| line.contains(threshold));
        passed.assert(
            row.is_some_and(|row| row.trim_end().ends_with("pass")),
            &format!("{threshold} is reported as passed"),
        );
    }
    let failed = run_with(KINDS_FAILING, &base).await;
    failed.assert(failed.code == 4, "a failed threshold exits 4");
    for threshold in KINDS_FAILING {
        let row = failed.stdout.lines().find(|line| line.contains(threshold));
        failed.assert(
            row.is_some_and(|row| row.trim_end().ends_with("FAIL")),
            &format!("{threshold} is reported as failed"),
        );
    }
}

#[tokio::test]
async fn abort_on_fail_stops_the_run_early() {
    let run = run_with(
        &["p95<1us"],
        &[
            "--users",
            "2",
            "--run-time",
            "60s",
            "--abort-on-fail",
            "--abort-grace",
            "1s",
        ],
    )
    .await;
    run.assert(run.code == 4, "the failed threshold sets the exit code");
    run.assert(
        run.stdout.contains("aborted by a failed threshold"),
        "the run says why it ended",
    );
    // The header says `… tasks in 2.3s (aborted by a failed threshold)`.
    let seconds: f64 = run
        .stdout
        .split(" tasks in ")
        .nth(1)
        .and_then(|rest| rest.split('s').next()?.parse().ok())
        .unwrap_or(f64::MAX);
    run.assert(
        seconds < 15.0,
        &format!("the run ended after {seconds}s, long before its 60 s"),
    );
}

/// A scope with no data yet does not abort the run: its rows may come later. It fails at the
/// end if they never do.
#[tokio::test]
async fn abort_on_fail_waits_for_data_before_judging_a_scope() {
    let run = run_with(
        &["/no/such/row:p95<1s"],
        &[
            "--users",
            "2",
            "--run-time",
            "3s",
            "--abort-on-fail",
            "--abort-grace",
            "1s",
        ],
    )
    .await;
    run.assert(
        run.code == 4,
        "the scope never had data: it fails at the end",
    );
    run.assert(
        run.stdout.contains("(run time reached)") && !run.stdout.contains("aborted"),
        "the run went its whole time",
    );
}

#[tokio::test]
async fn a_malformed_threshold_is_bad_input() {
    let run = run_with(&["p95<3q"], &["--users", "1", "--run-time", "1s"]).await;
    run.assert(run.code == 2, "bad input exits 2");
    let lines: Vec<&str> = run.stderr.lines().collect();
    run.assert(
        lines.len() == 1
            && lines[0].starts_with("error: ")
            && lines[0].contains("--threshold")
            && lines[0].contains("`3q` is not a duration"),
        "one line naming the flag and the bad value",
    );
    run.assert(
        run.stdout.is_empty(),
        "no report for a run that never started",
    );
}

#[tokio::test]
async fn junit_reports_a_test_case_per_threshold_and_per_check() {
    let dir = crate::support::scratch_dir("junit");
    let path = dir.join("verdicts.xml");
    let path_text = path.display().to_string();
    let mut extra = vec!["--users", "8", "--run-time", "2s", "--seed", "3", "--junit"];
    extra.push(&path_text);
    let mut args = flags(&["p95<5s", "rps>=1000000"], &[]);
    args.extend(extra.iter().map(ToString::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (result, _) = run_against_demo("status_checks", &args).await;
    result.assert(result.code == 4, "a failed threshold exits 4");
    let xml = std::fs::read(&path).expect("the JUnit report is written");
    let report = quick_junit::Report::deserialize(&xml[..]).expect("well-formed JUnit XML");
    let suite = |name: &str| {
        report
            .test_suites
            .iter()
            .find(|suite| suite.name.as_str() == name)
            .unwrap_or_else(|| panic!("a `{name}` suite"))
    };
    let thresholds = suite("thresholds");
    let outcome = |case: &str| {
        thresholds
            .test_cases
            .iter()
            .find(|test| test.name.as_str() == case)
            .map(|test| matches!(test.status, quick_junit::TestCaseStatus::Success { .. }))
    };
    result.assert(
        outcome("p95<5s") == Some(true) && outcome("rps>=1000000") == Some(false),
        "one passing and one failing threshold test case",
    );
    result.assert(
        report.failures == 1 + suite("checks").failures && thresholds.failures == 1,
        "the report counts the failed threshold",
    );
    let checks = suite("checks");
    result.assert(
        !checks.test_cases.is_empty()
            && checks
                .test_cases
                .iter()
                .all(|case| result.stdout.contains(case.name.as_str())),
        "a test case per check of the console report",
    );
}

/// A server that answers nothing: every request is still in flight when the stop cuts it off,
/// so there are no latencies and no outcomes, and the latency and error-rate gates fail with
/// "no data" instead of passing on zeros.
#[tokio::test]
async fn requests_the_stop_cut_off_do_not_pass_latency_gates() {
    let gates = ["p95<300ms", "max<1s", "error_rate<1%"];
    let mut flags = vec![
        "--users",
        "2",
        "--run-time",
        "2s",
        "--stop-timeout",
        "1s",
        "--env",
        "EVERY=1",
        "--env",
        "STALL_MS=60000",
    ];
    for gate in gates {
        flags.extend(["--threshold", gate]);
    }
    let (run, served) = run_against_demo("slow_calls", &flags).await;
    run.assert(run.code == 4, "the gates fail");
    // Both users' first calls reached the server and stalled there until the stop.
    assert_eq!(served, 2, "the server saw both calls");
    assert_eq!(run.aggregated(), (2, 0), "both counted, neither a failure");
    run.assert(
        run.stdout
            .contains("2 requests were cut off in flight by the stop"),
        "both were cut off",
    );
    for gate in gates {
        let row = run.stdout.lines().find(|line| line.contains(gate));
        run.assert(
            row.is_some_and(|row| row.contains("no data") && row.trim_end().ends_with("FAIL")),
            &format!("{gate} fails with no data"),
        );
    }
    // Locust's N/A, not a latency of zero, in the percentile table.
    let percentiles = run
        .stdout
        .split("Response time percentiles")
        .nth(1)
        .unwrap_or("");
    let aggregated = percentiles.lines().find(|line| line.contains("Aggregated"));
    run.assert(
        aggregated.is_some_and(|line| line.contains("N/A")),
        "the percentiles show N/A",
    );
}
