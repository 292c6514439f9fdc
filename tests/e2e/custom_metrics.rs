//! Custom metrics (trend, counter, rate, gauge): what the scenario records from the server's
//! own answers arrives exactly in every report (console, CSV, JSON, HTML), thresholds judge
//! it, and shards merge into the same numbers as one process.

use crate::outputs::assert_follows_the_schema;
use crate::support::{demo_server, guest, http, run, run_args, scratch_dir, wasmload, Run};

/// What the demo API says of products 1000..1020: price, stock, in stock.
async fn products(port: u16) -> Vec<(f64, f64, bool)> {
    let mut products = Vec::new();
    for id in 1000..1020 {
        let (status, body) = http(port, "GET", &format!("/api/v1/products/{id}")).await;
        assert_eq!(status, 200);
        let product: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        products.push((
            product["price"].as_f64().expect("a price"),
            product["stock"].as_f64().expect("a stock"),
            product["in_stock"].as_bool().expect("in stock or not"),
        ));
    }
    products
}

/// The summary's metric of `kind` and `name`.
fn metric<'a>(summary: &'a serde_json::Value, kind: &str, name: &str) -> &'a serde_json::Value {
    summary["metrics"]
        .as_array()
        .and_then(|metrics| {
            metrics
                .iter()
                .find(|metric| metric["type"] == kind && metric["name"] == name)
        })
        .unwrap_or_else(|| panic!("no {kind} {name} in the summary"))
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("the summary")).expect("JSON")
}

