//! Thresholds: measures each gate of the plan against a run's statistics, at the end of the
//! run (the verdicts decide the exit code) and, with `--abort-on-fail`, every second while it
//! goes on. A scope that matches nothing fails with "no data", so a typo in a name cannot pass
//! silently.

mod custom;
mod watch;

pub use watch::abort_on_failure;

use std::time::Duration;

use crate::metrics::{CheckCount, RequestKey, RequestStats, RunStats, GROUP_METHOD};
use crate::plan::threshold::{Amount, Metric, Scope, Threshold, TimeStat};

/// What [`Verdict::measured`] says when the scope matched no requests or no check.
pub const NO_DATA: &str = "no data";

/// The outcome of one threshold: what was measured and whether the gate held.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// The threshold's normalised text.
    pub threshold: String,
    /// The measured value, formatted ("287.4 ms", "0.52%", "512.3/s"), or [`NO_DATA`].
    pub measured: String,
    /// Whether the threshold held; `false` when there was no data.
    pub passed: bool,
}

/// Measures every threshold against the run's statistics; `elapsed` is the run time, for `rps`.
/// `users` are the scenarios' user names, in order: a run of several names its rows with them
/// (`APIUser: /users`), and a scope may too.
pub fn evaluate(
    thresholds: &[Threshold],
    stats: &RunStats,
    elapsed: Duration,
    users: &[String],
) -> Vec<Verdict> {
    thresholds
        .iter()
        .map(|threshold| {
            let measured = measure(threshold, stats, elapsed, users);
            let passed = measured
                .and_then(|amount| amount.compare(&threshold.limit.amount))
                .is_some_and(|ordering| threshold.op.holds(ordering));
            Verdict {
                threshold: threshold.to_string(),
                measured: measured.map_or_else(|| NO_DATA.to_string(), |m| m.to_string()),
                passed,
            }
        })
        .collect()
}

/// Whether every threshold held (true for none at all).
pub fn all_passed(verdicts: &[Verdict]) -> bool {
    verdicts.iter().all(|verdict| verdict.passed)
}

/// The response-time-from-intended-start distribution of one row, when the run recorded one
/// (arrival-rate runs).
fn response_of<'a>(stats: &'a RunStats, key: &RequestKey) -> Option<&'a RequestStats> {
    stats.requests.get(key).and_then(RequestStats::response)
}

/// The threshold's metric, or `None` when its scope matched nothing.
fn measure(
    threshold: &Threshold,
    stats: &RunStats,
    elapsed: Duration,
    users: &[String],
) -> Option<Amount> {
    if let Scope::Check(name) = &threshold.scope {
        return check_amount(threshold.metric, stats.checks.get(name)?);
    }
    if let (Scope::Custom { kind, name }, Metric::Custom(stat)) =
        (&threshold.scope, threshold.metric)
    {
        return custom::amount(*kind, name, stat, stats, elapsed);
    }
    let from_intended_start = matches!(
        threshold.metric,
        Metric::Time {
            from_intended_start: true,
            ..
        }
    );
    if threshold.scope == Scope::All {
        // The running total: no merge of every row (this runs every second while the
        // aggregator waits for its lock, with --abort-on-fail).
        let total = stats.total();
        let total = match total.response() {
            Some(response) if from_intended_start => response,
            _ => total,
        };
        return (total.count > 0)
            .then(|| request_amount(threshold.metric, total, elapsed))
            .flatten();
    }
    let mut rows = matching_rows(&threshold.scope, stats);
    if rows.is_empty() {
        rows = one_scenarios_rows(&threshold.scope, stats, users);
    }
    let mut merged = stats.empty_row();
    for (key, row) in rows {
        let row = if from_intended_start {
            response_of(stats, key).unwrap_or(row)
        } else {
            row
        };
        merged.merge(row);
    }
    if merged.count == 0 {
        return None;
    }
    request_amount(threshold.metric, &merged, elapsed)
}

/// The request rows a scope covers. `METHOD NAME` falls back to a row named with the whole
/// text, for names that merely look like they start with a method.
fn matching_rows<'a>(
    scope: &Scope,
    stats: &'a RunStats,
) -> Vec<(&'a RequestKey, &'a RequestStats)> {
    let rows = |wanted: &dyn Fn(&RequestKey) -> bool| -> Vec<_> {
        stats
            .requests
            .iter()
            .filter(|(key, _)| wanted(key))
            .collect()
    };
    match scope {
        Scope::All => stats.requests.iter().collect(),
        Scope::Request { method: None, name } => rows(&|key| key.name == *name),
        Scope::Request {
            method: Some(method),
            name,
        } if method == GROUP_METHOD => stats
            .groups
            .iter()
            .filter(|(key, _)| key.name == *name)
            .collect(),
        Scope::Request {
            method: Some(method),
            name,
        } => {
            let exact = rows(&|key| key.name == *name && key.method == method.as_str());
            if exact.is_empty() {
                let whole = format!("{method} {name}");
                rows(&|key| key.name == whole)
            } else {
                exact
            }
        }
        Scope::Check(_) | Scope::Custom { .. } => Vec::new(),
    }
}

