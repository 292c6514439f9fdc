//! Wait time between tasks, with Locust's constructors: [`between`],
//! [`constant`], [`constant_pacing`], [`constant_throughput`] and [`no_wait`].
//!
//! Times are given in seconds (any number that converts to `f64`, so both
//! `between(1, 3)` and `between(0.5, 1.5)` work) and sent to the host in
//! whole milliseconds.

use std::time::Duration;

use crate::wit::wasmload::scenario::types as wit;

/// How long a user waits after each task, like Locust's `wait_time`.
///
/// Build one with [`between`], [`constant`], [`constant_pacing`],
/// [`constant_throughput`] or [`no_wait`], and give it to
/// [`UserSpec::wait`](crate::UserSpec::wait). The host does the waiting.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use wasmload_guest::prelude::*;
///
/// assert_eq!(
///     between(1, 2.5),
///     WaitTime::Between { min: Duration::from_secs(1), max: Duration::from_millis(2500) },
/// );
/// assert_eq!(no_wait(), WaitTime::None);
/// assert_eq!(WaitTime::default(), WaitTime::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum WaitTime {
    /// No wait: the next task starts at once.
    #[default]
    None,
    /// Always the same wait.
    Constant(Duration),
    /// A wait drawn uniformly from `[min, max]` (by the host's seeded RNG).
    Between {
        /// The shortest wait.
        min: Duration,
        /// The longest wait.
        max: Duration,
    },
    /// Waits so that each task, wait included, takes at least this long.
    ConstantPacing(Duration),
    /// Waits so that this user runs at most this many tasks per second.
    ConstantThroughput(f64),
}

/// A wait drawn uniformly between `min` and `max` seconds, like Locust's
/// `between(min, max)`. If `min > max` the bounds are swapped; negative or
/// NaN values count as zero.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use wasmload_guest::prelude::*;
///
/// let wait = between(1, 3);
/// assert_eq!(wait, WaitTime::Between { min: Duration::from_secs(1), max: Duration::from_secs(3) });
/// assert_eq!(between(0.5, 0.25), between(0.25, 0.5));
/// ```
pub fn between(min_seconds: impl Into<f64>, max_seconds: impl Into<f64>) -> WaitTime {
    let a = to_duration(min_seconds.into());
    let b = to_duration(max_seconds.into());
    WaitTime::Between {
        min: a.min(b),
        max: a.max(b),
    }
}

/// Always waits `seconds`, like Locust's `constant(seconds)`.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use wasmload_guest::prelude::*;
///
/// assert_eq!(constant(2), WaitTime::Constant(Duration::from_secs(2)));
/// assert_eq!(constant(0.1), WaitTime::Constant(Duration::from_millis(100)));
/// ```
pub fn constant(seconds: impl Into<f64>) -> WaitTime {
    WaitTime::Constant(to_duration(seconds.into()))
}

/// Waits so that each task, wait included, takes at least `seconds`, like
/// Locust's `constant_pacing(seconds)`.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use wasmload_guest::prelude::*;
///
/// assert_eq!(constant_pacing(1), WaitTime::ConstantPacing(Duration::from_secs(1)));
/// ```
pub fn constant_pacing(seconds: impl Into<f64>) -> WaitTime {
    WaitTime::ConstantPacing(to_duration(seconds.into()))
}

/// Runs at most `tasks_per_second` tasks per second for this user, like
/// Locust's `constant_throughput(task_runs_per_second)`. The value should be
/// positive and finite; the host decides what to do with any other.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// assert_eq!(constant_throughput(0.5), WaitTime::ConstantThroughput(0.5));
/// assert_eq!(constant_throughput(2), WaitTime::ConstantThroughput(2.0));
/// ```
pub fn constant_throughput(tasks_per_second: impl Into<f64>) -> WaitTime {
    WaitTime::ConstantThroughput(tasks_per_second.into())
}

/// No wait between tasks (Locust's `constant(0)`); also the default.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// let spec = UserSpec::<()>::new("Hammer").wait(no_wait());
/// assert_eq!(spec.wait_time(), WaitTime::None);
/// ```
pub fn no_wait() -> WaitTime {
    WaitTime::None
}

/// Seconds as a `Duration`: NaN and negatives are zero, too large saturates.
fn to_duration(value: f64) -> Duration {
    if value.is_nan() || value <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(value).unwrap_or(Duration::MAX)
}

/// A duration in whole milliseconds (rounded to the nearest), saturating at
/// `u32::MAX`.
pub(crate) fn millis_u32(duration: Duration) -> u32 {
    let nanos = duration.as_nanos();
    let millis = (nanos + 500_000) / 1_000_000;
    u32::try_from(millis).unwrap_or(u32::MAX)
}

impl WaitTime {
    pub(crate) fn to_wit(self) -> wit::WaitTime {
        match self {
            WaitTime::None => wit::WaitTime::None,
            WaitTime::Constant(d) => wit::WaitTime::Constant(millis_u32(d)),
            WaitTime::Between { min, max } => {
                wit::WaitTime::Between((millis_u32(min), millis_u32(max)))
            }
            WaitTime::ConstantPacing(d) => wit::WaitTime::ConstantPacing(millis_u32(d)),
            WaitTime::ConstantThroughput(n) => wit::WaitTime::ConstantThroughput(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_become_rounded_milliseconds() {
        assert!(matches!(
            between(1, 3).to_wit(),
            wit::WaitTime::Between((1000, 3000))
        ));
        // 0.3 is 0.29999999999999998889776975 as an f64.
        assert!(matches!(
            constant(0.3).to_wit(),
            wit::WaitTime::Constant(300)
        ));
        assert!(matches!(
            constant_pacing(1e12).to_wit(),
            wit::WaitTime::ConstantPacing(u32::MAX)
        ));
        assert!(matches!(constant(-1).to_wit(), wit::WaitTime::Constant(0)));
        assert!(matches!(
            constant(f64::NAN).to_wit(),
            wit::WaitTime::Constant(0)
        ));
        assert!(matches!(no_wait().to_wit(), wit::WaitTime::None));
        match constant_throughput(2.5).to_wit() {
            wit::WaitTime::ConstantThroughput(n) => assert_eq!(n, 2.5),
            other => panic!("unexpected {other:?}"),
        }
    }
}
