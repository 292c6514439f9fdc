//! `--prometheus ADDR`: the run's metrics at `http://ADDR/metrics` in the Prometheus text
//! format, for Grafana and alerting: requests and failures by row, latency histograms, users,
//! iterations and dropped iterations, and the scenario's own metrics.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use prometheus::{Encoder, IntCounter, IntGauge, Registry, TextEncoder};
use tokio::task::JoinHandle;

use super::prometheus_custom::CustomSeries;
use super::prometheus_rows::RowSeries;
use crate::metrics::{
    CustomMetrics, Gauges, MetricValue, RequestKey, RequestStats, Sample, SampleObserver,
};

/// The run's Prometheus metrics; the aggregator (or a coordinator, a shard's second at a
/// time) feeds them, the endpoint renders them.
pub struct PrometheusMetrics {
    registry: Registry,
    rows: RowSeries,
    custom: CustomSeries,
    shard: u32,
    users: IntGauge,
    iterations: IntCounter,
    dropped: IntCounter,
    gauges: Arc<Gauges>,
}

impl PrometheusMetrics {
    /// Registers the metric families; `gauges` supplies users and iterations at each scrape,
    /// `scenarios` name the `scenario` label, and requests observed here are of `shard`.
    pub fn new(gauges: Arc<Gauges>, scenarios: Vec<String>, shard: u32) -> anyhow::Result<Self> {
        let users = IntGauge::new("wasmload_users", "Virtual users running.")?;
        let iterations =
            IntCounter::new("wasmload_iterations_total", "Iterations (tasks) started.")?;
        let dropped = IntCounter::new(
            "wasmload_dropped_iterations_total",
            "Arrival-rate iterations dropped because every user was busy.",
        )?;
        let registry = Registry::new();
        registry.register(Box::new(users.clone()))?;
        registry.register(Box::new(iterations.clone()))?;
        registry.register(Box::new(dropped.clone()))?;
        let rows = RowSeries::default();
        rows.set_scenarios(scenarios);
        let custom = CustomSeries::register(&registry)?;
        Ok(Self {
            registry,
            rows,
            custom,
            shard,
            users,
            iterations,
            dropped,
            gauges,
        })
    }

    /// Names the scenarios of the `scenario` label (a coordinator learns them late).
    pub fn set_scenarios(&self, scenarios: Vec<String>) {
        self.rows.set_scenarios(scenarios);
    }

    /// Adds a row of one second of shard `shard`.
    pub fn add_row(&self, shard: u32, key: &RequestKey, row: &RequestStats) {
        self.rows.add_row(shard, key, row);
    }

    /// Adds the custom metrics of a shard's second.
    pub fn add_custom(&self, custom: &CustomMetrics) {
        self.custom.add(custom);
    }

    /// The exposition text, with the gauges read now.
    pub fn render(&self) -> String {
        self.users.set(i64::from(self.gauges.users()));
        catch_up(&self.iterations, self.gauges.iterations());
        catch_up(&self.dropped, self.gauges.dropped_iterations());
        let mut families = self.rows.families();
        families.extend(self.registry.gather());
        let mut text = Vec::new();
        match TextEncoder::new().encode(&families, &mut text) {
            Ok(()) => String::from_utf8_lossy(&text).into_owned(),
            Err(err) => format!("# cannot encode the metrics: {err}\n"),
        }
    }
}

impl SampleObserver for PrometheusMetrics {
    /// Counts the request, without a latency.
    fn cancelled(&self, sample: &Sample) {
        self.rows.observe(self.shard, sample, false);
    }

    /// Counts one finished request.
    fn observe(&self, sample: &Sample) {
        self.rows.observe(self.shard, sample, true);
    }

    /// Adds one value of a custom metric.
    fn metric(&self, name: &str, value: &MetricValue) {
        self.custom.observe(name, value);
    }
}

impl std::fmt::Debug for PrometheusMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusMetrics").finish_non_exhaustive()
    }
}

/// Raises a counter to `total`.
fn catch_up(counter: &IntCounter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

/// Serves `/metrics` on `addr` until the returned task is aborted; returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<PrometheusMetrics>,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on --prometheus {addr}"))?;
    let bound = listener.local_addr()?;
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = Arc::clone(&metrics);
            async move {
                (
                    [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
                    metrics.render(),
                )
            }
        }),
    );
    let task = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::warn!("the Prometheus endpoint stopped: {err}");
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::SampleTag;

    #[test]
    fn requests_failures_and_latencies_are_exposed() {
        let gauges = Arc::new(Gauges::default());
        gauges.set_users(7, 10);
        let metrics =
            PrometheusMetrics::new(Arc::clone(&gauges), vec!["Shop".into()], 2).expect("metrics");
        for failure in [None, Some("HTTP 500".to_string())] {
            metrics.observe(&Sample {
                method: "GET".into(),
                name: "/api/v1/orders".into(),
                latency_us: 3_000,
                bytes: 10,
                failure,
                tag: SampleTag::default(),
            });
        }
        let text = metrics.render();
        assert!(
            text.contains(
                r#"wasmload_requests_total{method="GET",name="/api/v1/orders",scenario="Shop",shard="2"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(
            r#"wasmload_request_failures_total{method="GET",name="/api/v1/orders",scenario="Shop",shard="2"} 1"#
        ));
        assert!(text.contains(r#"wasmload_request_duration_seconds_bucket{method="GET",name="/api/v1/orders",scenario="Shop",shard="2",le="0.005"} 2"#));
        assert!(text.contains(r#"wasmload_request_duration_seconds_bucket{method="GET",name="/api/v1/orders",scenario="Shop",shard="2",le="0.0025"} 0"#));
        assert!(text.contains("wasmload_users 7"));
    }

    #[test]
    fn the_example_grafana_dashboard_queries_metrics_that_exist() {
        let dashboard: serde_json::Value = serde_json::from_str(include_str!(
            "../../../examples/grafana/wasmload-dashboard.json"
        ))
        .expect("the dashboard is JSON");
        let metrics =
            PrometheusMetrics::new(Arc::new(Gauges::default()), Vec::new(), 0).expect("metrics");
        metrics.observe(&Sample {
            method: "GET".into(),
            name: "/".into(),
            latency_us: 1,
            bytes: 0,
            failure: Some("x".into()),
            tag: SampleTag::default(),
        });
        let exposed = metrics.render();
        let panels = dashboard["panels"].as_array().expect("panels");
        assert!(!panels.is_empty());
        for target in panels
            .iter()
            .flat_map(|panel| panel["targets"].as_array().into_iter().flatten())
        {
            let expr = target["expr"].as_str().expect("an expression");
            let names: Vec<&str> = expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|word| word.starts_with("wasmload_"))
                .collect();
            assert!(!names.is_empty(), "{expr}");
            for name in names {
                assert!(exposed.contains(name), "{name} is not exposed");
            }
        }
    }
}
