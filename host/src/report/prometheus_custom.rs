//! The scenario's own metrics as Prometheus series, labelled by `name`: a counter's total, a
//! rate's trues and falses, a gauge's value, and a trend's count and sum (their ratio over
//! time is its mean).

use prometheus::{CounterVec, GaugeVec, IntCounterVec, Opts, Registry};

use crate::metrics::{CustomMetrics, MetricValue, TREND_SCALE};

/// The families of the custom metrics.
pub struct CustomSeries {
    counters: IntCounterVec,
    rates: IntCounterVec,
    gauges: GaugeVec,
    trend_count: IntCounterVec,
    trend_sum: CounterVec,
}

impl CustomSeries {
    /// Registers the families in `registry`.
    pub fn register(registry: &Registry) -> anyhow::Result<Self> {
        let series = Self {
            counters: IntCounterVec::new(
                Opts::new("wasmload_custom_counter_total", "A scenario's counter."),
                &["name"],
            )?,
            rates: IntCounterVec::new(
                Opts::new(
                    "wasmload_custom_rate_total",
                    "A scenario's rate: how often it recorded true and false.",
                ),
                &["name", "value"],
            )?,
            gauges: GaugeVec::new(
                Opts::new(
                    "wasmload_custom_gauge",
                    "A scenario's gauge: its last value.",
                ),
                &["name"],
            )?,
            trend_count: IntCounterVec::new(
                Opts::new(
                    "wasmload_custom_trend_count",
                    "Values a scenario's trend recorded.",
                ),
                &["name"],
            )?,
            trend_sum: CounterVec::new(
                Opts::new(
                    "wasmload_custom_trend_sum",
                    "The sum of a scenario's trend values.",
                ),
                &["name"],
            )?,
        };
        registry.register(Box::new(series.counters.clone()))?;
        registry.register(Box::new(series.rates.clone()))?;
        registry.register(Box::new(series.gauges.clone()))?;
        registry.register(Box::new(series.trend_count.clone()))?;
        registry.register(Box::new(series.trend_sum.clone()))?;
        Ok(series)
    }

    /// Adds one value.
    pub fn observe(&self, name: &str, value: &MetricValue) {
        match *value {
            MetricValue::Trend(value) => {
                self.trend_count.with_label_values(&[name]).inc();
                let kept = (value.max(0.0) * TREND_SCALE).round() / TREND_SCALE;
                self.trend_sum.with_label_values(&[name]).inc_by(kept);
            }
            MetricValue::Counter(amount) => self.counters.with_label_values(&[name]).inc_by(amount),
            MetricValue::Rate(happened) => {
                let value = if happened { "true" } else { "false" };
                self.rates.with_label_values(&[name, value]).inc();
            }
            MetricValue::Gauge(value) => self.gauges.with_label_values(&[name]).set(value),
        }
    }

    /// Adds a shard's second of them (on a coordinator).
    pub fn add(&self, custom: &CustomMetrics) {
        for (name, trend) in &custom.trends {
            self.trend_count
                .with_label_values(&[name])
                .inc_by(trend.count);
            let sum = trend.sum_us() as f64 / TREND_SCALE;
            self.trend_sum.with_label_values(&[name]).inc_by(sum);
        }
        for (name, &amount) in &custom.counters {
            self.counters.with_label_values(&[name]).inc_by(amount);
        }
        for (name, count) in &custom.rates {
            self.rates
                .with_label_values(&[name, "true"])
                .inc_by(count.passed);
            self.rates
                .with_label_values(&[name, "false"])
                .inc_by(count.failed);
        }
        for (name, gauge) in &custom.gauges {
            self.gauges.with_label_values(&[name]).set(gauge.last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::{Encoder, TextEncoder};

    #[test]
    fn each_kind_is_a_series_named_by_the_metric() {
        let registry = Registry::new();
        let series = CustomSeries::register(&registry).expect("registered");
        series.observe("price", &MetricValue::Trend(12.5));
        series.observe("price", &MetricValue::Trend(7.5));
        series.observe("views", &MetricValue::Counter(3));
        series.observe("hit", &MetricValue::Rate(true));
        series.observe("stock", &MetricValue::Gauge(4.0));
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .expect("encoded");
        let text = String::from_utf8(text).expect("UTF-8");
        for expected in [
            "wasmload_custom_trend_count{name=\"price\"} 2",
            "wasmload_custom_trend_sum{name=\"price\"} 20",
            "wasmload_custom_counter_total{name=\"views\"} 3",
            "wasmload_custom_rate_total{name=\"hit\",value=\"true\"} 1",
            "wasmload_custom_gauge{name=\"stock\"} 4",
        ] {
            assert!(text.contains(expected), "`{expected}` in\n{text}");
        }
    }
}
