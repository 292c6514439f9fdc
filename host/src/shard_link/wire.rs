//! What shards and their coordinator say to each other, as JSON over HTTP: a shard's
//! greeting, its seconds (exact statistics, every histogram included), and its end.

use std::borrow::Cow;
use std::time::Duration;

use anyhow::bail;
use serde::{Deserialize, Serialize};

use crate::metrics::{FailureKey, Interval, RequestKey, RequestStats, RowCounts, RunStats};
use crate::plan::Step;
use crate::report::custom_metrics::{self, MetricEntry};
use crate::report::json_summary::{Outcome, SummaryConfig};
use crate::report::summary_in::{ConfigIn, OutcomeIn, ScenarioIn};

/// Where a shard greets the coordinator and waits for the start.
pub const READY_PATH: &str = "/v1/ready";
/// Where a shard posts its seconds.
pub const SECONDS_PATH: &str = "/v1/seconds";
/// Where a shard says it has finished.
pub const DONE_PATH: &str = "/v1/done";
/// The environment variable holding the run's secret, shared by its shards and coordinator.
pub const SECRET_ENV: &str = "WASMLOAD_RUN_SECRET";

/// A shard's greeting: which shard it is and which run it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    /// This shard, from 0.
    pub shard: u32,
    /// The run's shards.
    pub shards: u32,
    /// A random number of this process, so that a second process claiming the same shard
    /// is told apart from this one greeting again.
    pub instance: u64,
    /// `--seed`.
    pub seed: u64,
    /// `--host`.
    pub host: String,
    /// The scenarios, with their components' SHA-256.
    pub scenarios: Vec<ScenarioIn>,
    /// The run's parameters, as the JSON summary records them.
    pub config: ConfigIn,
    /// What each scenario's setup returned, in base64 (from shard 0, which runs the setups
    /// of the whole run; empty from the others).
    #[serde(default)]
    pub setup: Vec<Option<String>>,
    /// This shard's user count, when it may change while the run goes on (a fixed count
    /// of the closed model).
    #[serde(default)]
    pub adjustable: Option<UsersOffer>,
}

/// A user count, and the spawn rate on the way to it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UsersStep {
    /// Users to run.
    pub users: u32,
    /// Users started or stopped per second; none: all at once.
    pub spawn_rate: Option<f64>,
}

impl UsersStep {
    /// `step`, as it travels.
    pub fn of(step: Step) -> Self {
        Self {
            users: step.users,
            spawn_rate: step.spawn_rate.is_finite().then_some(step.spawn_rate),
        }
    }

    /// The step it carries.
    pub fn step(self) -> Step {
        Step {
            users: self.users,
            spawn_rate: self.spawn_rate.unwrap_or(f64::INFINITY),
        }
    }
}

/// A shard's user count that may change, and the most users it can hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UsersOffer {
    /// Its users now, and their spawn rate.
    pub step: UsersStep,
    /// The most users it can hold.
    pub max_users: u32,
}

impl Hello {
    /// The greeting of a shard whose summary would record `config`.
    pub fn new(
        seed: u64,
        host: String,
        scenarios: Vec<ScenarioIn>,
        config: &SummaryConfig,
    ) -> anyhow::Result<Self> {
        let config: ConfigIn = serde_json::from_value(serde_json::to_value(config)?)?;
        Ok(Self {
            shard: config.shard.index,
            shards: config.shard.count,
            instance: random_u64(),
            seed,
            host,
            scenarios,
            config,
            setup: Vec::new(),
            adjustable: None,
        })
    }
}

/// When every shard starts, in milliseconds since the Unix epoch, and what the run's
/// setups returned, for every shard's users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Start {
    /// The start instant.
    pub start_at_ms: u64,
    /// What each scenario's setup returned (on shard 0), in base64.
    #[serde(default)]
    pub setup: Vec<Option<String>>,
}

/// Seconds of one shard, oldest first, as it sends them.
#[derive(Debug, Serialize)]
pub struct SecondsOut<'a> {
    /// The shard.
    pub shard: u32,
    /// Its seconds not yet delivered.
    pub seconds: &'a [SecondOut],
}

/// Seconds of one shard, as the coordinator reads them.
#[derive(Debug, Deserialize)]
pub struct SecondsIn {
    /// The shard.
    pub shard: u32,
    /// Its seconds not yet delivered, oldest first.
    pub seconds: Vec<SecondOut>,
}

