//! Totals of a run: one row per (method, name), failures by message, exceptions and checks.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{Event, RequestStats, Sample};

/// A report row: Locust sorts rows by name, then method.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestKey {
    /// The row name.
    pub name: String,
    /// The HTTP method.
    pub method: Cow<'static, str>,
}

/// Failures are grouped by where they happened and what they said.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FailureKey {
    /// The HTTP method.
    pub method: Cow<'static, str>,
    /// The row name.
    pub name: String,
    /// The failure message.
    pub message: String,
}

/// Passes and fails of one named check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckCount {
    /// Times the check passed.
    pub passed: u64,
    /// Times it failed.
    pub failed: u64,
}

/// Everything recorded during a run.
#[derive(Debug, Default)]
pub struct RunStats {
    /// One row per (name, method).
    pub requests: BTreeMap<RequestKey, RequestStats>,
    /// Failure occurrences by (method, name, message).
    pub failures: BTreeMap<FailureKey, u64>,
    /// Exception occurrences by message.
    pub exceptions: BTreeMap<String, u64>,
    /// Checks by name.
    pub checks: BTreeMap<String, CheckCount>,
}

impl RunStats {
    /// Folds one event into the totals.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Request(sample) => self.record(sample),
            Event::Exception(message) => *self.exceptions.entry(message).or_default() += 1,
            Event::Check { name, passed } => {
                let count = self.checks.entry(name).or_default();
                if passed {
                    count.passed += 1;
                } else {
                    count.failed += 1;
                }
            }
        }
    }

    fn record(&mut self, sample: Sample) {
        let Sample {
            method,
            name,
            latency_us,
            bytes,
            failure,
        } = sample;
        if let Some(message) = &failure {
            let key = FailureKey {
                method: method.clone(),
                name: name.clone(),
                message: message.clone(),
            };
            *self.failures.entry(key).or_default() += 1;
        }
        self.requests
            .entry(RequestKey { name, method })
            .or_default()
            .record(latency_us, bytes, failure.is_some());
    }

    /// All rows merged: Locust's "Aggregated" row.
    pub fn total(&self) -> RequestStats {
        let mut total = RequestStats::new();
        for row in self.requests.values() {
            total.merge(row);
        }
        total
    }

    /// Exceptions of every kind.
    pub fn total_exceptions(&self) -> u64 {
        self.exceptions.values().sum()
    }
}
