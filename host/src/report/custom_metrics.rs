//! The scenario's own metrics in the reports: one summary of each (a trend's count, mean,
//! extremes and percentiles; a counter's total and rate; a rate's share of trues; a gauge's
//! last, least and greatest value), written as the console's tables, the CSV file
//! `PREFIX_metrics.csv`, and the JSON summary's `metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::metrics::{
    trend_value, CheckCount, CustomMetrics, Gauge, RequestStats, RowCounts, TREND_SCALE,
};
use crate::report::summary_in::decode_histogram;

/// The trend percentiles the reports show.
pub const TREND_PERCENTILES: [f64; 4] = [50.0, 90.0, 95.0, 99.0];

/// One custom metric, summarised for the reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MetricEntry {
    /// A trend.
    Trend {
        /// Its name.
        name: String,
        /// Values recorded.
        count: u64,
        /// Their sum.
        sum: f64,
        /// Their mean.
        avg: f64,
        /// The least.
        min: f64,
        /// The greatest.
        max: f64,
        /// p50, p90, p95 and p99, by percentile.
        percentiles: BTreeMap<String, f64>,
        /// Base64 of the HdrHistogram V2 compressed encoding, values in thousandths.
        hdr_histogram: String,
    },
    /// A counter.
    Counter {
        /// Its name.
        name: String,
        /// Its total.
        count: u64,
        /// The total per second of the run.
        rate: f64,
    },
    /// A rate.
    Rate {
        /// Its name.
        name: String,
        /// Trues recorded.
        trues: u64,
        /// Falses recorded.
        falses: u64,
        /// The share of trues.
        rate: f64,
    },
    /// A gauge.
    Gauge {
        /// Its name.
        name: String,
        /// The value set last.
        value: f64,
        /// The least value set.
        min: f64,
        /// The greatest value set.
        max: f64,
    },
}

/// Every custom metric, trends first, then counters, rates and gauges, each by name.
pub fn entries(custom: &CustomMetrics, elapsed: Duration) -> anyhow::Result<Vec<MetricEntry>> {
    let mut entries = Vec::new();
    for (name, trend) in &custom.trends {
        entries.push(trend_entry(name, trend)?);
    }
    let seconds = elapsed.as_secs_f64();
    for (name, &count) in &custom.counters {
        let rate = if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        };
        entries.push(MetricEntry::Counter {
            name: name.clone(),
            count,
            rate,
        });
    }
    for (name, count) in &custom.rates {
        let total = count.passed + count.failed;
        entries.push(MetricEntry::Rate {
            name: name.clone(),
            trues: count.passed,
            falses: count.failed,
            rate: if total == 0 {
                0.0
            } else {
                count.passed as f64 / total as f64
            },
        });
    }
    for (name, gauge) in &custom.gauges {
        entries.push(MetricEntry::Gauge {
            name: name.clone(),
            value: gauge.last,
            min: gauge.min,
            max: gauge.max,
        });
    }
    Ok(entries)
}

fn trend_entry(name: &str, trend: &RequestStats) -> anyhow::Result<MetricEntry> {
    // A trend row keeps thousandths where a request row keeps microseconds.
    let value = |duration: Duration| trend_value(duration.as_micros() as u64);
    let counts = trend.counts();
    let avg = if trend.count == 0 {
        0.0
    } else {
        trend_value(counts.sum_us) / trend.count as f64
    };
    Ok(MetricEntry::Trend {
        name: name.to_string(),
        count: trend.count,
        sum: trend_value(counts.sum_us),
        avg,
        min: value(trend.min()),
        max: trend_value(counts.max_us),
        percentiles: TREND_PERCENTILES
            .iter()
            .map(|&p| (format!("{p}"), value(trend.percentile(p))))
            .collect(),
        hdr_histogram: trend.encode_histogram()?,
    })
}

/// Adds summarised metrics (a shard's, read from its JSON summary) to `into`, exactly: a
/// trend's histogram bucket for bucket; a gauge takes the last value read.
pub fn add_entries(into: &mut CustomMetrics, entries: &[MetricEntry]) -> anyhow::Result<()> {
    let mut read = CustomMetrics::default();
    let thousandths = |value: f64| (value * TREND_SCALE).round().max(0.0) as u64;
    for entry in entries {
        match entry {
            MetricEntry::Trend {
                name,
                count,
                sum,
                min,
                max,
                hdr_histogram,
                ..
            } => {
                let counts = RowCounts {
                    count: *count,
                    sum_us: thousandths(*sum),
                    min_us: thousandths(*min),
                    max_us: thousandths(*max),
                    ..RowCounts::default()
                };
                let histogram = decode_histogram(hdr_histogram)?;
                read.trends
                    .insert(name.clone(), RequestStats::from_parts(counts, histogram));
            }
            MetricEntry::Counter { name, count, .. } => {
                read.counters.insert(name.clone(), *count);
            }
            MetricEntry::Rate {
                name,
                trues,
                falses,
                ..
            } => {
                let count = CheckCount {
                    passed: *trues,
                    failed: *falses,
                };
                read.rates.insert(name.clone(), count);
            }
            MetricEntry::Gauge {
                name,
                value,
                min,
                max,
            } => {
                let gauge = Gauge {
                    last: *value,
                    min: *min,
                    max: *max,
                };
                read.gauges.insert(name.clone(), gauge);
            }
        }
    }
    into.absorb(&read);
    Ok(())
}

