//! The statistics of the whole run from its shards' summaries: each row's histogram added
//! bucket for bucket, counters summed, and the seconds of the time series lined up by their
//! Unix time, with the totals so far rebuilt from the added seconds.

use std::collections::BTreeMap;

use anyhow::{bail, Context};

use crate::metrics::{
    CheckCount, FailureKey, Overflow, RequestKey, RequestStats, RowCounts, RunStats, Second,
    TimePoint, Timeline, GROUP_METHOD,
};
use crate::report::custom_metrics;
use crate::report::summary_in::{decode_histogram, PastTheCapIn, StatsIn, SummaryFile};
use crate::report::LOCUST_PERCENTILES;

/// Significant digits of every histogram wasmload writes.
const PRECISION: u8 = 3;

/// The whole run's statistics, or why the summaries cannot be added.
pub fn merged(files: &[SummaryFile]) -> anyhow::Result<RunStats> {
    let mut stats = RunStats::with_max_rows(&LOCUST_PERCENTILES, usize::MAX)
        .map_err(|err| anyhow::anyhow!("cannot make a histogram: {err:?}"))?;
    for file in files {
        let summary = &file.summary;
        let label = || file.path.display().to_string();
        for row in &summary.requests {
            let mut merged = rebuilt(&row.stats).with_context(label)?;
            let response = row.response.as_ref().map(rebuilt).transpose();
            merged.set_response(response.with_context(label)?);
            let key = RequestKey {
                scenario: row.scenario,
                name: row.name.clone(),
                method: row.method.clone().into(),
            };
            if !row.groups.is_empty() {
                let groups = stats.row_groups.entry(key.clone()).or_default();
                groups.extend(row.groups.iter().cloned());
            }
            stats.add_row(key, &merged);
        }
        for group in &summary.groups {
            let key = RequestKey {
                scenario: group.scenario,
                name: group.name.clone(),
                method: GROUP_METHOD.into(),
            };
            let rebuilt = rebuilt(&group.stats).with_context(label)?;
            match stats.groups.get_mut(&key) {
                Some(mine) => mine.merge(&rebuilt),
                None => {
                    stats.groups.insert(key, rebuilt);
                }
            }
        }
        if let Some(lateness) = &summary.start_lateness {
            stats
                .start_lateness
                .merge(&rebuilt(lateness).with_context(label)?);
        }
        for (scenario, seconds) in summary.cpu.guest_seconds.iter().enumerate() {
            let scenario = u16::try_from(scenario).unwrap_or(u16::MAX);
            *stats.guest_time_us.entry(scenario).or_default() += (seconds * 1e6).round() as u64;
        }
        stats.generator_cpu_peak = stats.generator_cpu_peak.max(summary.cpu.generator_peak);
        stats.generator_peak_rss = stats
            .generator_peak_rss
            .max(summary.cpu.generator_peak_rss_bytes);
        *stats.tasks_cut_short.entry(0).or_default() += summary.outcome.tasks_cut_short;
        custom_metrics::add_entries(&mut stats.custom, &summary.metrics).with_context(label)?;
        add_past_the_cap(&mut stats, &summary.past_the_cap);
    }
    let summaries = || files.iter().map(|file| &file.summary);
    stats.failures = add_up(summaries().flat_map(|summary| {
        summary.failures.iter().map(|failure| {
            let key = FailureKey {
                scenario: failure.scenario,
                method: failure.method.clone().into(),
                name: failure.name.clone(),
                message: failure.message.clone(),
            };
            (key, failure.occurrences)
        })
    }));
    stats.exceptions = add_up(summaries().flat_map(|summary| {
        summary
            .exceptions
            .iter()
            .map(|exception| (exception.message.clone(), exception.count))
    }));
    for check in summaries().flat_map(|summary| &summary.checks) {
        let count: &mut CheckCount = stats.checks.entry(check.name.clone()).or_default();
        count.passed += check.passes;
        count.failed += check.fails;
    }
    let seconds = merged_seconds(files, stats.empty_row())?;
    stats.timeline = Timeline::from_seconds(stats.empty_row(), &LOCUST_PERCENTILES, seconds);
    Ok(stats)
}

/// Counts of the same key added up, in key order.
/// Adds what one summary counted past its cap on names: the requests of its overflow row
/// and the custom-metric values it did not keep, with their first names.
fn add_past_the_cap(stats: &mut RunStats, cap: &PastTheCapIn) {
    stats.overflow.absorb(&Overflow {
        requests: cap.requests,
        examples: cap.request_names.clone(),
        ..Overflow::default()
    });
    stats.custom.dropped.absorb(&Overflow {
        requests: cap.metric_values,
        examples: cap.metric_names.clone(),
        ..Overflow::default()
    });
}

fn add_up<K: Ord>(pairs: impl IntoIterator<Item = (K, u64)>) -> BTreeMap<K, u64> {
    let mut sums = BTreeMap::new();
    for (key, count) in pairs {
        *sums.entry(key).or_default() += count;
    }
    sums
}

/// A row of a summary, rebuilt; refused if its histogram has another precision.
fn rebuilt(row: &StatsIn) -> anyhow::Result<RequestStats> {
    let stats = row.to_stats()?;
    let precision = stats
        .histogram()
        .map_err(|err| anyhow::anyhow!("cannot read a histogram: {err:?}"))?
        .sigfig();
    if precision != PRECISION {
        bail!(
            "its histograms have {precision} significant digits, not {PRECISION}: histograms of different precision do not add up exactly"
        );
    }
    Ok(stats)
}

/// The seconds of every shard, added by Unix time.
fn merged_seconds(files: &[SummaryFile], empty: RequestStats) -> anyhow::Result<Vec<Second>> {
    let mut seconds: BTreeMap<u64, Vec<&TimePoint>> = BTreeMap::new();
    let mut start = f64::INFINITY;
    for point in files.iter().flat_map(|file| &file.summary.timeline) {
        seconds.entry(point.unix_time).or_default().push(point);
        start = start.min(point.unix_time as f64 - point.elapsed_s);
    }
    let mut merged = Vec::with_capacity(seconds.len());
    for (unix_time, shards) in seconds {
        let mut window = empty.empty_like();
        for point in &shards {
            let histogram = decode_histogram(&point.hdr_histogram)?;
            let counts = RowCounts {
                count: point.requests,
                failures: point.failures,
                min_us: histogram.min(),
                max_us: histogram.max(),
                sum_us: (histogram.mean() * histogram.len() as f64).round() as u64,
                ..RowCounts::default()
            };
            window.merge(&RequestStats::from_parts(counts, histogram));
        }
        merged.push(Second {
            unix_time,
            elapsed_s: (unix_time as f64 - start).max(0.0),
            seconds: 1.0,
            window,
            users: shards.iter().map(|point| point.users).sum(),
        });
    }
    Ok(merged)
}
