//! The grammar of thresholds, k6-style pass/fail gates: `[SCOPE:]METRIC OP VALUE`, e.g.
//! `p95<300ms`, `GET /api/orders:error_rate<1%` or `check:status is 200:rate>=99%`.
//! [`Threshold::parse`] reads one; the `thresholds` room measures it against a run.

mod custom;
mod parse;

pub use custom::{CustomKind, CustomStat};

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One pass/fail gate, e.g. `p95<300ms`; parse it with [`Threshold::parse`] or `str::parse`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Which statistics it reads.
    pub scope: Scope,
    /// What it measures.
    pub metric: Metric,
    /// How the measurement compares to the limit.
    pub op: Op,
    /// The value on the right.
    pub limit: Limit,
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
            Scope::Custom { kind, name } => write!(f, "{}:{name}:", kind.prefix())?,
        }
        write!(f, "{}{}{}", self.metric, self.op, self.limit.text)
    }
}

/// Which statistics a threshold reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// All requests together (Locust's "Aggregated" row).
    All,
    /// The rows with this name, of one method or of all of them.
    Request {
        /// The method, or `None` for every method.
        method: Option<String>,
        /// The row name.
        name: String,
    },
    /// One named check.
    Check(String),
    /// One of the scenario's own metrics.
    Custom {
        /// Trend, counter, rate or gauge.
        kind: CustomKind,
        /// Its name.
        name: String,
    },
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// A latency statistic; `from_intended_start` reads the response-time distribution.
    Time {
        /// Which statistic.
        stat: TimeStat,
        /// Whether it is timed from the iteration's intended start (`rt_`).
        from_intended_start: bool,
    },
    /// Failed requests over requests.
    ErrorRate,
    /// Failed requests.
    Failures,
    /// Requests.
    Requests,
    /// Requests per second of the run.
    Rps,
    /// A check's passes over its runs.
    CheckRate,
    /// A check's failures.
    CheckFailures,
    /// A check's passes.
    CheckPasses,
    /// A statistic of a custom metric.
    Custom(CustomStat),
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
            Self::Custom(stat) => write!(f, "{stat}"),
        }
    }
}

/// A statistic of a latency distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeStat {
    /// `pNN`.
    Percentile(f64),
    /// `med`.
    Median,
    /// `avg`.
    Avg,
    /// `min`.
    Min,
    /// `max`.
    Max,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// Whether `measured OP limit` holds, given how measured compares to limit.
    pub fn holds(self, ordering: Ordering) -> bool {
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
pub struct Limit {
    /// The quantity.
    pub amount: Amount,
    /// How it was written, normalised.
    pub text: String,
}

/// A quantity of one kind; a limit and a measurement compare only within the same kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    /// A duration.
    Time(Duration),
    /// A fraction in 0..=1, shown as a percentage.
    Ratio(f64),
    /// A whole number.
    Count(u64),
    /// Per second.
    Rate(f64),
    /// A plain number, in the unit of a custom metric.
    Number(f64),
}

impl Amount {
    /// How `self` (measured) compares to `limit`; `None` across kinds. Ratios and rates
    /// equal within rounding compare equal, so `error_rate<=1%` holds at exactly 1 in 100.
    pub fn compare(&self, limit: &Amount) -> Option<Ordering> {
        match (self, limit) {
            (Self::Time(a), Self::Time(b)) => Some(a.cmp(b)),
            (Self::Count(a), Self::Count(b)) => Some(a.cmp(b)),
            (Self::Ratio(a), Self::Ratio(b))
            | (Self::Rate(a), Self::Rate(b))
            | (Self::Number(a), Self::Number(b)) => {
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
            Self::Number(number) => write!(f, "{}", (number * 1000.0).round() / 1000.0),
        }
    }
}