/// The console's tables of the custom metrics; empty without any.
pub fn console(entries: &[MetricEntry]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        return out;
    }
    let trends: Vec<&MetricEntry> = entries
        .iter()
        .filter(|entry| matches!(entry, MetricEntry::Trend { .. }))
        .collect();
    if !trends.is_empty() {
        let _ = writeln!(
            out,
            "Trends\n{:<32} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "Name", "# values", "Avg", "Min", "Med", "90%", "95%", "99%", "Max"
        );
        let _ = writeln!(out, "{}|{}", "-".repeat(32), "-".repeat(96));
        for entry in trends {
            if let MetricEntry::Trend {
                name,
                count,
                avg,
                min,
                max,
                percentiles,
                ..
            } = entry
            {
                let p = |key: &str| percentiles.get(key).copied().unwrap_or(0.0);
                let _ = writeln!(
                    out,
                    "{:<32} {count:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
                    clip(name),
                    number(*avg),
                    number(*min),
                    number(p("50")),
                    number(p("90")),
                    number(p("95")),
                    number(p("99")),
                    number(*max)
                );
            }
        }
        out.push('\n');
    }
    let others: Vec<String> = entries.iter().filter_map(other_line).collect();
    if !others.is_empty() {
        let _ = writeln!(
            out,
            "Counters, rates and gauges\n{:<9} {:<32} Value",
            "Type", "Name"
        );
        let _ = writeln!(out, "{}|{}", "-".repeat(42), "-".repeat(40));
        for line in others {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    out
}

fn other_line(entry: &MetricEntry) -> Option<String> {
    Some(match entry {
        MetricEntry::Trend { .. } => return None,
        MetricEntry::Counter { name, count, rate } => {
            format!("{:<9} {:<32} {count} ({rate:.2}/s)", "counter", clip(name))
        }
        MetricEntry::Rate {
            name,
            trues,
            falses,
            rate,
        } => format!(
            "{:<9} {:<32} {:.2}% ({trues} of {})",
            "rate",
            clip(name),
            rate * 100.0,
            trues + falses
        ),
        MetricEntry::Gauge {
            name,
            value,
            min,
            max,
        } => format!(
            "{:<9} {:<32} {} (min {}, max {})",
            "gauge",
            clip(name),
            number(*value),
            number(*min),
            number(*max)
        ),
    })
}

/// The rows of `PREFIX_metrics.csv`, its header first.
pub fn csv_records(entries: &[MetricEntry]) -> Vec<Vec<String>> {
    let mut records = vec![[
        "Type", "Name", "Count", "Value", "Rate", "Average", "Min", "Max", "50%", "90%", "95%",
        "99%",
    ]
    .map(String::from)
    .to_vec()];
    for entry in entries {
        let blank = String::new;
        let record = match entry {
            MetricEntry::Trend {
                name,
                count,
                avg,
                min,
                max,
                percentiles,
                ..
            } => {
                let mut record = vec![
                    "trend".into(),
                    name.clone(),
                    count.to_string(),
                    blank(),
                    blank(),
                    avg.to_string(),
                    min.to_string(),
                    max.to_string(),
                ];
                record.extend(TREND_PERCENTILES.iter().map(|p| {
                    percentiles
                        .get(&format!("{p}"))
                        .map_or_else(blank, ToString::to_string)
                }));
                record
            }
            MetricEntry::Counter { name, count, rate } => other_record(
                "counter",
                name,
                count.to_string(),
                blank(),
                rate.to_string(),
            ),
            MetricEntry::Rate {
                name,
                trues,
                falses,
                rate,
            } => other_record(
                "rate",
                name,
                (trues + falses).to_string(),
                trues.to_string(),
                rate.to_string(),
            ),
            MetricEntry::Gauge {
                name,
                value,
                min,
                max,
            } => {
                let mut record = other_record("gauge", name, blank(), value.to_string(), blank());
                record[6] = min.to_string();
                record[7] = max.to_string();
                record
            }
        };
        records.push(record);
    }
    records
}

fn other_record(kind: &str, name: &str, count: String, value: String, rate: String) -> Vec<String> {
    let mut record = vec![kind.to_string(), name.to_string(), count, value, rate];
    record.resize(12, String::new());
    record
}

/// A number with up to three decimals, as the scenario recorded it.
fn number(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

fn clip(name: &str) -> String {
    if name.chars().count() <= 32 {
        name.to_string()
    } else {
        let kept: String = name.chars().take(31).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricValue;

    fn metrics() -> CustomMetrics {
        let empty = RequestStats::new().expect("a layout");
        let mut custom = CustomMetrics::default();
        for value in [10.0, 20.0, 30.5] {
            custom.record("cart".into(), MetricValue::Trend(value), &empty, usize::MAX);
        }
        custom.record(
            "orders".into(),
            MetricValue::Counter(20),
            &empty,
            usize::MAX,
        );
        custom.record("hit".into(), MetricValue::Rate(true), &empty, usize::MAX);
        custom.record("hit".into(), MetricValue::Rate(false), &empty, usize::MAX);
        custom.record("queue".into(), MetricValue::Gauge(4.5), &empty, usize::MAX);
        custom
    }

    #[test]
    fn every_kind_is_summarised_and_shown() {
        let entries = entries(&metrics(), Duration::from_secs(10)).expect("entries");
        assert_eq!(entries.len(), 4);
        let text = console(&entries);
        for expected in [
            "cart                                    3     20.167         10",
            "counter   orders                           20 (2.00/s)",
            "rate      hit                              50.00% (1 of 2)",
            "gauge     queue                            4.5 (min 4.5, max 4.5)",
        ] {
            assert!(text.contains(expected), "`{expected}` in\n{text}");
        }
        let records = csv_records(&entries);
        assert_eq!(records.len(), 5);
        assert!(records.iter().all(|record| record.len() == 12));
        assert_eq!(records[2][..5], ["counter", "orders", "20", "", "2"]);
    }
}