/// The rows a scope names as a run of several scenarios shows them, `USER: name` (or
/// `METHOD USER: name`): that scenario's rows of that name.
fn one_scenarios_rows<'a>(
    scope: &Scope,
    stats: &'a RunStats,
    users: &[String],
) -> Vec<(&'a RequestKey, &'a RequestStats)> {
    let Scope::Request { method, name } = scope else {
        return Vec::new();
    };
    if users.len() < 2 || method.as_deref() == Some(GROUP_METHOD) {
        return Vec::new();
    }
    // Two scenarios may share a user name, and so the names of their rows.
    let named: Vec<(u16, &str)> = users
        .iter()
        .enumerate()
        .filter_map(|(index, user)| {
            let rest = name.strip_prefix(user.as_str())?.strip_prefix(": ")?;
            Some((u16::try_from(index).ok()?, rest))
        })
        .collect();
    stats
        .requests
        .iter()
        .filter(|(key, _)| {
            named
                .iter()
                .any(|&(scenario, rest)| key.scenario == scenario && key.name == rest)
                && method.as_deref().is_none_or(|method| key.method == method)
        })
        .collect()
}

/// A request metric of a (merged, non-empty) row. Latencies and the error rate need requests
/// that finished: requests the run's stop cut off have neither, so a row of only those has no
/// data (a server that answers nothing must not pass `p95<300ms`).
fn request_amount(metric: Metric, row: &RequestStats, elapsed: Duration) -> Option<Amount> {
    if matches!(metric, Metric::Time { .. } | Metric::ErrorRate) && row.measured() == 0 {
        return None;
    }
    Some(match metric {
        Metric::Time { stat, .. } => Amount::Time(match stat {
            TimeStat::Percentile(p) => row.percentile(p),
            TimeStat::Median => row.percentile(50.0),
            TimeStat::Avg => row.mean(),
            TimeStat::Min => row.min(),
            TimeStat::Max => row.max(),
        }),
        Metric::ErrorRate => Amount::Ratio(row.failure_ratio()),
        Metric::Failures => Amount::Count(row.failures),
        Metric::Requests => Amount::Count(row.count),
        Metric::Rps if elapsed.is_zero() => return None,
        Metric::Rps => Amount::Rate(row.count as f64 / elapsed.as_secs_f64()),
        Metric::CheckRate | Metric::CheckFailures | Metric::CheckPasses | Metric::Custom(_) => {
            return None
        }
    })
}

