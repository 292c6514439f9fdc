//! Totals of a run: one row per (method, name), failures by message, exceptions and checks.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use hdrhistogram::CreationError;

use super::overflow::{Overflow, DEFAULT_MAX_ROWS};
use super::{CustomMetrics, Event, RequestStats, Sample, Timeline};

/// A report row: Locust sorts rows by name, then method (here within each scenario).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestKey {
    /// Index of the scenario that sent the requests.
    pub scenario: u16,
    /// The row name.
    pub name: String,
    /// The HTTP method.
    pub method: Cow<'static, str>,
}

/// Failures are grouped by where they happened and what they said.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FailureKey {
    /// Index of the scenario that sent the requests.
    pub scenario: u16,
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

/// The method of a group's row.
pub const GROUP_METHOD: &str = "GROUP";

/// Everything recorded during a run.
#[derive(Debug)]
pub struct RunStats {
    /// One row per (name, method), at most `--max-rows` of them.
    pub requests: BTreeMap<RequestKey, RequestStats>,
    /// Requests whose names found no row of their own.
    pub overflow: Overflow,
    /// Failure occurrences by (method, name, message).
    pub failures: BTreeMap<FailureKey, u64>,
    /// Exception occurrences by message.
    pub exceptions: BTreeMap<String, u64>,
    /// Tasks that ended with an error after a request of theirs failed, by scenario.
    pub tasks_cut_short: BTreeMap<u16, u64>,
    /// Checks by name.
    pub checks: BTreeMap<String, CheckCount>,
    /// The scenario's own trends, counters, rates and gauges.
    pub custom: CustomMetrics,
    /// How long each group took, by scenario and group name (method `GROUP`).
    pub groups: BTreeMap<RequestKey, RequestStats>,
    /// The groups the requests of each row were sent in.
    pub row_groups: BTreeMap<RequestKey, BTreeSet<String>>,
    /// How late arrival-rate iterations started (empty in a closed-model run).
    pub start_lateness: RequestStats,
    /// The run second by second.
    pub timeline: Timeline,
    /// Microseconds of guest code, by scenario.
    pub guest_time_us: BTreeMap<u16, u64>,
    /// The busiest second of wasmload's own process, as a share of the cores it may use.
    pub generator_cpu_peak: f64,
    /// The most memory wasmload held resident, in bytes, read at the end of the run.
    pub generator_peak_rss: u64,
    /// An empty row, the layout of every new one.
    empty_row: RequestStats,
    /// Every request so far, kept as they come: the Aggregated row and the time series'
    /// totals.
    total: RequestStats,
}

impl RunStats {
    /// Empty statistics whose time series keeps the totals' `percentiles` every second, with
    /// the default cap on rows.
    pub fn new(percentiles: &[f64]) -> Result<Self, CreationError> {
        Self::with_max_rows(percentiles, DEFAULT_MAX_ROWS)
    }

    /// Empty statistics with at most `max_rows` distinct rows.
    pub fn with_max_rows(percentiles: &[f64], max_rows: usize) -> Result<Self, CreationError> {
        Ok(Self::from_empty_row(
            RequestStats::new()?,
            percentiles,
            max_rows,
        ))
    }

    /// Empty statistics with the same layout, time-series percentiles and cap as these.
    pub fn empty_like(&self) -> Self {
        Self::from_empty_row(
            self.empty_row.empty_like(),
            self.timeline.percentiles(),
            self.overflow.max_rows,
        )
    }

    fn from_empty_row(empty_row: RequestStats, percentiles: &[f64], max_rows: usize) -> Self {
        Self {
            requests: BTreeMap::new(),
            overflow: Overflow::new(max_rows),
            total: empty_row.empty_like(),
            failures: BTreeMap::new(),
            exceptions: BTreeMap::new(),
            tasks_cut_short: BTreeMap::new(),
            checks: BTreeMap::new(),
            custom: CustomMetrics::default(),
            groups: BTreeMap::new(),
            row_groups: BTreeMap::new(),
            start_lateness: empty_row.empty_like(),
            timeline: Timeline::new(empty_row.empty_like(), percentiles),
            guest_time_us: BTreeMap::new(),
            generator_cpu_peak: 0.0,
            generator_peak_rss: 0,
            empty_row,
        }
    }

