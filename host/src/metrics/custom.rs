//! A scenario's own metrics, as k6 has them: trends (a distribution, kept in the same exact
//! HDR histograms as response times), counters, rates (the share of trues) and gauges (the
//! last value, with the least and greatest).

use std::collections::BTreeMap;

use super::{CheckCount, Overflow, RequestStats};

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
    /// Values not kept because their name was new past the cap on names, and the first
    /// such names.
    pub dropped: Overflow,
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
    /// trend. A new name past `max_names` of its kind is not kept, only counted.
    pub fn record(
        &mut self,
        name: String,
        value: MetricValue,
        empty: &RequestStats,
        max_names: usize,
    ) {
        let (known, names) = match value {
            MetricValue::Trend(_) => (self.trends.contains_key(&name), self.trends.len()),
            MetricValue::Counter(_) => (self.counters.contains_key(&name), self.counters.len()),
            MetricValue::Rate(_) => (self.rates.contains_key(&name), self.rates.len()),
            MetricValue::Gauge(_) => (self.gauges.contains_key(&name), self.gauges.len()),
        };
        if !known && names >= max_names {
            self.dropped.note(name);
            return;
        }
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
        self.dropped.absorb(&other.dropped);
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
            metrics.record("cart".into(), MetricValue::Trend(value), &empty, 10);
        }
        metrics.record("items".into(), MetricValue::Counter(3), &empty, 10);
        metrics.record("items".into(), MetricValue::Counter(4), &empty, 10);
        for hit in [true, true, false] {
            metrics.record("hit".into(), MetricValue::Rate(hit), &empty, 10);
        }
        for value in [5.0, 2.0, 9.0, 4.0] {
            metrics.record("queue".into(), MetricValue::Gauge(value), &empty, 10);
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

    #[test]
    fn names_past_the_cap_are_counted_not_kept() {
        let empty = RequestStats::new().expect("a layout");
        let mut metrics = CustomMetrics::default();
        for id in 0..5 {
            metrics.record(format!("order {id}"), MetricValue::Counter(1), &empty, 3);
        }
        metrics.record("order 0".into(), MetricValue::Counter(1), &empty, 3);
        assert_eq!(metrics.counters.len(), 3);
        assert_eq!(
            metrics.counters["order 0"], 2,
            "a known name is still counted"
        );
        assert_eq!(metrics.dropped.requests, 2);
        assert_eq!(metrics.dropped.examples, ["order 3", "order 4"]);
    }
}