/// A check metric; `None` if the check never ran.
fn check_amount(metric: Metric, count: &CheckCount) -> Option<Amount> {
    let total = count.passed + count.failed;
    if total == 0 {
        return None;
    }
    match metric {
        Metric::CheckRate => Some(Amount::Ratio(count.passed as f64 / total as f64)),
        Metric::CheckFailures => Some(Amount::Count(count.failed)),
        Metric::CheckPasses => Some(Amount::Count(count.passed)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Event, Sample};

    fn request(stats: &mut RunStats, method: &'static str, name: &str, latency_ms: u64, ok: bool) {
        stats.apply(crate::test_support::request(method, name, latency_ms, ok));
    }

    fn check(stats: &mut RunStats, name: &str, passed: bool) {
        stats.apply(Event::Check {
            name: name.into(),
            passed,
        });
    }

    /// `GET /orders` 1..=100 ms (2 failures), `POST /orders` 500 ms x10 (1 failure),
    /// `GET /users` 5 ms x10; check `status is 200` 99 passes, 1 fail.
    fn run() -> RunStats {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        for ms in 1..=100 {
            request(&mut stats, "GET", "/orders", ms, ms % 50 != 0);
        }
        for i in 0..10 {
            request(&mut stats, "POST", "/orders", 500, i != 0);
        }
        for _ in 0..10 {
            request(&mut stats, "GET", "/users", 5, true);
        }
        for i in 0..100 {
            check(&mut stats, "status is 200", i != 0);
        }
        stats
    }

    fn verdict(text: &str) -> Verdict {
        let threshold = match Threshold::parse(text) {
            Ok(threshold) => threshold,
            Err(err) => panic!("{err}"),
        };
        let mut verdicts = evaluate(&[threshold], &run(), Duration::from_secs(10), &[]);
        verdicts.remove(0)
    }

    fn passes(text: &str) {
        let verdict = verdict(text);
        assert!(verdict.passed, "{text} should pass: {verdict:?}");
    }

    fn fails(text: &str) {
        let verdict = verdict(text);
        assert!(!verdict.passed, "{text} should fail: {verdict:?}");
    }

    #[test]
    fn percentiles_and_latency_statistics() {
        // All 120 requests: 100 of 1..=100 ms, 10 of 5 ms, 10 of 500 ms.
        passes("p50<60ms");
        fails("p50<40ms");
        passes("p95<=500ms");
        passes("p90<100ms");
        fails("p90<90ms");
        passes("max==500ms");
        fails("max<500ms");
        passes("min==1ms");
        passes("/orders:p99>=500");
        passes("GET /orders:p99<=100ms");
        passes("GET /orders:med<=51ms");
        passes("GET /orders:avg==50.5ms");
        fails("GET /orders:avg>50.5ms");
        passes("/users:max<=5ms");
        fails("/users:max<5ms");
        passes("POST /orders:min>=0.5s");
        assert_eq!(verdict("GET /orders:avg<1s").measured, "50.5 ms");
        assert_eq!(verdict("/users:avg<1s").measured, "5.00 ms");
    }

    #[test]
    fn response_time_metrics_fall_back_to_service_time() {
        passes("rt_max==500ms");
        fails("rt_p50>100ms");
        assert_eq!(verdict("GET /orders:rt_avg<1s").measured, "50.5 ms");
    }

    #[test]
    fn response_time_metrics_read_the_time_from_the_intended_start() {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        stats.apply(Event::Request(Sample {
            method: "GET".into(),
            name: "/slow".into(),
            latency_us: 1_000,
            bytes: 0,
            failure: None,
            tag: crate::metrics::SampleTag {
                lateness_us: Some(2_000_000),
                ..Default::default()
            },
        }));
        let judge = |text: &str| {
            let threshold = Threshold::parse(text).expect("valid threshold");
            evaluate(&[threshold], &stats, Duration::from_secs(1), &[])[0].passed
        };
        assert!(judge("max<10ms"));
        assert!(!judge("rt_max<10ms"));
        assert!(judge("rt_max>2s"));
    }

    #[test]
    fn counts_ratios_and_rates() {
        // 3 failures in 120 requests over 10 s.
        passes("failures==3");
        fails("failures<3");
        passes("failures<=3");
        passes("requests==120");
        fails("requests>120");
        passes("error_rate<2.6%");
        fails("error_rate<2.5%");
        passes("error_rate<=2.5%");
        passes("error_rate<=0.025");
        assert_eq!(verdict("error_rate<1%").measured, "2.50%");
        passes("rps>=12");
        fails("rps>12");
        assert_eq!(verdict("rps>1").measured, "12.0/s");
        passes("GET /orders:error_rate==2%");
        passes("POST /orders:error_rate==10%");
        passes("POST /orders:failures==1");
        passes("/orders:failures==3");
        passes("/orders:requests==110");
        passes("/users:error_rate==0%");
        passes("GET /users:rps==1");
    }

    #[test]
    fn equality_on_the_boundary_fails_strict_and_passes_inclusive() {
        fails("max<500ms");
        passes("max<=500ms");
        fails("max>500ms");
        passes("max>=500ms");
        passes("max!=499ms");
        fails("max!=500ms");
        fails("requests<120");
        passes("requests<=120");
        fails("check:status is 200:rate>99%");
        passes("check:status is 200:rate>=99%");
        passes("check:status is 200:rate>=0.99");
    }

    #[test]
    fn a_ratio_on_the_boundary_is_equal_despite_float_rounding() {
        // 0.7 / 100 is 0.006999999999999999 in f64, while 7 / 1000 is 0.007.
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        for i in 0..1000 {
            request(&mut stats, "GET", "/a", 1, i >= 7);
        }
        let judge = |text: &str| {
            let threshold = Threshold::parse(text).expect("parses");
            evaluate(&[threshold], &stats, Duration::from_secs(1), &[])[0].passed
        };
        assert!(judge("error_rate<=0.7%"));
        assert!(judge("error_rate==0.7%"));
        assert!(!judge("error_rate<0.7%"));
        assert!(!judge("error_rate>0.7%"));
        assert!(judge("error_rate>=0.007"));
    }

    #[test]
    fn checks() {
        passes("check:status is 200:failures==1");
        passes("check:status is 200:passes==99");
        fails("check:status is 200:failures<1");
        fails("check:status is 200:rate>=99.5%");
        assert_eq!(verdict("check:status is 200:rate>1%").measured, "99.00%");
    }

    #[test]
    fn a_scope_matching_nothing_fails_with_no_data() {
        for text in [
            "/order:p95<1s",
            "DELETE /orders:failures<1000",
            "check:status is 201:rate>=0%",
            "/nowhere:requests>=0",
        ] {
            let verdict = verdict(text);
            assert!(!verdict.passed, "{text}");
            assert_eq!(verdict.measured, NO_DATA, "{text}");
        }
        let empty = evaluate(
            &[Threshold::parse("error_rate<1%").expect("parses")],
            &RunStats::new(&[]).expect("a valid layout"),
            Duration::from_secs(1),
            &[],
        );
        assert_eq!(empty[0].measured, NO_DATA);
        assert!(!empty[0].passed);
    }

    #[test]
    fn rps_of_a_run_without_time_is_no_data() {
        let threshold = Threshold::parse("rps>0").expect("parses");
        let verdicts = evaluate(&[threshold], &run(), Duration::ZERO, &[]);
        assert_eq!(verdicts[0].measured, NO_DATA);
        assert!(!verdicts[0].passed);
    }

    #[test]
    fn a_name_that_only_looks_like_method_and_name_still_matches() {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        request(&mut stats, "GET", "LOGIN flow", 20, true);
        let threshold = Threshold::parse("LOGIN flow:max<=20ms").expect("parses");
        let verdicts = evaluate(&[threshold], &stats, Duration::from_secs(1), &[]);
        assert!(verdicts[0].passed, "{verdicts:?}");
    }

    #[test]
    fn requests_the_stop_cut_off_have_no_latency_to_pass_with() {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        for _ in 0..4 {
            let Event::Request(sample) = crate::test_support::request("GET", "/slow", 0, true)
            else {
                unreachable!("a request event")
            };
            stats.apply(Event::Cancelled(sample));
        }
        let judged = |text: &str| {
            let threshold = Threshold::parse(text).expect("parses");
            evaluate(&[threshold], &stats, Duration::from_secs(1), &[]).remove(0)
        };
        for text in ["p95<300ms", "max<1s", "/slow:avg<100ms", "error_rate<1%"] {
            let verdict = judged(text);
            assert!(!verdict.passed, "{text}: {verdict:?}");
            assert_eq!(verdict.measured, NO_DATA, "{text}");
        }
        assert!(judged("requests>3").passed, "they were still sent");
    }

    #[test]
    fn a_scope_may_name_one_scenario_of_a_mixed_run_as_the_report_does() {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        for (scenario, count) in [(0u16, 3), (1, 5)] {
            for _ in 0..count {
                let Event::Request(mut sample) =
                    crate::test_support::request("GET", "/users", 5, true)
                else {
                    unreachable!("a request event")
                };
                sample.tag.scenario = scenario;
                stats.apply(Event::Request(sample));
            }
        }
        let users = ["Browser".to_string(), "APIUser".to_string()];
        let measured = |text: &str, users: &[String]| {
            let threshold = Threshold::parse(text).expect("parses");
            evaluate(&[threshold], &stats, Duration::from_secs(1), users).remove(0)
        };
        assert_eq!(measured("APIUser: /users:requests>0", &users).measured, "5");
        assert_eq!(
            measured("GET Browser: /users:requests>0", &users).measured,
            "3"
        );
        assert_eq!(measured("/users:requests>0", &users).measured, "8");
        assert_eq!(
            measured("POST APIUser: /users:requests>0", &users).measured,
            NO_DATA
        );
        assert_eq!(
            measured("Nobody: /users:requests>0", &users).measured,
            NO_DATA
        );
        // Two scenarios of one user name share the names of their rows.
        let twins = ["APIUser".to_string(), "APIUser".to_string()];
        assert_eq!(measured("APIUser: /users:requests>0", &twins).measured, "8");
        // With one scenario the rows carry no user's name.
        assert_eq!(
            measured("APIUser: /users:requests>0", &users[1..]).measured,
            NO_DATA
        );
    }

    #[test]
    fn verdicts_carry_the_normalised_text() {
        assert_eq!(
            verdict(" GET /orders : p95 < 300 ").threshold,
            "GET /orders:p95<300ms"
        );
    }

    #[test]
    fn all_passed_needs_every_verdict() {
        let ok = Verdict {
            threshold: "p95<1s".into(),
            measured: "1.00 ms".into(),
            passed: true,
        };
        let bad = Verdict {
            passed: false,
            ..ok.clone()
        };
        assert!(all_passed(&[]));
        assert!(all_passed(&[ok.clone(), ok.clone()]));
        assert!(!all_passed(&[ok, bad]));
    }
}