    /// Adds a whole row (of a shard's summary) to the row `key` and to the totals, exactly.
    pub fn add_row(&mut self, key: RequestKey, row: &RequestStats) {
        self.total.merge(row);
        let empty_row = &self.empty_row;
        self.requests
            .entry(key)
            .or_insert_with(|| empty_row.empty_like())
            .merge(row);
    }

    /// Adds everything `other` recorded (a shard's second, say) to these statistics, exactly;
    /// the time series is left alone, and the peaks are the larger of the two.
    pub fn absorb(&mut self, other: &RunStats) {
        for (key, row) in &other.requests {
            // Rows seen before are found by reference: no key is copied for them.
            match self.requests.get_mut(key) {
                Some(mine) => {
                    self.total.merge(row);
                    mine.merge(row);
                }
                None => self.add_row(key.clone(), row),
            }
        }
        self.overflow.absorb(&other.overflow);
        add_counts(&mut self.failures, &other.failures);
        add_counts(&mut self.exceptions, &other.exceptions);
        add_counts(&mut self.tasks_cut_short, &other.tasks_cut_short);
        add_counts(&mut self.guest_time_us, &other.guest_time_us);
        for (name, count) in &other.checks {
            let mine = self.checks.entry(name.clone()).or_default();
            mine.passed += count.passed;
            mine.failed += count.failed;
        }
        self.custom.absorb(&other.custom);
        for (key, group) in &other.groups {
            match self.groups.get_mut(key) {
                Some(mine) => mine.merge(group),
                None => {
                    self.groups.insert(key.clone(), group.clone());
                }
            }
        }
        for (key, groups) in &other.row_groups {
            self.row_groups
                .entry(key.clone())
                .or_default()
                .extend(groups.iter().cloned());
        }
        self.start_lateness.merge(&other.start_lateness);
        self.generator_cpu_peak = self.generator_cpu_peak.max(other.generator_cpu_peak);
        self.generator_peak_rss = self.generator_peak_rss.max(other.generator_peak_rss);
    }

    /// An empty row of this run's layout.
    pub fn empty_row(&self) -> RequestStats {
        self.empty_row.empty_like()
    }

