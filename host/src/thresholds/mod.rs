//! Thresholds: pass/fail gates on a run's statistics, like k6's, that decide the exit code.
//!
//! A threshold is one string, `[SCOPE:]METRIC OP VALUE`, e.g. `p95<300ms`,
//! `GET /api/orders:error_rate<1%` or `check:status is 200:rate>=99%`. [`Threshold::parse`]
//! reads it, [`evaluate`] measures each one against the run's [`RunStats`], and [`render`]
//! prints the verdicts as a table. A scope that matches nothing fails with "no data", so a
//! typo in a name cannot pass silently.

mod parse;

use std::cmp::Ordering;
use std::fmt::{self, Write};
use std::str::FromStr;
use std::time::Duration;

use crate::metrics::{CheckCount, RequestKey, RequestStats, RunStats};

/// What [`Verdict::measured`] says when the scope matched no requests or no check.
pub const NO_DATA: &str = "no data";

/// One pass/fail gate, e.g. `p95<300ms`; parse it with [`Threshold::parse`] or `str::parse`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    scope: Scope,
    metric: Metric,
    op: Op,
    limit: Limit,
}

impl Threshold {
    /// Parses `[SCOPE:]METRIC OP VALUE`; the error is one line naming the bad part, with an example.
    pub fn parse(text: &str) -> Result<Self, String> {
        parse::threshold(text)
    }
}

impl FromStr for Threshold {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::parse(text)
    }
}

/// The normalised text: no spaces around tokens, bare milliseconds written as `ms`.
impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            Scope::All => {}
            Scope::Request {
                method: Some(method),
                name,
            } => write!(f, "{method} {name}:")?,
            Scope::Request { method: None, name } => write!(f, "{name}:")?,
            Scope::Check(name) => write!(f, "check:{name}:")?,
        }
        write!(f, "{}{}{}", self.metric, self.op, self.limit.text)
    }
}

/// Which statistics a threshold reads.
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    /// All requests together (Locust's "Aggregated" row).
    All,
    /// The rows with this name, of one method or of all of them.
    Request {
        method: Option<String>,
        name: String,
    },
    /// One named check.
    Check(String),
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Metric {
    /// A latency statistic; `from_intended_start` reads the response-time distribution.
    Time {
        stat: TimeStat,
        from_intended_start: bool,
    },
    ErrorRate,
    Failures,
    Requests,
    Rps,
    CheckRate,
    CheckFailures,
    CheckPasses,
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Time {
                stat,
                from_intended_start,
            } => {
                if *from_intended_start {
                    f.write_str("rt_")?;
                }
                match stat {
                    TimeStat::Percentile(p) => write!(f, "p{p}"),
                    TimeStat::Median => f.write_str("med"),
                    TimeStat::Avg => f.write_str("avg"),
                    TimeStat::Min => f.write_str("min"),
                    TimeStat::Max => f.write_str("max"),
                }
            }
            Self::ErrorRate => f.write_str("error_rate"),
            Self::Failures | Self::CheckFailures => f.write_str("failures"),
            Self::Requests => f.write_str("requests"),
            Self::Rps => f.write_str("rps"),
            Self::CheckRate => f.write_str("rate"),
            Self::CheckPasses => f.write_str("passes"),
        }
    }
}

/// A statistic of a latency distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeStat {
    Percentile(f64),
    Median,
    Avg,
    Min,
    Max,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    /// Whether `measured OP limit` holds, given how measured compares to limit.
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Eq => "==",
            Self::Ne => "!=",
        })
    }
}

/// The value on the right of the operator, and how to write it back.
#[derive(Debug, Clone, PartialEq)]
struct Limit {
    amount: Amount,
    text: String,
}

/// A quantity of one kind; a limit and a measurement compare only within the same kind.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Amount {
    Time(Duration),
    /// A fraction in 0..=1, shown as a percentage.
    Ratio(f64),
    Count(u64),
    /// Per second.
    Rate(f64),
}

