//! Thresholds on a scenario's own metrics: `trend:NAME:p95<300`, `counter:NAME:count>10`,
//! `rate:NAME:rate>=0.9` (or `90%`), `gauge:NAME:max<50`. A trend's and a gauge's values are
//! plain numbers, in whatever unit the scenario records them.

use std::fmt;

use super::parse::{count_limit, number_and_unit, rate_limit, ratio_limit, time_stat};
use super::{Amount, Limit, Metric, Scope, TimeStat};

/// The kind of a custom metric, as a threshold's scope names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomKind {
    /// `trend:NAME`.
    Trend,
    /// `counter:NAME`.
    Counter,
    /// `rate:NAME`.
    Rate,
    /// `gauge:NAME`.
    Gauge,
}

impl CustomKind {
    const ALL: [CustomKind; 4] = [Self::Trend, Self::Counter, Self::Rate, Self::Gauge];

    /// The scope's prefix, without its `:`.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Trend => "trend",
            Self::Counter => "counter",
            Self::Rate => "rate",
            Self::Gauge => "gauge",
        }
    }

    /// The metrics of this kind, for "use one of" hints, with an example.
    fn metrics(self) -> &'static str {
        match self {
            Self::Trend => "p95, p99.9, med, avg, min, max or count, like trend:cart:p95<300",
            Self::Counter => "count or rate (per second), like counter:orders:count>=10",
            Self::Rate => "rate, like rate:cache_hit:rate>=90%",
            Self::Gauge => "value, min or max, like gauge:queue:max<50",
        }
    }
}

/// A statistic of a custom metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CustomStat {
    /// A trend's percentile, median, mean, least or greatest value.
    Value(TimeStat),
    /// A trend's values, or a counter's total.
    Count,
    /// A counter's total per second of the run.
    PerSecond,
    /// A rate's share of trues.
    Share,
    /// A gauge's last value.
    Last,
    /// A gauge's least value.
    Least,
    /// A gauge's greatest value.
    Greatest,
}

impl fmt::Display for CustomStat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(TimeStat::Percentile(p)) => write!(f, "p{p}"),
            Self::Value(TimeStat::Median) => f.write_str("med"),
            Self::Value(TimeStat::Avg) => f.write_str("avg"),
            Self::Value(TimeStat::Min) | Self::Least => f.write_str("min"),
            Self::Value(TimeStat::Max) | Self::Greatest => f.write_str("max"),
            Self::Count => f.write_str("count"),
            Self::PerSecond | Self::Share => f.write_str("rate"),
            Self::Last => f.write_str("value"),
        }
    }
}

/// `trend:NAME` and the like, or `None` for a scope of another kind.
pub(super) fn scope_of(scope: &str) -> Option<Result<Scope, String>> {
    CustomKind::ALL.into_iter().find_map(|kind| {
        let name = scope.strip_prefix(kind.prefix())?.strip_prefix(':')?.trim();
        Some(if name.is_empty() {
            Err(format!(
                "the {} has no name; write one like {}",
                kind.prefix(),
                kind.metrics().rsplit("like ").next().unwrap_or_default()
            ))
        } else {
            Ok(Scope::Custom {
                kind,
                name: name.to_string(),
            })
        })
    })
}

/// The statistic `name` of a metric of `kind`.
pub(super) fn metric_of(name: &str, kind: CustomKind) -> Result<Metric, String> {
    let stat = match (kind, name) {
        (CustomKind::Trend | CustomKind::Counter, "count") => Some(CustomStat::Count),
        (CustomKind::Trend, _) => time_stat(name)?.map(CustomStat::Value),
        (CustomKind::Counter, "rate") => Some(CustomStat::PerSecond),
        (CustomKind::Rate, "rate") => Some(CustomStat::Share),
        (CustomKind::Gauge, "value") => Some(CustomStat::Last),
        (CustomKind::Gauge, "min") => Some(CustomStat::Least),
        (CustomKind::Gauge, "max") => Some(CustomStat::Greatest),
        _ => None,
    };
    stat.map(Metric::Custom).ok_or_else(|| {
        format!(
            "`{name}` is not a {} metric; use {} (a request row of a name like this one is \
             named with its method first: GET {}:…)",
            kind.prefix(),
            kind.metrics(),
            kind.prefix()
        )
    })
}

/// The limit of a custom statistic.
pub(super) fn limit_of(value: &str, stat: CustomStat) -> Result<Limit, String> {
    match stat {
        CustomStat::Count => count_limit(value),
        CustomStat::PerSecond => rate_limit(value),
        CustomStat::Share => ratio_limit(value),
        CustomStat::Value(_) | CustomStat::Last | CustomStat::Least | CustomStat::Greatest => {
            number_limit(value)
        }
    }
}

/// A plain number like `300`, `12.5` or `-5`.
fn number_limit(value: &str) -> Result<Limit, String> {
    let (sign, magnitude) = match value.strip_prefix('-') {
        Some(magnitude) => (-1.0, magnitude),
        None => (1.0, value),
    };
    match number_and_unit(magnitude) {
        Some((number, "")) => Ok(Limit {
            amount: Amount::Number(sign * number),
            text: format!("{}", sign * number),
        }),
        _ => Err(format!("`{value}` is not a plain number like 300 or 12.5")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Threshold;

    #[test]
    fn custom_thresholds_read_back_as_written() {
        for text in [
            "trend:cart value:p95<300",
            "trend:cart value:avg>=12.5",
            "trend:cart value:count>0",
            "counter:orders:count>=10",
            "counter:orders:rate>1.5",
            "rate:cache hit:rate>=90%",
            "rate:cache hit:rate>=0.9",
            "gauge:queue:max<50",
            "gauge:queue:value==0",
            "gauge:temperature:min>-5",
        ] {
            let threshold = Threshold::parse(text).unwrap_or_else(|err| panic!("{err}"));
            assert_eq!(threshold.to_string(), text);
        }
    }

    #[test]
    fn a_request_row_named_like_a_custom_scope_is_named_with_its_method() {
        let threshold = Threshold::parse("GET rate:limit:p95<300ms").expect("a request row");
        assert_eq!(
            threshold.scope,
            super::super::Scope::Request {
                method: Some("GET".into()),
                name: "rate:limit".into()
            }
        );
        let hint = Threshold::parse("rate:limit:p95<300ms").expect_err("a rate");
        assert!(hint.contains("with its method first"), "{hint}");
    }

    #[test]
    fn custom_thresholds_name_what_is_wrong() {
        let error = |text: &str| Threshold::parse(text).expect_err(text);
        assert!(error("trend:cart:rate>1").contains("`rate` is not a trend metric"));
        assert!(error("gauge:q:p95<3").contains("use value, min or max"));
        assert!(error("rate:hit:count>3").contains("`count` is not a rate metric"));
        assert!(error("trend::p95<3").contains("the trend has no name"));
        assert!(error("trend:cart:p95<3ms").contains("not a plain number"));
        assert!(error("rate:hit:rate>2").contains("a fraction above 1"));
    }
}
