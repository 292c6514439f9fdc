//! The `metrics` import: the scenario's own trends, counters, rates and gauges, sent to the
//! aggregator like requests (a value that is not a finite number is not recorded); and
//! groups, whose requests are tagged with them and whose durations are recorded.

use std::sync::Arc;
use std::time::Instant;

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

    fn begin_group(&mut self, name: String) -> wasmtime::Result<()> {
        let path: Arc<str> = match (self.groups.last(), self.row_prefix) {
            (Some((outer, _)), _) => format!("{outer}::{name}").into(),
            // A setup's or teardown's group is its own, as its requests' rows are.
            (None, Some(prefix)) => format!("{prefix}: {name}").into(),
            (None, None) => name.into(),
        };
        self.groups.push((path, Instant::now()));
        Ok(())
    }

    fn end_group(&mut self) -> wasmtime::Result<()> {
        if let Some((name, began)) = self.groups.pop() {
            let micros = began.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
            let scenario = self.identity.scenario;
            self.ctx.recorder.group(scenario, name.to_string(), micros);
        }
        Ok(())
    }
}