impl Amount {
    /// How `self` (measured) compares to `limit`; `None` across kinds. Ratios and rates
    /// equal within rounding compare equal, so `error_rate<=1%` holds at exactly 1 in 100.
    fn compare(&self, limit: &Amount) -> Option<Ordering> {
        match (self, limit) {
            (Self::Time(a), Self::Time(b)) => Some(a.cmp(b)),
            (Self::Count(a), Self::Count(b)) => Some(a.cmp(b)),
            (Self::Ratio(a), Self::Ratio(b)) | (Self::Rate(a), Self::Rate(b)) => {
                if (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) {
                    Some(Ordering::Equal)
                } else {
                    Some(a.total_cmp(b))
                }
            }
            _ => None,
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Time(duration) => {
                let ms = duration.as_secs_f64() * 1000.0;
                if ms < 10.0 {
                    write!(f, "{ms:.2} ms")
                } else if ms < 10_000.0 {
                    write!(f, "{ms:.1} ms")
                } else {
                    write!(f, "{:.2} s", ms / 1000.0)
                }
            }
            Self::Ratio(ratio) => {
                let percent = ratio * 100.0;
                if percent > 0.0 && percent < 0.01 {
                    write!(f, "{percent:.4}%")
                } else {
                    write!(f, "{percent:.2}%")
                }
            }
            Self::Count(count) => write!(f, "{count}"),
            Self::Rate(rate) if rate < 10.0 => write!(f, "{rate:.2}/s"),
            Self::Rate(rate) => write!(f, "{rate:.1}/s"),
        }
    }
}

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
pub fn evaluate(thresholds: &[Threshold], stats: &RunStats, elapsed: Duration) -> Vec<Verdict> {
    thresholds
        .iter()
        .map(|threshold| {
            let measured = measure(threshold, stats, elapsed);
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
fn measure(threshold: &Threshold, stats: &RunStats, elapsed: Duration) -> Option<Amount> {
    if let Scope::Check(name) = &threshold.scope {
        return check_amount(threshold.metric, stats.checks.get(name)?);
    }
    let rows = matching_rows(&threshold.scope, stats);
    let from_intended_start = matches!(
        threshold.metric,
        Metric::Time {
            from_intended_start: true,
            ..
        }
    );
    let mut merged = RequestStats::new();
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
        } => {
            let exact = rows(&|key| key.name == *name && key.method == method.as_str());
            if exact.is_empty() {
                let whole = format!("{method} {name}");
                rows(&|key| key.name == whole)
            } else {
                exact
            }
        }
        Scope::Check(_) => Vec::new(),
    }
}

/// A request metric of a (merged, non-empty) row.
fn request_amount(metric: Metric, row: &RequestStats, elapsed: Duration) -> Option<Amount> {
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
        Metric::CheckRate | Metric::CheckFailures | Metric::CheckPasses => return None,
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
    use crate::metrics::{Event, Sample};

    fn request(stats: &mut RunStats, method: &'static str, name: &str, latency_ms: u64, ok: bool) {
        stats.apply(Event::Request(Sample {
            method: method.into(),
            name: name.into(),
            latency_us: latency_ms * 1000,
            bytes: 10,
            failure: (!ok).then(|| "HTTP 500".to_string()),
            tag: Default::default(),
        }));
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
        let mut stats = RunStats::default();
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
        let mut verdicts = evaluate(&[threshold], &run(), Duration::from_secs(10));
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
        let mut stats = RunStats::default();
        stats.apply(Event::Request(Sample {
            method: "GET".into(),
            name: "/slow".into(),
            latency_us: 1_000,
            bytes: 0,
            failure: None,
            tag: crate::metrics::SampleTag {
                scenario: 0,
                lateness_us: Some(2_000_000),
            },
        }));
        let judge = |text: &str| {
            let threshold = Threshold::parse(text).expect("valid threshold");
            evaluate(&[threshold], &stats, Duration::from_secs(1))[0].passed
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
        let mut stats = RunStats::default();
        for i in 0..1000 {
            request(&mut stats, "GET", "/a", 1, i >= 7);
        }
        let judge = |text: &str| {
            let threshold = Threshold::parse(text).expect("parses");
            evaluate(&[threshold], &stats, Duration::from_secs(1))[0].passed
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
            &RunStats::default(),
            Duration::from_secs(1),
        );
        assert_eq!(empty[0].measured, NO_DATA);
        assert!(!empty[0].passed);
    }

    #[test]
    fn rps_of_a_run_without_time_is_no_data() {
        let threshold = Threshold::parse("rps>0").expect("parses");
        let verdicts = evaluate(&[threshold], &run(), Duration::ZERO);
        assert_eq!(verdicts[0].measured, NO_DATA);
        assert!(!verdicts[0].passed);
    }

    #[test]
    fn a_name_that_only_looks_like_method_and_name_still_matches() {
        let mut stats = RunStats::default();
        request(&mut stats, "GET", "LOGIN flow", 20, true);
        let threshold = Threshold::parse("LOGIN flow:max<=20ms").expect("parses");
        let verdicts = evaluate(&[threshold], &stats, Duration::from_secs(1));
        assert!(verdicts[0].passed, "{verdicts:?}");
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

    #[test]
    fn render_shows_each_row_and_a_summary() {
        let thresholds: Vec<Threshold> = ["p95<=500ms", "error_rate<1%", "/typo:p95<1s"]
            .iter()
            .map(|text| text.parse().expect("parses"))
            .collect();
        let verdicts = evaluate(&thresholds, &run(), Duration::from_secs(10));
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
