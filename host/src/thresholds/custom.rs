//! Measuring a threshold on one of the scenario's own metrics.

use std::time::Duration;

use crate::metrics::{RequestStats, RunStats, TREND_SCALE};
use crate::plan::threshold::{Amount, CustomKind, CustomStat, TimeStat};

/// The statistic `stat` of the custom metric `kind` `name`; `None` if it was never recorded.
pub fn amount(
    kind: CustomKind,
    name: &str,
    stat: CustomStat,
    stats: &RunStats,
    elapsed: Duration,
) -> Option<Amount> {
    let custom = &stats.custom;
    match kind {
        CustomKind::Trend => trend_amount(custom.trends.get(name)?, stat),
        CustomKind::Counter => {
            let total = *custom.counters.get(name)?;
            match stat {
                CustomStat::Count => Some(Amount::Count(total)),
                CustomStat::PerSecond if !elapsed.is_zero() => {
                    Some(Amount::Rate(total as f64 / elapsed.as_secs_f64()))
                }
                _ => None,
            }
        }
        CustomKind::Rate => {
            let count = custom.rates.get(name)?;
            let total = count.passed + count.failed;
            (stat == CustomStat::Share && total > 0)
                .then(|| Amount::Ratio(count.passed as f64 / total as f64))
        }
        CustomKind::Gauge => {
            let gauge = custom.gauges.get(name)?;
            match stat {
                CustomStat::Last => Some(Amount::Number(gauge.last)),
                CustomStat::Least => Some(Amount::Number(gauge.min)),
                CustomStat::Greatest => Some(Amount::Number(gauge.max)),
                _ => None,
            }
        }
    }
}

fn trend_amount(trend: &RequestStats, stat: CustomStat) -> Option<Amount> {
    if trend.count == 0 {
        return None;
    }
    // A trend row keeps thousandths where a request row keeps microseconds.
    let value = |duration: Duration| Amount::Number(duration.as_micros() as f64 / TREND_SCALE);
    match stat {
        CustomStat::Count => Some(Amount::Count(trend.count)),
        CustomStat::Value(TimeStat::Percentile(p)) => Some(value(trend.percentile(p))),
        CustomStat::Value(TimeStat::Median) => Some(value(trend.percentile(50.0))),
        CustomStat::Value(TimeStat::Avg) => Some(Amount::Number(
            trend.sum_us() as f64 / TREND_SCALE / trend.count as f64,
        )),
        CustomStat::Value(TimeStat::Min) => Some(value(trend.min())),
        CustomStat::Value(TimeStat::Max) => Some(value(trend.max())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Event, MetricValue};
    use crate::plan::threshold::Threshold;
    use crate::thresholds::evaluate;

    #[test]
    fn custom_metrics_are_judged_like_requests() {
        let mut stats = RunStats::new(&[]).expect("a layout");
        let mut record = |name: &str, value: MetricValue| {
            stats.apply(Event::Metric {
                name: name.into(),
                value,
            });
        };
        for value in 1..=100 {
            record("cart", MetricValue::Trend(f64::from(value)));
        }
        record("orders", MetricValue::Counter(30));
        for hit in [true, true, true, false] {
            record("hit", MetricValue::Rate(hit));
        }
        for depth in [3.0, 9.0, 1.0] {
            record("queue", MetricValue::Gauge(depth));
        }
        let verdicts = |texts: &[&str]| {
            let thresholds: Vec<Threshold> = texts
                .iter()
                .map(|text| Threshold::parse(text).expect("valid"))
                .collect();
            evaluate(&thresholds, &stats, Duration::from_secs(10), &[])
                .into_iter()
                .map(|verdict| (verdict.measured, verdict.passed))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            verdicts(&[
                "trend:cart:p95<=95.1",
                "trend:cart:avg==50.5",
                "trend:cart:count==100",
                "counter:orders:rate>=3",
                "rate:hit:rate>=75%",
                "gauge:queue:value==1",
                "gauge:queue:max<9",
                "trend:missing:p95<1",
            ]),
            [
                // The histogram's bucket of 95 reaches 95.039, as latencies' do (0.1%).
                ("95.039".to_string(), true),
                ("50.5".to_string(), true),
                ("100".to_string(), true),
                ("3.00/s".to_string(), true),
                ("75.00%".to_string(), true),
                ("1".to_string(), true),
                ("9".to_string(), false),
                ("no data".to_string(), false),
            ]
        );
    }
}