#[tokio::test]
async fn custom_metrics_reach_every_report_and_the_thresholds() {
    let server = demo_server().await;
    let products = products(server.addr().port()).await;
    let asked_before = server.requests_served();
    let dir = scratch_dir("custom_metrics");
    let (json, csv, html) = (dir.join("run.json"), dir.join("run"), dir.join("run.html"));
    let trues = 2 * products.iter().filter(|(_, _, in_stock)| *in_stock).count() as u64;
    let last_stock = products[19].1;
    let thresholds = [
        "counter:views:count==40".to_string(),
        format!("rate:in_stock:rate=={}", trues as f64 / 40.0),
        format!("gauge:stock:value=={last_stock}"),
        "trend:price:count==40".to_string(),
        "GROUP browse:p95<5s".to_string(),
        "trend:price:p95<0.01".to_string(),
    ];
    let mut flags = vec![
        "--users".to_string(),
        "1".into(),
        "--iterations".into(),
        "40".into(),
        "--quiet".into(),
        format!("--json={}", json.display()),
        format!("--csv={}", csv.display()),
        format!("--html={}", html.display()),
    ];
    for threshold in &thresholds {
        flags.extend(["--threshold".to_string(), threshold.clone()]);
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let result = run(run_args(&guest("cart_metrics"), &server.url(), &flags)).await;
    let served = server.shutdown().await - asked_before;
    result.assert(result.code == 4, "one threshold fails, so the run exits 4");
    let verdicts = ["pass", "pass", "pass", "pass", "pass", "FAIL"];
    for (threshold, verdict) in thresholds.iter().zip(verdicts) {
        let line = result
            .stdout
            .lines()
            .find(|line| line.contains(threshold.as_str()));
        result.assert(
            line.is_some_and(|line| line.trim_end().ends_with(verdict)),
            &format!("{threshold} is judged {verdict}"),
        );
    }
    let summary = read_json(&json);
    assert_follows_the_schema(&summary);
    let price = metric(&summary, "trend", "price");
    let sum: f64 = products.iter().map(|(price, _, _)| 2.0 * price).sum();
    let least = products.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let most = products.iter().map(|p| p.0).fold(0.0, f64::max);
    result.assert(
        price["count"] == 40
            && (price["sum"].as_f64().unwrap_or(0.0) - sum).abs() < 1e-6
            && price["min"].as_f64() == Some(least)
            && price["max"].as_f64() == Some(most),
        &format!("the trend holds the 40 prices the server sent: {price}"),
    );
    result.assert(
        metric(&summary, "counter", "views")["count"] == 40
            && metric(&summary, "rate", "in_stock")["trues"] == trues
            && metric(&summary, "gauge", "stock")["value"].as_f64() == Some(last_stock),
        "the counter, the rate and the gauge hold what the scenario recorded",
    );
    assert_groups(&result, &summary, served);
    assert_shown(&result, &dir);
}

/// The `browse` group: a row of its own, its requests tagged, and not counted as a request.
fn assert_groups(result: &Run, summary: &serde_json::Value, served: u64) {
    let group = &summary["groups"][0];
    result.assert(
        group["name"] == "browse" && group["count"] == 40,
        &format!("the group's 40 runs have a row: {group}"),
    );
    let sum_us = |row: &serde_json::Value| row["sum_us"].as_u64().unwrap_or(0);
    let inside: u64 = summary["requests"]
        .as_array()
        .map(|rows| rows.iter().map(sum_us).sum())
        .unwrap_or(0);
    result.assert(
        inside > 0 && sum_us(group) >= inside,
        &format!(
            "the group's time covers its requests': {} us >= {inside} us",
            sum_us(group)
        ),
    );
    let tagged = summary["requests"]
        .as_array()
        .is_some_and(|rows| rows.iter().all(|row| row["groups"][0] == "browse"));
    result.assert(tagged, "each request row is tagged with its group");
    result.assert(
        result.aggregated() == (served, 0) && served == 80,
        &format!("80 requests, the server's count, and no group among them: {served}"),
    );
    result.assert(
        result
            .stdout
            .lines()
            .any(|line| line.starts_with("GROUP") && line.contains("browse")),
        "the console shows the group's row",
    );
}

/// The console, `run_metrics.csv` and the HTML report show the four metrics.
fn assert_shown(result: &Run, dir: &std::path::Path) {
    for expected in [
        "Trends",
        "price",
        "counter   views",
        "rate      in_stock",
        "gauge     stock",
    ] {
        result.assert(
            result.stdout.contains(expected),
            &format!("the console shows `{expected}`"),
        );
    }
    let rows = std::fs::read_to_string(dir.join("run_metrics.csv")).expect("PREFIX_metrics.csv");
    result.assert(
        rows.lines().count() == 5 && rows.starts_with("Type,Name,Count"),
        &format!("a header and a row per metric:\n{rows}"),
    );
    let page = std::fs::read_to_string(dir.join("run.html")).expect("the HTML report");
    result.assert(
        page.contains("<h2>Custom metrics</h2>") && page.contains("in_stock"),
        "the HTML report has the metrics",
    );
}

#[tokio::test]
async fn shards_merge_into_the_same_metrics_as_one_process() {
    let server = demo_server().await;
    let products = products(server.addr().port()).await;
    let dir = scratch_dir("custom_metrics_shards");
    let mut summaries = Vec::new();
    for shard in ["0/2", "1/2"] {
        let path = dir.join(format!("shard-{}.json", &shard[..1]));
        let json = format!("--json={}", path.display());
        let flags = [
            "--users",
            "2",
            "--iterations",
            "40",
            "--seed",
            "1",
            "--shard",
            shard,
            "--quiet",
            &json,
        ];
        let result = run(run_args(&guest("cart_metrics"), &server.url(), &flags)).await;
        result.assert(result.code == 0, &format!("shard {shard} passes"));
        summaries.push(path);
    }
    server.shutdown().await;
    let merged = dir.join("merged.json");
    let mut args = vec!["merge".to_string()];
    args.extend(summaries.iter().map(|path| path.display().to_string()));
    args.extend([
        format!("--json={}", merged.display()),
        "--threshold".into(),
        "counter:views:count==40".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = Run::from_output(wasmload(&args).output().expect("wasmload runs"));
    result.assert(result.code == 0, "the merged counter passes its threshold");
    let summary = read_json(&merged);
    let price = metric(&summary, "trend", "price");
    let sum: f64 = products.iter().map(|(price, _, _)| 2.0 * price).sum();
    result.assert(
        price["count"] == 40 && (price["sum"].as_f64().unwrap_or(0.0) - sum).abs() < 1e-6,
        &format!("each shard's user viewed the 20 products; merged: {price}"),
    );
    let shard: Vec<serde_json::Value> = summaries.iter().map(|path| read_json(path)).collect();
    let median = |summary: &serde_json::Value| {
        metric(summary, "trend", "price")["percentiles"]["50"].clone()
    };
    result.assert(
        median(&summary) == median(&shard[0]),
        "two shards of the same prices merge to the same median as either",
    );
}