/// The coordinator's answer to a shard's seconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Reply {
    /// Set when the run must stop: `stopped` (by hand) or `aborted` (a threshold failed).
    pub stop: Option<String>,
    /// The whole run's user count, once the coordinator's dashboard has changed it: each
    /// shard runs its share.
    #[serde(default)]
    pub users: Option<UsersStep>,
}

/// A shard's last word, after its last second.
#[derive(Debug, Serialize)]
pub struct DoneOut<'a> {
    /// The shard.
    pub shard: u32,
    /// How its run went.
    pub outcome: Outcome,
    /// Users it started of each scenario.
    pub users_by_scenario: &'a [u32],
    /// How late it started after the agreed instant, in milliseconds.
    pub start_skew_ms: f64,
    /// How many seconds it sent: the coordinator must have them all.
    pub seconds: u32,
}

/// A shard's last word, as the coordinator reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct DoneIn {
    /// The shard.
    pub shard: u32,
    /// How its run went.
    pub outcome: OutcomeIn,
    /// Users it started of each scenario.
    pub users_by_scenario: Vec<u32>,
    /// How late it started after the agreed instant, in milliseconds.
    pub start_skew_ms: f64,
    /// How many seconds it sent.
    pub seconds: u32,
}

/// One second of a shard: its exact statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecondOut {
    /// Which second of the run, from 0.
    pub second: u32,
    /// Users running at its end.
    pub users: u32,
    /// Iterations claimed, and arrival-rate iterations dropped, since the shard began.
    pub iterations: (u64, u64),
    /// Request rows.
    pub rows: Vec<RowOut>,
    /// Requests past the row cap, and the first names that did not fit.
    pub overflow: (u64, Vec<String>),
    /// Custom-metric values whose names were past the cap, and the first such names.
    #[serde(default)]
    pub metrics_dropped: (u64, Vec<String>),
    /// Failures by scenario, method, name and message.
    pub failures: Vec<(u16, String, String, String, u64)>,
    /// Exceptions by message.
    pub exceptions: Vec<(String, u64)>,
    /// Tasks cut short, by scenario.
    pub tasks_cut_short: Vec<(u16, u64)>,
    /// Checks by name: passes and fails.
    pub checks: Vec<(String, u64, u64)>,
    /// The scenario's own metrics in this second.
    #[serde(default)]
    pub metrics: Vec<MetricEntry>,
    /// Groups' durations in this second, as rows.
    #[serde(default)]
    pub groups: Vec<RowOut>,
    /// The groups the requests of each row were sent in: scenario, method, name, groups.
    #[serde(default)]
    pub row_groups: Vec<(u16, String, String, Vec<String>)>,
    /// Microseconds of guest code, by scenario.
    pub guest_us: Vec<(u16, u64)>,
    /// How late arrival-rate iterations started.
    pub start_lateness: CountsOut,
    /// The shard's CPU in this second, as a share of its cores.
    pub cpu: f64,
    /// The shard's peak resident memory (on its last second only).
    pub peak_rss: u64,
}

/// A request row of one second.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowOut {
    scenario: u16,
    method: String,
    name: String,
    stats: CountsOut,
    response: Option<CountsOut>,
}

/// A row's counts and its latency histogram, as `(microseconds, count)` pairs: the exact
/// latencies while a row has few, each HDR bucket's highest value after (which lands in
/// the same bucket of the coordinator's histogram, so the sum is exact).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountsOut {
    count: u64,
    failures: u64,
    cancelled: u64,
    bytes: u64,
    sum_us: u64,
    min_us: u64,
    max_us: u64,
    latencies: Vec<(u64, u64)>,
}

