//! Parsing `[SCOPE:]METRIC OP VALUE` into a [`Threshold`]; every error is one line that quotes
//! the threshold, names the offending piece and shows an example of what would work.

use std::time::Duration;

use super::{Amount, Limit, Metric, Op, Scope, Threshold, TimeStat};

/// The metrics of request rows, for "use one of" hints.
const REQUEST_METRICS: &str =
    "p95, p99.9, med, avg, min, max, rt_p95, error_rate, failures, requests or rps";

/// Parses one threshold; the error quotes `text` and says what is wrong with it.
pub(super) fn threshold(text: &str) -> Result<Threshold, String> {
    let text = text.trim();
    let fail = |reason: String| format!("`{text}`: {reason}");
    if text.is_empty() {
        return Err(fail("empty threshold; write one like p95<300ms".into()));
    }
    // The metric expression never holds a `:`, so the scope is everything before the last one.
    let (scope, expression) = match text.rsplit_once(':') {
        Some((scope, expression)) => (scope_of(scope.trim()).map_err(fail)?, expression),
        None => (Scope::All, text),
    };
    let (metric, op, value) = split_comparison(expression).map_err(fail)?;
    let metric = metric_of(metric, &scope).map_err(fail)?;
    let limit = limit_of(value, &metric).map_err(fail)?;
    Ok(Threshold {
        scope,
        metric,
        op,
        limit,
    })
}

/// `check:NAME`, `METHOD NAME` or a bare request name.
fn scope_of(scope: &str) -> Result<Scope, String> {
    if scope.is_empty() {
        return Err(
            "nothing before `:`; name a request like /api/orders:p95<300ms \
                    or leave the scope out"
                .into(),
        );
    }
    if let Some(custom) = super::custom::scope_of(scope) {
        return custom;
    }
    if let Some(name) = scope.strip_prefix("check:") {
        let name = name.trim();
        if name.is_empty() {
            return Err(
                "the check has no name; write one like check:status is 200:rate>=99%".into(),
            );
        }
        return Ok(Scope::Check(name.to_string()));
    }
    if let Some((method, name)) = scope.split_once(' ') {
        if is_method(method) && !name.is_empty() {
            return Ok(Scope::Request {
                method: Some(method.to_string()),
                name: name.to_string(),
            });
        }
    }
    Ok(Scope::Request {
        method: None,
        name: scope.to_string(),
    })
}

/// An HTTP method token as wasmload records it: upper-case letters.
fn is_method(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_uppercase())
}

/// Splits `METRIC OP VALUE` at the first comparison operator.
fn split_comparison(expression: &str) -> Result<(&str, Op, &str), String> {
    let Some(start) = expression.find(['<', '>', '=', '!']) else {
        return Err(format!(
            "no comparison in `{}`; write one like p95<300ms",
            expression.trim()
        ));
    };
    let (metric, rest) = expression.split_at(start);
    let (op, len) = match rest.as_bytes() {
        [b'<', b'=', ..] => (Op::Le, 2),
        [b'>', b'=', ..] => (Op::Ge, 2),
        [b'=', b'=', ..] => (Op::Eq, 2),
        [b'!', b'=', ..] => (Op::Ne, 2),
        [b'<', ..] => (Op::Lt, 1),
        [b'>', ..] => (Op::Gt, 1),
        _ => {
            let token = &rest[..1];
            return Err(format!(
                "`{token}` is not a comparison; use <, <=, >, >=, == or !=, like p95<=300ms"
            ));
        }
    };
    let (metric, value) = (metric.trim(), rest[len..].trim());
    if metric.is_empty() {
        return Err(format!(
            "no metric before `{op}`; write one like p95{op}300ms"
        ));
    }
    if value.is_empty() {
        return Err(format!(
            "no value after `{metric}{op}`; write one like p95<300ms"
        ));
    }
    Ok((metric, op, value))
}

