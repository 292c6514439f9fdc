//! `--prometheus`: `/metrics` parses as Prometheus text and its counters match the summary.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{demo_server, eventually, free_port, guest, http, scratch_dir, wasmload};

async fn scrape(port: u16) -> String {
    let (status, body) = http(port, "GET", "/metrics").await;
    assert_eq!(status, 200, "{body}");
    body
}

fn sum(scrape: &prometheus_parse::Scrape, metric: &str) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == metric)
        .map(|sample| match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn metrics_parse_and_match_the_summary() {
    let server = demo_server().await;
    let out = scratch_dir("prometheus");
    let json = out.join("run.json");
    let port = free_port();
    let (component, url) = (guest("status_checks").display().to_string(), server.url());
    let (json_arg, addr) = (json.display().to_string(), format!("127.0.0.1:{port}"));
    let mut child = tokio::process::Command::from(wasmload(&[
        "run",
        &component,
        "--host",
        &url,
        "--users",
        "4",
        "--run-time",
        "2s",
        "--json",
        &json_arg,
        "--prometheus",
        &addr,
        "--prometheus-linger",
        "60s",
        "--quiet",
    ]))
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("wasmload starts");
    // The summary is written after the run and before the endpoint lingers.
    eventually("the end of the run", Duration::from_secs(60), || {
        json.is_file()
    })
    .await;
    let text = scrape(port).await;
    child.kill().await.expect("wasmload stops");
    let served = server.shutdown().await;

    let lines = text.lines().map(|line| Ok(line.to_string()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the summary"))
            .expect("valid JSON");
    let total = summary["aggregated"]["count"].as_f64().expect("a count");
    assert!(total > 0.0);
    assert_eq!(
        total, served as f64,
        "the summary counts what the server served"
    );
    assert_eq!(sum(&parsed, "wasmload_requests_total"), total, "{text}");
    assert_eq!(
        sum(&parsed, "wasmload_request_failures_total"),
        summary["aggregated"]["failures"].as_f64().unwrap_or(-1.0)
    );
    let histogram_count: f64 = parsed
        .samples
        .iter()
        .filter(|sample| sample.metric == "wasmload_request_duration_seconds")
        .map(|sample| match &sample.value {
            prometheus_parse::Value::Histogram(buckets) => {
                buckets.iter().map(|b| b.count).fold(0.0, f64::max)
            }
            _ => 0.0,
        })
        .sum();
    assert_eq!(histogram_count, total, "the histograms hold every request");
    assert_eq!(
        sum(&parsed, "wasmload_iterations_total"),
        summary["outcome"]["iterations"].as_f64().unwrap_or(-1.0)
    );
}