impl SecondOut {
    /// A shard's second, to send.
    pub fn of(interval: &Interval) -> anyhow::Result<Self> {
        let stats = &interval.stats;
        let rows = rows_out(&stats.requests)?;
        let failures = stats.failures.iter().map(|(key, &count)| {
            let FailureKey {
                scenario,
                method,
                name,
                message,
            } = key;
            (
                *scenario,
                method.to_string(),
                name.clone(),
                message.clone(),
                count,
            )
        });
        Ok(Self {
            second: interval.second,
            users: interval.users,
            iterations: interval.iterations,
            rows,
            overflow: (stats.overflow.requests, stats.overflow.examples.clone()),
            metrics_dropped: (
                stats.custom.dropped.requests,
                stats.custom.dropped.examples.clone(),
            ),
            failures: failures.collect(),
            exceptions: pairs(&stats.exceptions),
            tasks_cut_short: pairs(&stats.tasks_cut_short),
            checks: stats
                .checks
                .iter()
                .map(|(name, count)| (name.clone(), count.passed, count.failed))
                .collect(),
            metrics: custom_metrics::entries(&stats.custom, Duration::from_secs(1))?,
            groups: rows_out(&stats.groups)?,
            row_groups: stats
                .row_groups
                .iter()
                .map(|(key, groups)| {
                    let groups = groups.iter().cloned().collect();
                    (
                        key.scenario,
                        key.method.to_string(),
                        key.name.clone(),
                        groups,
                    )
                })
                .collect(),
            guest_us: pairs(&stats.guest_time_us),
            start_lateness: CountsOut::of(&stats.start_lateness)?,
            cpu: stats.generator_cpu_peak,
            peak_rss: stats.generator_peak_rss,
        })
    }

    /// The second's statistics, in the layout of `like`; refused if a histogram cannot be
    /// read or has another precision. Consumes the second, so its names move, not copy.
    pub fn into_stats(self, like: &RunStats) -> anyhow::Result<RunStats> {
        let mut stats = like.empty_like();
        for row in self.rows {
            let (key, merged) = row.into_row()?;
            stats.add_row(key, &merged);
        }
        for group in self.groups {
            let (key, merged) = group.into_row()?;
            stats.groups.insert(key, merged);
        }
        for (scenario, method, name, groups) in self.row_groups {
            let key = RequestKey {
                scenario,
                name,
                method: Cow::Owned(method),
            };
            stats.row_groups.insert(key, groups.into_iter().collect());
        }
        stats.overflow.requests = self.overflow.0;
        stats.overflow.examples = self.overflow.1;
        for (scenario, method, name, message, count) in self.failures {
            let key = FailureKey {
                scenario,
                method: Cow::Owned(method),
                name,
                message,
            };
            stats.failures.insert(key, count);
        }
        stats.exceptions = self.exceptions.into_iter().collect();
        stats.tasks_cut_short = self.tasks_cut_short.into_iter().collect();
        for (name, passed, failed) in self.checks {
            let count = stats.checks.entry(name).or_default();
            count.passed += passed;
            count.failed += failed;
        }
        custom_metrics::add_entries(&mut stats.custom, &self.metrics)?;
        (stats.custom.dropped.requests, stats.custom.dropped.examples) = self.metrics_dropped;
        stats.guest_time_us = self.guest_us.into_iter().collect();
        stats.start_lateness = self.start_lateness.to_stats()?;
        stats.generator_cpu_peak = self.cpu;
        stats.generator_peak_rss = self.peak_rss;
        Ok(stats)
    }
}

impl RowOut {
    /// The row's key and statistics.
    fn into_row(self) -> anyhow::Result<(RequestKey, RequestStats)> {
        let mut merged = self.stats.to_stats()?;
        merged.set_response(
            self.response
                .as_ref()
                .map(CountsOut::to_stats)
                .transpose()?,
        );
        let key = RequestKey {
            scenario: self.scenario,
            name: self.name,
            method: Cow::Owned(self.method),
        };
        Ok((key, merged))
    }
}

/// Each row of `rows`, to send.
fn rows_out(
    rows: &std::collections::BTreeMap<RequestKey, RequestStats>,
) -> anyhow::Result<Vec<RowOut>> {
    rows.iter()
        .map(|(key, row)| {
            Ok(RowOut {
                scenario: key.scenario,
                method: key.method.to_string(),
                name: key.name.clone(),
                stats: CountsOut::of(row)?,
                response: row.response().map(CountsOut::of).transpose()?,
            })
        })
        .collect()
}

impl CountsOut {
    fn of(row: &RequestStats) -> anyhow::Result<Self> {
        let counts = row.counts();
        Ok(Self {
            count: counts.count,
            failures: counts.failures,
            cancelled: counts.cancelled,
            bytes: counts.bytes,
            sum_us: counts.sum_us,
            min_us: counts.min_us,
            max_us: counts.max_us,
            latencies: row.recorded(),
        })
    }