/// The metric named `name`, if it fits the scope.
fn metric_of(name: &str, scope: &Scope) -> Result<Metric, String> {
    if let Scope::Custom { kind, .. } = scope {
        return super::custom::metric_of(name, *kind);
    }
    if let Scope::Check(_) = scope {
        return match name {
            "rate" => Ok(Metric::CheckRate),
            "failures" => Ok(Metric::CheckFailures),
            "passes" => Ok(Metric::CheckPasses),
            _ => Err(format!(
                "`{name}` is not a check metric; use rate, failures or passes, \
                 like check:status is 200:rate>=99%"
            )),
        };
    }
    match name {
        "error_rate" => return Ok(Metric::ErrorRate),
        "failures" => return Ok(Metric::Failures),
        "requests" => return Ok(Metric::Requests),
        "rps" => return Ok(Metric::Rps),
        "rate" | "passes" => {
            return Err(format!(
                "`{name}` is a check metric; write it like check:status is 200:{name}>=99%"
            ))
        }
        _ => {}
    }
    let (stat_name, from_intended_start) = match name.strip_prefix("rt_") {
        Some(rest) => (rest, true),
        None => (name, false),
    };
    match time_stat(stat_name)? {
        Some(stat) => Ok(Metric::Time {
            stat,
            from_intended_start,
        }),
        None => Err(format!("`{name}` is not a metric; use {REQUEST_METRICS}")),
    }
}

/// `p95`, `med`, `avg`, `min` or `max`; `None` for anything else.
pub(super) fn time_stat(name: &str) -> Result<Option<TimeStat>, String> {
    let stat = match name {
        "med" => TimeStat::Median,
        "avg" => TimeStat::Avg,
        "min" => TimeStat::Min,
        "max" => TimeStat::Max,
        _ => {
            let Some(digits) = name.strip_prefix('p') else {
                return Ok(None);
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return Ok(None);
            }
            match digits.parse::<f64>() {
                Ok(p) if p > 0.0 && p <= 100.0 => TimeStat::Percentile(p),
                _ => {
                    return Err(format!(
                        "`{name}` is not a percentile above 0 and at most 100, like p95 or p99.9"
                    ))
                }
            }
        }
    };
    Ok(Some(stat))
}

/// The value, read with the units that fit `metric`.
fn limit_of(value: &str, metric: &Metric) -> Result<Limit, String> {
    match metric {
        Metric::Time { .. } => duration_limit(value),
        Metric::ErrorRate | Metric::CheckRate => ratio_limit(value),
        Metric::Failures | Metric::Requests | Metric::CheckFailures | Metric::CheckPasses => {
            count_limit(value)
        }
        Metric::Rps => rate_limit(value),
        Metric::Custom(stat) => super::custom::limit_of(value, *stat),
    }
}

/// Splits `1.5 s` into 1.5 and `s`: the number is plain decimal, never negative.
pub(super) fn number_and_unit(value: &str) -> Option<(f64, &str)> {
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let number: f64 = value[..end].parse().ok()?;
    number.is_finite().then_some((number, value[end..].trim()))
}

/// A duration: `us`/`µs`, `ms`, `s`, `m`; a bare number is milliseconds, as in k6.
fn duration_limit(value: &str) -> Result<Limit, String> {
    let not_duration = || format!("`{value}` is not a duration like 300ms or 1.5s");
    let (number, unit) = number_and_unit(value).ok_or_else(not_duration)?;
    let (nanos_per_unit, unit) = match unit {
        "" | "ms" => (1e6, "ms"),
        "us" | "µs" | "μs" => (1e3, "us"),
        "s" => (1e9, "s"),
        "m" => (60e9, "m"),
        _ => return Err(not_duration()),
    };
    let nanos = (number * nanos_per_unit).round();
    if nanos >= u64::MAX as f64 {
        return Err(format!(
            "`{value}` is too long a duration; write one like 1.5s"
        ));
    }
    Ok(Limit {
        amount: Amount::Time(Duration::from_nanos(nanos as u64)),
        text: format!("{number}{unit}"),
    })
}

/// A ratio: a percentage like `1%` or a fraction like `0.01`.
pub(super) fn ratio_limit(value: &str) -> Result<Limit, String> {
    let not_ratio = || format!("`{value}` is not a percentage like 1% or a fraction like 0.01");
    let (number, unit) = number_and_unit(value).ok_or_else(not_ratio)?;
    let (ratio, text) = match unit {
        "%" if number <= 100.0 => (number / 100.0, format!("{number}%")),
        "%" => return Err(format!("`{value}` is more than 100%; write one like 1%")),
        "" if number <= 1.0 => (number, format!("{number}")),
        "" => {
            return Err(format!(
                "`{value}` is a fraction above 1; write {number}% for a percentage"
            ))
        }
        _ => return Err(not_ratio()),
    };
    Ok(Limit {
        amount: Amount::Ratio(ratio),
        text,
    })
}