    /// Folds one event into the totals.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Request(sample) => self.record(sample),
            Event::Cancelled(sample) => {
                let key = RequestKey {
                    scenario: sample.tag.scenario,
                    name: sample.name,
                    method: sample.method,
                };
                self.total.record_cancelled();
                self.row(key).record_cancelled();
            }
            Event::Exception(message) => *self.exceptions.entry(message).or_default() += 1,
            Event::TaskCutShort { scenario } => {
                *self.tasks_cut_short.entry(scenario).or_default() += 1;
            }
            Event::Check { name, passed } => {
                let count = self.checks.entry(name).or_default();
                if passed {
                    count.passed += 1;
                } else {
                    count.failed += 1;
                }
            }
            Event::GuestTime { scenario, micros } => {
                *self.guest_time_us.entry(scenario).or_default() += micros;
            }
            Event::IterationStarted { lateness_us } => {
                self.start_lateness.record(lateness_us, 0, false);
            }
            Event::Metric { name, value } => {
                let max_names = self.overflow.max_rows;
                self.custom.record(name, value, &self.empty_row, max_names);
            }
            Event::Group {
                scenario,
                name,
                micros,
            } => {
                let key = RequestKey {
                    scenario,
                    name,
                    method: Cow::Borrowed(GROUP_METHOD),
                };
                // Group names share the cap on names with the custom metrics.
                if !self.groups.contains_key(&key) && self.groups.len() >= self.overflow.max_rows {
                    self.custom.dropped.note(key.name);
                    return;
                }
                let empty_row = &self.empty_row;
                self.groups
                    .entry(key)
                    .or_insert_with(|| empty_row.empty_like())
                    .record(micros, 0, false);
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
            tag,
        } = sample;
        let key = self.overflow.admit(
            &self.requests,
            RequestKey {
                scenario: tag.scenario,
                name,
                method,
            },
        );
        let failed = failure.is_some();
        if let Some(message) = failure {
            let failure = FailureKey {
                scenario: key.scenario,
                method: key.method.clone(),
                name: key.name.clone(),
                message,
            };
            *self.failures.entry(failure).or_default() += 1;
        }
        self.timeline.record(latency_us, bytes, failed);
        if let Some(group) = &tag.group {
            self.note_group(&key, group);
        }
        let empty_row = &self.empty_row;
        let row = self
            .requests
            .entry(key)
            .or_insert_with(|| empty_row.empty_like());
        for stats in [row, &mut self.total] {
            match tag.lateness_us {
                Some(lateness_us) => {
                    stats.record_with_lateness(latency_us, lateness_us, bytes, failed)
                }
                None => stats.record(latency_us, bytes, failed),
            }
        }
    }

    /// Notes that a request of row `key` was sent in `group`.
    fn note_group(&mut self, key: &RequestKey, group: &str) {
        match self.row_groups.get_mut(key) {
            Some(groups) if groups.contains(group) => {}
            Some(groups) => {
                groups.insert(group.to_string());
            }
            None => {
                self.row_groups
                    .insert(key.clone(), BTreeSet::from([group.to_string()]));
            }
        }
    }

    /// Gives a request of `event` the row it is counted under here (its own, or the overflow
    /// row past the cap), so that a shard's seconds use the rows of its whole run; returns
    /// the name it had if it went to the overflow row.
    pub fn admit(&mut self, event: &mut Event) -> Option<String> {
        let (Event::Request(sample) | Event::Cancelled(sample)) = event else {
            return None;
        };
        if self.requests.len() < self.overflow.max_rows {
            return None;
        }
        let key = RequestKey {
            scenario: sample.tag.scenario,
            name: sample.name.clone(),
            method: sample.method.clone(),
        };
        let admitted = self.overflow.admit(&self.requests, key);
        (admitted.name != sample.name).then(|| std::mem::replace(&mut sample.name, admitted.name))
    }

    /// Every request together: Locust's "Aggregated" row.
    pub fn total(&self) -> &RequestStats {
        &self.total
    }

    /// Closes the time series' current second at `elapsed`, with `users` running.
    pub fn close_second(&mut self, elapsed: std::time::Duration, users: u32) {
        self.timeline.close_window(elapsed, users, &self.total);
    }

    /// Ends the time series at `elapsed`, with `users` running.
    pub fn finish_timeline(&mut self, elapsed: std::time::Duration, users: u32) {
        self.timeline.finish(elapsed, users, &self.total);
    }

    /// The row of `key` (or the overflow row, past the cap), made if it is new.
    fn row(&mut self, key: RequestKey) -> &mut RequestStats {
        let key = self.overflow.admit(&self.requests, key);
        let empty_row = &self.empty_row;
        self.requests
            .entry(key)
            .or_insert_with(|| empty_row.empty_like())
    }

    /// A copy of these statistics without their time series (for a shard's last second).
    pub fn take(&mut self) -> RunStats {
        let empty = self.empty_like();
        std::mem::replace(self, empty)
    }

    /// Tasks cut short by a failed request, in all.
    pub fn total_tasks_cut_short(&self) -> u64 {
        self.tasks_cut_short.values().sum()
    }

    /// Exceptions of every kind.
    pub fn total_exceptions(&self) -> u64 {
        self.exceptions.values().sum()
    }
}

/// Adds the counts of `other` to those of `sums`, key by key.
fn add_counts<K: Ord + Clone>(sums: &mut BTreeMap<K, u64>, other: &BTreeMap<K, u64>) {
    for (key, count) in other {
        *sums.entry(key.clone()).or_default() += count;
    }
}
