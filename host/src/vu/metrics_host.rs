//! The `metrics` import: the scenario's own trends, counters, rates and gauges, sent to the
//! aggregator like requests. A value that is not a finite number is not recorded.

use super::state::VuState;
use crate::bindings::metrics;
use crate::metrics::MetricValue;

impl metrics::Host for VuState {
    fn trend(&mut self, name: String, value: f64) -> wasmtime::Result<()> {
        if value.is_finite() {
            self.ctx.recorder.metric(name, MetricValue::Trend(value));
        }
        Ok(())
    }

    fn counter(&mut self, name: String, n: u64) -> wasmtime::Result<()> {
        self.ctx.recorder.metric(name, MetricValue::Counter(n));
        Ok(())
    }

    fn rate(&mut self, name: String, happened: bool) -> wasmtime::Result<()> {
        self.ctx.recorder.metric(name, MetricValue::Rate(happened));
        Ok(())
    }

    fn gauge(&mut self, name: String, value: f64) -> wasmtime::Result<()> {
        if value.is_finite() {
            self.ctx.recorder.metric(name, MetricValue::Gauge(value));
        }
        Ok(())
    }
}
