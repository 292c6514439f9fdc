//! `--prometheus ADDR`: the run's metrics at `http://ADDR/metrics` in the Prometheus text
//! format, for Grafana and alerting: requests and failures by row, latency histograms, users,
//! iterations and dropped iterations.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use tokio::task::JoinHandle;

use crate::metrics::{Gauges, Sample, SampleObserver};

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// The run's Prometheus metrics; the aggregator feeds them, the endpoint renders them.
pub struct PrometheusMetrics {
    registry: Registry,
    requests: IntCounterVec,
    failures: IntCounterVec,
    duration: HistogramVec,
    users: IntGauge,
    iterations: IntCounter,
    dropped: IntCounter,
    gauges: Arc<Gauges>,
}

impl PrometheusMetrics {
    /// Registers the metric families; `gauges` supplies users and iterations at each scrape.
    pub fn new(gauges: Arc<Gauges>) -> anyhow::Result<Self> {
        let labels = ["method", "name"];
        let requests = IntCounterVec::new(
            Opts::new("wasmload_requests_total", "Requests completed, by row."),
            &labels,
        )?;
        let failures = IntCounterVec::new(
            Opts::new(
                "wasmload_request_failures_total",
                "Requests that failed, by row.",
            ),
            &labels,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "wasmload_request_duration_seconds",
                "Time from sending a request to its last body byte.",
            )
            .buckets(BUCKETS.to_vec()),
            &labels,
        )?;
        let users = IntGauge::new("wasmload_users", "Virtual users running.")?;
        let iterations =
            IntCounter::new("wasmload_iterations_total", "Iterations (tasks) started.")?;
        let dropped = IntCounter::new(
            "wasmload_dropped_iterations_total",
            "Arrival-rate iterations dropped because every user was busy.",
        )?;
        let registry = Registry::new();
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(failures.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(users.clone()))?;
        registry.register(Box::new(iterations.clone()))?;
        registry.register(Box::new(dropped.clone()))?;
        Ok(Self {
            registry,
            requests,
            failures,
            duration,
            users,
            iterations,
            dropped,
            gauges,
        })
    }

    /// The exposition text, with the gauges read now.
    pub fn render(&self) -> String {
        self.users.set(i64::from(self.gauges.users()));
        catch_up(&self.iterations, self.gauges.iterations());
        catch_up(&self.dropped, self.gauges.dropped_iterations());
        let mut text = Vec::new();
        match TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            Ok(()) => String::from_utf8_lossy(&text).into_owned(),
            Err(err) => format!("# cannot encode the metrics: {err}\n"),
        }
    }
}

impl SampleObserver for PrometheusMetrics {
    /// Counts the request, without a latency.
    fn cancelled(&self, sample: &Sample) {
        let labels = [sample.method.as_ref(), sample.name.as_str()];
        self.requests.with_label_values(&labels).inc();
    }

    /// Counts one finished request.
    fn observe(&self, sample: &Sample) {
        let labels = [sample.method.as_ref(), sample.name.as_str()];
        self.requests.with_label_values(&labels).inc();
        if sample.failure.is_some() {
            self.failures.with_label_values(&labels).inc();
        }
        self.duration
            .with_label_values(&labels)
            .observe(sample.latency_us as f64 / 1e6);
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
        let metrics = PrometheusMetrics::new(Arc::clone(&gauges)).expect("metrics");
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
            text.contains(r#"wasmload_requests_total{method="GET",name="/api/v1/orders"} 2"#),
            "{text}"
        );
        assert!(text
            .contains(r#"wasmload_request_failures_total{method="GET",name="/api/v1/orders"} 1"#));
        assert!(text.contains(r#"wasmload_request_duration_seconds_bucket{method="GET",name="/api/v1/orders",le="0.005"} 2"#));
        assert!(text.contains("wasmload_users 7"));
    }

    #[test]
    fn the_example_grafana_dashboard_queries_metrics_that_exist() {
        let dashboard: serde_json::Value = serde_json::from_str(include_str!(
            "../../../examples/grafana/wasmload-dashboard.json"
        ))
        .expect("the dashboard is JSON");
        let metrics = PrometheusMetrics::new(Arc::new(Gauges::default())).expect("metrics");
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
