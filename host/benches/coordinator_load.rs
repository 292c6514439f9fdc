//! Benchmark: one coordinator (`wasmload coordinate`, another process) under SHARDS simulated
//! shards, each posting one second per wall second with ROWS rows (their histograms exact,
//! about 200 requests a second a shard), as real shards do. Prints the coordinator's CPU per
//! wall second and its resident memory as the run goes on.
//!
//! `WASMLOAD_RUN_SECRET=… cargo bench -p wasmload --bench coordinator_load -- PORT PID
//! [SHARDS [ROWS [SECONDS]]]`, with the coordinator started as
//! `wasmload coordinate --shards SHARDS --listen 127.0.0.1:PORT` and PID its process id.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::json;

use wasmload::metrics::{Event, Interval, RunStats, Sample, SampleTag};
use wasmload::report::LOCUST_PERCENTILES;
use wasmload::shard_link::wire::{SecondOut, SECRET_ENV};

/// Requests each simulated shard records in a second.
const REQUESTS_PER_SECOND: u64 = 200;
/// Seconds before the measurement starts.
const WARM_UP: u64 = 5;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Setup {
    base: String,
    secret: String,
    shards: u32,
    client: HttpClient,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let number = |index: usize, default: u64| -> anyhow::Result<u64> {
        Ok(args
            .get(index)
            .map(|n| n.parse())
            .transpose()?
            .unwrap_or(default))
    };
    let port = number(0, 0)?;
    let pid = number(1, 0)?;
    anyhow::ensure!(
        port > 0 && pid > 0,
        "usage: coordinator_load PORT PID [SHARDS [ROWS [SECONDS]]]"
    );
    let shards = u32::try_from(number(2, 1000)?)?;
    let rows = number(3, 10)?;
    let seconds = number(4, 30)?;
    let secret = std::env::var(SECRET_ENV)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(usize::MAX)
        .build(connector);
    let setup = Arc::new(Setup {
        base: format!("http://127.0.0.1:{port}"),
        secret,
        shards,
        client,
    });
    runtime.block_on(measure(setup, pid, rows, seconds))
}

async fn measure(setup: Arc<Setup>, pid: u64, rows: u64, seconds: u64) -> anyhow::Result<()> {
    let second = second_json(rows)?;
    let mut joins = Vec::new();
    for shard in 0..setup.shards {
        let setup = Arc::clone(&setup);
        joins.push(tokio::spawn(async move { hello(&setup, shard).await }));
    }
    let mut start_ms = 0;
    for join in joins {
        start_ms = join.await??;
    }
    let start = UNIX_EPOCH + Duration::from_millis(start_ms);
    for shard in 0..setup.shards {
        let (setup, second) = (Arc::clone(&setup), second.clone());
        let total = WARM_UP + seconds;
        tokio::spawn(async move { post_seconds(&setup, shard, start, &second, total).await });
    }
    sleep_until(start + Duration::from_secs(WARM_UP)).await;
    let (cpu_before, rss_start) = (cpu_seconds(pid)?, rss_kib(pid)?);
    let mut rss = vec![rss_start];
    for third in 1..=3 {
        sleep_until(start + Duration::from_secs(WARM_UP + seconds * third / 3)).await;
        rss.push(rss_kib(pid)?);
    }
    let cpu = cpu_seconds(pid)? - cpu_before;
    println!(
        "coordinator under {} shards x {rows} rows x {REQUESTS_PER_SECOND} requests/s: {:.1} ms of CPU per wall second (target < 100 ms)",
        setup.shards,
        cpu / seconds as f64 * 1e3
    );
    println!(
        "coordinator resident memory over {seconds} s: {} MiB (target: flat)",
        rss.iter()
            .map(|kib| format!("{}", kib / 1024))
            .collect::<Vec<_>>()
            .join(" -> ")
    );
    Ok(())
}

/// One shard's second as a shard sends it, `second` to be filled in.
fn second_json(rows: u64) -> anyhow::Result<String> {
    let mut stats = RunStats::new(&LOCUST_PERCENTILES).map_err(|err| anyhow::anyhow!("{err:?}"))?;
    for request in 0..REQUESTS_PER_SECOND {
        stats.apply(Event::Request(Sample {
            method: "GET".into(),
            name: format!("/api/v1/row{}", request % rows),
            latency_us: 500 + (request * 7919) % 40_000,
            bytes: 512,
            failure: (request % 50 == 0).then(|| "HTTP 500".to_string()),
            tag: SampleTag::default(),
        }));
    }
    let interval = Interval {
        second: 0,
        users: 100,
        iterations: (0, 0),
        stats,
    };
    let json = serde_json::to_string(&SecondOut::of(&interval)?)?;
    let rest = json
        .strip_prefix("{\"second\":0,")
        .ok_or_else(|| anyhow::anyhow!("a second starts with its number"))?;
    Ok(rest.to_string())
}

async fn hello(setup: &Setup, shard: u32) -> anyhow::Result<u64> {
    let body = json!({
        "shard": shard, "shards": setup.shards, "instance": shard, "seed": 1,
        "host": "http://127.0.0.1:1/", "scenarios": [{
            "file": "s.wasm", "user": "S", "weight": 1, "users_started": null, "memories": 1,
            "sha256": "00"
        }],
        "config": {
            "model": "closed", "run_time_s": null, "iterations": null, "thresholds": [],
            "weights": [1], "connections": "per-user", "insecure": false,
            "shard": { "index": shard, "count": setup.shards }, "vu_memory_bytes": 1
        }
    });
    let answer = post(setup, "/v1/ready", body.to_string()).await?;
    let start: serde_json::Value = serde_json::from_slice(&answer)?;
    start["start_at_ms"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no start in {start}"))
}

async fn post_seconds(setup: &Setup, shard: u32, start: SystemTime, rest: &str, total: u64) {
    // Shards' clocks and posts spread over the second, as real shards' do.
    let offset = Duration::from_millis(u64::from(shard) * 997 % 1000);
    for second in 0..total {
        sleep_until(start + Duration::from_secs(second + 1) + offset).await;
        let body = format!("{{\"shard\":{shard},\"seconds\":[{{\"second\":{second},{rest}]}}");
        if let Err(err) = post(setup, "/v1/seconds", body).await {
            eprintln!("shard {shard}, second {second}: {err}");
        }
    }
}

async fn post(setup: &Setup, path: &str, body: String) -> anyhow::Result<Bytes> {
    let request = http::Request::post(format!("{}{path}", setup.base))
        .header("authorization", format!("Bearer {}", setup.secret))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let response = setup.client.request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(body)
}

async fn sleep_until(at: SystemTime) {
    if let Ok(wait) = at.duration_since(SystemTime::now()) {
        tokio::time::sleep(wait).await;
    }
}

/// CPU seconds process `pid` has used (user + system).
fn cpu_seconds(pid: u64) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).unwrap_or(&"0").parse::<u64>()?
        + fields.get(12).unwrap_or(&"0").parse::<u64>()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok(ticks as f64 / per_second)
}

/// Resident memory of process `pid`, in KiB.
fn rss_kib(pid: u64) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: 0 kB");
    Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
}
