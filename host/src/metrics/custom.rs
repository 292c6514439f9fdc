//! A scenario's own metrics, as k6 has them: trends (a distribution, kept in the same exact
//! HDR histograms as response times), counters, rates (the share of trues) and gauges (the
//! last value, with the least and greatest).

use std::collections::BTreeMap;

use super::{CheckCount, RequestStats};

/// Trend values are kept in thousandths: three decimals, from 0 to about 3.6 million.
pub const TREND_SCALE: f64 = 1000.0;
/// The most thousandths a trend value keeps (3.6 million); larger values count as it.
const TREND_MAX: f64 = 3.6e9;

/// One value a scenario records.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    /// A value of a trend; negative values count as 0, and those past 3.6 million as that.
    Trend(f64),
    /// An amount to add to a counter.
    Counter(u64),
    /// Whether something happened, for a rate.
    Rate(bool),
    /// A gauge's new value.
    Gauge(f64),
}

/// A gauge: its last value, and the least and greatest it has had.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gauge {
    /// The value set last.
    pub last: f64,
    /// The least value set.
    pub min: f64,
    /// The greatest value set.
    pub max: f64,
}

impl Gauge {
    fn new(value: f64) -> Self {
        Self {
            last: value,
            min: value,
            max: value,
        }
    }

    /// Takes `later`'s last value, and the extremes of both.
    pub fn merge(&mut self, later: &Gauge) {
        self.last = later.last;
        self.min = self.min.min(later.min);
        self.max = self.max.max(later.max);
    }
}

/// Every custom metric of a run, by name.
#[derive(Debug, Clone, Default)]
pub struct CustomMetrics {
    /// Trends, their values in thousandths as a row's latencies are in microseconds.
    pub trends: BTreeMap<String, RequestStats>,
    /// Counters.
    pub counters: BTreeMap<String, u64>,
    /// Rates: trues as passes, falses as failures.
    pub rates: BTreeMap<String, CheckCount>,
    /// Gauges.
    pub gauges: BTreeMap<String, Gauge>,
}

impl CustomMetrics {
    /// Whether no custom metric was recorded.
    pub fn is_empty(&self) -> bool {
        self.trends.is_empty()
            && self.counters.is_empty()
            && self.rates.is_empty()
            && self.gauges.is_empty()
    }

    /// Records `value` under `name`; `empty` is an empty row of the run's layout, for a new
    /// trend.
    pub fn record(&mut self, name: String, value: MetricValue, empty: &RequestStats) {
        match value {
            MetricValue::Trend(value) => {
                let thousandths = (value * TREND_SCALE).round().clamp(0.0, TREND_MAX) as u64;
                self.trends
                    .entry(name)
                    .or_insert_with(|| empty.empty_like())
                    .record(thousandths, 0, false);
            }
            MetricValue::Counter(amount) => {
                let counter = self.counters.entry(name).or_default();
                *counter = counter.saturating_add(amount);
            }
            MetricValue::Rate(happened) => {
                let rate = self.rates.entry(name).or_default();
                if happened {
                    rate.passed += 1;
                } else {
                    rate.failed += 1;
                }
            }
            MetricValue::Gauge(value) => {
                self.gauges
                    .entry(name)
                    .and_modify(|gauge| gauge.merge(&Gauge::new(value)))
                    .or_insert_with(|| Gauge::new(value));
            }
        }
    }

    /// Adds `other` (a later second, or another shard) to these, exactly; a gauge takes
    /// `other`'s last value.
    pub fn absorb(&mut self, other: &CustomMetrics) {
        for (name, trend) in &other.trends {
            match self.trends.get_mut(name) {
                Some(mine) => mine.merge(trend),
                None => {
                    self.trends.insert(name.clone(), trend.clone());
                }
            }
        }
        for (name, amount) in &other.counters {
            let counter = self.counters.entry(name.clone()).or_default();
            *counter = counter.saturating_add(*amount);
        }
        for (name, count) in &other.rates {
            let rate = self.rates.entry(name.clone()).or_default();
            rate.passed += count.passed;
            rate.failed += count.failed;
        }
        for (name, gauge) in &other.gauges {
            self.gauges
                .entry(name.clone())
                .and_modify(|mine| mine.merge(gauge))
                .or_insert(*gauge);
        }
    }
}

/// A trend's statistic in the scenario's units: `thousandths` as a trend row keeps them.
pub fn trend_value(thousandths: u64) -> f64 {
    thousandths as f64 / TREND_SCALE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_keeps_what_k6_keeps() {
        let empty = RequestStats::new().expect("a layout");
        let mut metrics = CustomMetrics::default();
        for value in [12.5, 300.0, 7.25] {
            metrics.record("cart".into(), MetricValue::Trend(value), &empty);
        }
        metrics.record("items".into(), MetricValue::Counter(3), &empty);
        metrics.record("items".into(), MetricValue::Counter(4), &empty);
        for hit in [true, true, false] {
            metrics.record("hit".into(), MetricValue::Rate(hit), &empty);
        }
        for value in [5.0, 2.0, 9.0, 4.0] {
            metrics.record("queue".into(), MetricValue::Gauge(value), &empty);
        }
        let cart = &metrics.trends["cart"];
        assert_eq!(cart.count, 3);
        assert_eq!(trend_value(cart.sum_us()), 319.75);
        assert_eq!(trend_value(cart.counts().max_us), 300.0);
        assert_eq!(metrics.counters["items"], 7);
        assert_eq!(
            (metrics.rates["hit"].passed, metrics.rates["hit"].failed),
            (2, 1)
        );
        assert_eq!(
            metrics.gauges["queue"],
            Gauge {
                last: 4.0,
                min: 2.0,
                max: 9.0
            }
        );
        let mut whole = CustomMetrics::default();
        whole.absorb(&metrics);
        whole.absorb(&metrics);
        assert_eq!(whole.trends["cart"].count, 6);
        assert_eq!(whole.counters["items"], 14);
        assert_eq!(whole.rates["hit"].passed, 4);
        assert_eq!(whole.gauges["queue"].last, 4.0);
    }
}