    fn to_stats(&self) -> anyhow::Result<RequestStats> {
        let recorded = self
            .latencies
            .iter()
            .try_fold(0u64, |total, &(_, count)| total.checked_add(count));
        let measured = self.count.checked_sub(self.cancelled);
        if measured.is_none() || recorded != measured {
            bail!(
                "a shard sent a row of {} requests, {} cut off, with {recorded:?} latencies",
                self.count,
                self.cancelled
            );
        }
        let counts = RowCounts {
            count: self.count,
            failures: self.failures,
            cancelled: self.cancelled,
            bytes: self.bytes,
            sum_us: self.sum_us,
            min_us: self.min_us,
            max_us: self.max_us,
        };
        RequestStats::from_recorded(counts, &self.latencies)
            .map_err(|err| anyhow::anyhow!("cannot make a histogram: {err:?}"))
    }
}

/// A number from the operating system's randomness.
pub fn random_u64() -> u64 {
    use rand::TryRngCore as _;
    rand::rngs::OsRng.try_next_u64().unwrap_or_else(|_| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map_or(0, |since| since.as_nanos() as u64) ^ u64::from(std::process::id())
    })
}

/// A new secret for a run: 32 random bytes, in hex.
pub fn new_secret() -> anyhow::Result<String> {
    use rand::TryRngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|err| anyhow::anyhow!("cannot draw a secret for the run: {err}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn pairs<K: Clone, V: Copy>(map: &std::collections::BTreeMap<K, V>) -> Vec<(K, V)> {
    map.iter()
        .map(|(key, value)| (key.clone(), *value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Event, MetricValue, Sample, SampleTag};

    /// A second with `requests` requests of two rows, latencies spread over three decades.
    fn second_of(requests: u64) -> Interval {
        let mut stats = RunStats::new(&[]).expect("a valid layout");
        for request in 0..requests {
            stats.apply(Event::Request(Sample {
                method: "GET".into(),
                name: format!("/row{}", request % 2),
                latency_us: 50 + request * request % 90_000,
                bytes: 10,
                failure: (request % 7 == 0).then(|| "HTTP 500".to_string()),
                tag: SampleTag::default(),
            }));
        }
        stats.apply(Event::Check {
            name: "ok".into(),
            passed: true,
        });
        for value in [12.5, 40.0] {
            stats.apply(Event::Metric {
                name: "cart".into(),
                value: MetricValue::Trend(value),
            });
        }
        stats.apply(Event::Metric {
            name: "orders".into(),
            value: MetricValue::Counter(requests),
        });
        stats.apply(Event::Group {
            scenario: 0,
            name: "checkout".into(),
            micros: 1_500,
        });
        stats.custom.dropped.note("order 7".into());
        Interval {
            second: 3,
            users: 5,
            iterations: (requests, 0),
            stats,
        }
    }

    #[test]
    fn a_second_arrives_exactly_as_it_was_recorded() {
        for requests in [3, 200, 5_000] {
            let interval = second_of(requests);
            let sent = serde_json::to_string(&SecondOut::of(&interval).expect("encodes"))
                .expect("serializes");
            let read: SecondOut = serde_json::from_str(&sent).expect("deserializes");
            let stats = read.into_stats(&interval.stats).expect("decodes");
            assert_eq!(stats.failures, interval.stats.failures);
            assert_eq!(stats.checks, interval.stats.checks);
            assert_eq!(stats.custom.counters, interval.stats.custom.counters);
            assert_eq!(
                (
                    stats.custom.dropped.requests,
                    &stats.custom.dropped.examples
                ),
                (1, &vec!["order 7".to_string()]),
                "a value whose name was past the cap is counted, with its name"
            );
            assert_eq!(
                (stats.overflow.requests, &stats.overflow.examples),
                (
                    interval.stats.overflow.requests,
                    &interval.stats.overflow.examples
                )
            );
            let groups = |stats: &RunStats| {
                let rows = stats.groups.iter();
                rows.map(|(key, row)| (key.name.clone(), row.counts()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(groups(&stats), groups(&interval.stats), "the groups' rows");
            let (sent, arrived) = (
                &interval.stats.custom.trends["cart"],
                &stats.custom.trends["cart"],
            );
            assert_eq!(arrived.counts(), sent.counts(), "the trend's counts");
            assert_eq!(arrived.percentile(50.0), sent.percentile(50.0));
            for (key, row) in &interval.stats.requests {
                let arrived = &stats.requests[key];
                assert_eq!(arrived.counts(), row.counts(), "{requests} requests");
                for percentile in [0.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
                    assert_eq!(
                        arrived.percentile(percentile),
                        row.percentile(percentile),
                        "p{percentile} of {requests} requests"
                    );
                }
            }
        }
    }
}