/// A whole count like `10`.
pub(super) fn count_limit(value: &str) -> Result<Limit, String> {
    match number_and_unit(value) {
        Some((number, "")) if number.fract() == 0.0 && number < u64::MAX as f64 => Ok(Limit {
            amount: Amount::Count(number as u64),
            text: format!("{number}"),
        }),
        _ => Err(format!("`{value}` is not a whole count like 10")),
    }
}

/// Requests per second: `100` or `100/s`.
pub(super) fn rate_limit(value: &str) -> Result<Limit, String> {
    match number_and_unit(value) {
        Some((number, "" | "/s")) => Ok(Limit {
            amount: Amount::Rate(number),
            text: format!("{number}"),
        }),
        _ => Err(format!("`{value}` is not a rate like 100 or 100/s")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Threshold {
        match threshold(text) {
            Ok(threshold) => threshold,
            Err(err) => panic!("{text} should parse: {err}"),
        }
    }

    fn error(text: &str) -> String {
        match threshold(text) {
            Ok(threshold) => panic!("{text} should not parse, got {threshold}"),
            Err(err) => err,
        }
    }

    fn time_limit(text: &str) -> Duration {
        match parsed(text).limit.amount {
            Amount::Time(duration) => duration,
            other => panic!("{text}: expected a duration, got {other:?}"),
        }
    }

    #[test]
    fn duration_metrics_and_units() {
        let t = parsed("p95<300ms");
        assert_eq!(t.scope, Scope::All);
        assert_eq!(
            t.metric,
            Metric::Time {
                stat: TimeStat::Percentile(95.0),
                from_intended_start: false
            }
        );
        assert_eq!(t.op, Op::Lt);
        assert_eq!(time_limit("p95<300ms"), Duration::from_millis(300));
        assert_eq!(time_limit("p99.9 <= 1.5s"), Duration::from_millis(1500));
        assert_eq!(time_limit("avg<250"), Duration::from_millis(250));
        assert_eq!(time_limit("max<750us"), Duration::from_micros(750));
        assert_eq!(time_limit("max<750µs"), Duration::from_micros(750));
        assert_eq!(time_limit("min>2m"), Duration::from_secs(120));
        assert_eq!(time_limit("med<287.4ms"), Duration::from_micros(287_400));
        assert_eq!(time_limit("p90 < 0.3 s"), Duration::from_millis(300));
        assert_eq!(
            parsed("p99.9<1s").metric,
            Metric::Time {
                stat: TimeStat::Percentile(99.9),
                from_intended_start: false
            }
        );
        assert_eq!(
            parsed("rt_p95<1s").metric,
            Metric::Time {
                stat: TimeStat::Percentile(95.0),
                from_intended_start: true
            }
        );
        for (text, stat) in [
            ("med<1", TimeStat::Median),
            ("avg<1", TimeStat::Avg),
            ("min<1", TimeStat::Min),
            ("rt_max<1", TimeStat::Max),
        ] {
            match parsed(text).metric {
                Metric::Time { stat: actual, .. } => assert_eq!(actual, stat, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            parsed("p100<1").metric,
            Metric::Time {
                stat: TimeStat::Percentile(p),
                ..
            } if p == 100.0
        ));
    }

    #[test]
    fn every_operator() {
        for (text, op) in [
            ("p95<1", Op::Lt),
            ("p95<=1", Op::Le),
            ("p95>1", Op::Gt),
            ("p95>=1", Op::Ge),
            ("p95==1", Op::Eq),
            ("p95!=1", Op::Ne),
            ("p95 >= 1", Op::Ge),
        ] {
            assert_eq!(parsed(text).op, op, "{text}");
        }
    }

    #[test]
    fn ratios_counts_and_rates() {
        assert_eq!(parsed("error_rate<1%").limit.amount, Amount::Ratio(0.01));
        assert_eq!(parsed("error_rate<0.01").limit.amount, Amount::Ratio(0.01));
        assert_eq!(parsed("error_rate<=0%").limit.amount, Amount::Ratio(0.0));
        assert_eq!(parsed("failures<10").limit.amount, Amount::Count(10));
        assert_eq!(parsed("failures<10").metric, Metric::Failures);
        assert_eq!(parsed("requests>=1000").metric, Metric::Requests);
        assert_eq!(parsed("rps>50").limit.amount, Amount::Rate(50.0));
        assert_eq!(parsed("rps>50.5/s").limit.amount, Amount::Rate(50.5));
        assert_eq!(parsed("rps>50").metric, Metric::Rps);
    }

    #[test]
    fn scopes() {
        let t = parsed("check:status is 200:rate>=99%");
        assert_eq!(t.scope, Scope::Check("status is 200".into()));
        assert_eq!(t.metric, Metric::CheckRate);
        assert_eq!(t.limit.amount, Amount::Ratio(0.99));
        assert_eq!(
            parsed("check:has body:failures==0").metric,
            Metric::CheckFailures
        );
        assert_eq!(
            parsed("check:has body:passes>0").metric,
            Metric::CheckPasses
        );
        assert_eq!(
            parsed("check:a:b:rate>50%").scope,
            Scope::Check("a:b".into())
        );
        assert_eq!(
            parsed("/api/v1/orders:p95<300ms").scope,
            Scope::Request {
                method: None,
                name: "/api/v1/orders".into()
            }
        );
        assert_eq!(
            parsed(" GET /api/v1/orders : p95 < 300ms ").scope,
            Scope::Request {
                method: Some("GET".into()),
                name: "/api/v1/orders".into()
            }
        );
        assert_eq!(
            parsed("http://other:8080/x:max<1s").scope,
            Scope::Request {
                method: None,
                name: "http://other:8080/x".into()
            }
        );
        assert_eq!(
            parsed("login flow:avg<1s").scope,
            Scope::Request {
                method: None,
                name: "login flow".into()
            }
        );
    }

    #[test]
    fn display_gives_back_the_normalised_text() {
        for (text, normal) in [
            ("p95<300ms", "p95<300ms"),
            (" p95 <= 300 ", "p95<=300ms"),
            ("p99.9<1.50s", "p99.9<1.5s"),
            ("rt_avg>=750µs", "rt_avg>=750us"),
            ("med!=2m", "med!=2m"),
            ("error_rate < 1%", "error_rate<1%"),
            ("error_rate<0.01", "error_rate<0.01"),
            ("rps>100/s", "rps>100"),
            ("requests==1000", "requests==1000"),
            ("GET /a : failures < 3", "GET /a:failures<3"),
            (
                "check: status is 200 :rate>=99.5%",
                "check:status is 200:rate>=99.5%",
            ),
        ] {
            let shown = parsed(text).to_string();
            assert_eq!(shown, normal, "{text}");
            assert_eq!(parsed(&shown), parsed(text), "{text} round trip");
        }
    }

    #[test]
    fn a_bad_value_names_itself_and_shows_an_example() {
        assert_eq!(
            error("p95<3q"),
            "`p95<3q`: `3q` is not a duration like 300ms or 1.5s"
        );
        assert!(error("p95<5%").contains("`5%` is not a duration like 300ms"));
        assert!(error("p95<-5ms").contains("`-5ms` is not a duration"));
        assert!(error("p95<ms").contains("`ms` is not a duration"));
        assert!(error("p95<1.2.3ms").contains("`1.2.3ms` is not a duration"));
        assert!(error("rps>2s").contains("`2s` is not a rate like 100"));
        assert!(error("error_rate<5ms").contains("`5ms` is not a percentage like 1%"));
        assert!(error("error_rate<5").contains("write 5% for a percentage"));
        assert!(error("error_rate<150%").contains("more than 100%"));
        assert!(error("failures<1.5").contains("`1.5` is not a whole count like 10"));
        assert!(error("requests>10%").contains("`10%` is not a whole count"));
        assert!(error("check:x:rate>=99ms").contains("`99ms` is not a percentage"));
    }

    #[test]
    fn bad_metrics_operators_and_scopes_are_errors() {
        assert!(error("p96x<3").contains("`p96x` is not a metric; use p95"));
        assert!(error("rt_error_rate<1%").contains("`rt_error_rate` is not a metric"));
        assert!(error("p0<3").contains("`p0` is not a percentile above 0"));
        assert!(error("p101<3").contains("`p101` is not a percentile"));
        assert!(error("rate>99%").contains("`rate` is a check metric"));
        assert!(error("check:ok:p95<3").contains("`p95` is not a check metric"));
        assert!(error("p95 300ms").contains("no comparison in `p95 300ms`"));
        assert!(error("p95=300ms").contains("`=` is not a comparison"));
        assert!(error("p95<").contains("no value after `p95<`"));
        assert!(error("<300ms").contains("no metric before `<`"));
        assert!(error(":p95<3").contains("nothing before `:`"));
        assert!(error("check::rate>1%").contains("the check has no name"));
        assert!(error("   ").contains("empty threshold"));
        assert!(error("p95<<3").starts_with("`p95<<3`: `<3` is not a duration"));
    }
}
