//! `wasmload coordinate` and `run --processes`: shards started together whose seconds add up,
//! exactly, to what the server counted; shards of another run, or without the run's
//! secret, turned away; a shard that never joins or dies named, and the run failed.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::{
    demo_server, eventually, free_port, guest, http_with, run, run_args, run_with_env, scratch_dir,
    try_http, Background, Run,
};

const SECRET: (&str, &str) = ("WASMLOAD_RUN_SECRET", "e2e-secret");

/// `seeded_choices` for `flags`, as shard `shard` of the coordinator on `port`.
fn shard_args(host: &str, port: u16, shard: &str, flags: &[&str]) -> Vec<String> {
    let coordinator = format!("http://127.0.0.1:{port}");
    let shard_flags = ["--shard", shard, "--coordinator", &coordinator, "-q"];
    run_args(
        &guest("seeded_choices"),
        host,
        &[flags, &shard_flags[..]].concat(),
    )
}

/// A shard started in the background with the run's secret, from [`shard_args`].
fn spawn_shard(args: &[String]) -> Background {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Background::spawn_with_env(&args, &[SECRET])
}

/// `wasmload coordinate` for `shards` shards, plus `extra`, on a port it picks; returns it
/// and that port (read from its log, so no other test can take the port in between).
async fn coordinate(shards: &str, extra: &[&str]) -> (Background, u16) {
    let args = [
        &[
            "coordinate",
            "--shards",
            shards,
            "--listen",
            "127.0.0.1:0",
            "-q",
        ],
        extra,
    ]
    .concat();
    let coordinator = Background::spawn_with_env(&args, &[SECRET]);
    let port = coordinator.port_after("coordinator at").await;
    (coordinator, port)
}

/// Each of `shards` made `users` of its `what` before it greeted the coordinator.
fn made_ahead(shards: &[&Run], users: u32, what: &str) {
    for shard in shards {
        let created = shard
            .stderr
            .find(&format!("created {users} users ahead of the start"));
        let greeted = shard.stderr.find("waiting for every shard to join");
        shard.assert(
            matches!((created, greeted), (Some(created), Some(greeted)) if created < greeted),
            &format!("each shard made its {users} {what} before it greeted the coordinator"),
        );
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("a summary")).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_through_a_coordinator_add_up_exactly_to_what_the_server_counted() {
    let dir = scratch_dir("coordinated");
    let server = demo_server().await;
    let whole = dir.join("whole.json");
    let (coordinator, port) = coordinate("3", &["--json", &whole.display().to_string()]).await;
    let flags = |index: usize| {
        let json = dir.join(format!("s{index}.json")).display().to_string();
        let load = ["--users", "6", "--run-time", "3s", "--seed", "9", "--json"];
        let shard = format!("{index}/3");
        shard_args(
            &server.url(),
            port,
            &shard,
            &[&load[..], &[json.as_str()]].concat(),
        )
    };
    let shards = tokio::join!(
        run_with_env(flags(0), &[SECRET]),
        run_with_env(flags(1), &[SECRET]),
        run_with_env(flags(2), &[SECRET]),
    );
    let whole_run = coordinator.finish(Duration::from_secs(60)).await;
    let served = server.shutdown().await;
    for shard in [&shards.0, &shards.1, &shards.2] {
        shard.assert(shard.code == 0, "each shard passes");
    }
    made_ahead(&[&shards.0, &shards.1, &shards.2], 2, "users");
    whole_run.assert(whole_run.code == 0, "the coordinated run passes");
    whole_run.assert(
        whole_run
            .stdout
            .contains("coordinated 3 shards of one run, started together"),
        "the report says the shards started together, and how late the last was",
    );
    let (requests, failures) = whole_run.aggregated();
    assert_eq!(failures, 0);
    assert_eq!(
        requests, served,
        "the coordinator's total is the server's count"
    );
    assert!(requests > 100, "the run made load: {requests} requests");
    let summary = read_json(&whole);
    let timeline = summary["timeline"].as_array().expect("a time series");
    assert!(
        timeline.len() >= 3,
        "a point per second: {}",
        timeline.len()
    );
    let users: Vec<u64> = timeline
        .iter()
        .map(|p| p["users"].as_u64().expect("users"))
        .collect();
    assert!(
        users.contains(&6),
        "each second adds up the users of every shard: {users:?}"
    );
    let per_second: u64 = timeline
        .iter()
        .map(|p| p["requests"].as_u64().expect("requests"))
        .sum();
    assert_eq!(per_second, served, "the seconds add up to the whole");
    let merged = dir.join("merged.json");
    let mut merge_args = vec!["merge".to_string()];
    merge_args.extend((0..3).map(|i| dir.join(format!("s{i}.json")).display().to_string()));
    merge_args.extend(["--json".to_string(), merged.display().to_string()]);
    let merge = run(merge_args).await;
    merge.assert(merge.code == 0, "the shards' summaries merge");
    let merged = read_json(&merged);
    for field in ["count", "sum_us", "min_ms", "max_ms", "percentiles_ms"] {
        assert_eq!(
            summary["aggregated"][field], merged["aggregated"][field],
            "the live seconds and the shards' own summaries agree on {field}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_without_the_secret_or_of_another_run_are_turned_away() {
    let server = demo_server().await;
    let (coordinator, port) = coordinate("2", &[]).await;
    let load = ["--users", "2", "--iterations", "10", "--seed", "1"];
    let first = tokio::spawn(run_with_env(
        shard_args(&server.url(), port, "0/2", &load),
        &[SECRET],
    ));
    eventually("shard 0 joins", Duration::from_secs(120), || {
        coordinator.stderr_contains("shard 0 is ready")
    })
    .await;
    let wrong_secret = run_with_env(
        shard_args(&server.url(), port, "1/2", &load),
        &[("WASMLOAD_RUN_SECRET", "guess")],
    )
    .await;
    wrong_secret.assert(
        wrong_secret.code == 2 && wrong_secret.stderr.contains("refused this shard's secret"),
        "a shard without the run's secret is turned away, saying what to give",
    );
    let other_seed = ["--users", "2", "--iterations", "10", "--seed", "2"];
    let other_run = run_with_env(
        shard_args(&server.url(), port, "1/2", &other_seed),
        &[SECRET],
    )
    .await;
    other_run.assert(
        other_run.code == 2 && other_run.stderr.contains("their seeds differ (1 and 2)"),
        "a shard of another run is turned away, saying what differs",
    );
    let other_name = [&load[..], &["--run-id", "nightly-2"]].concat();
    let other_named = run_with_env(
        shard_args(&server.url(), port, "1/2", &other_name),
        &[SECRET],
    )
    .await;
    other_named.assert(
        other_named.code == 2
            && other_named
                .stderr
                .contains("their run ids differ (none and nightly-2)"),
        "a shard of the same plan under another run id is turned away",
    );
    coordinator.signal("-INT");
    let whole = coordinator.finish(Duration::from_secs(30)).await;
    whole.assert(
        whole.code == 2
            && whole
                .stderr
                .contains("interrupted before every shard joined"),
        "a coordinator stopped while it waits says so",
    );
    let first = first.await.expect("shard 0");
    first.assert(
        first.code == 2 && first.stderr.contains("the coordinator was interrupted"),
        "the waiting shard is told why the run was given up",
    );
    assert_eq!(server.shutdown().await, 0, "no load went out");
}

#[tokio::test]
async fn shards_that_never_join_are_named_and_the_run_fails() {
    let (coordinator, _) = coordinate("3", &["--ready-timeout", "2s"]).await;
    let whole = coordinator.finish(Duration::from_secs(30)).await;
    whole.assert(
        whole.code == 5
            && whole
                .stderr
                .contains("shards 0, 1, 2 of 3 did not join within 2 s"),
        "the coordinator names the shards that never joined, and fails",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_killed_mid_run_is_named_and_the_run_fails() {
    let server = demo_server().await;
    let (coordinator, port) = coordinate("2", &["--shard-timeout", "2s"]).await;
    let load = ["--users", "2", "--run-time", "4s", "--seed", "3"];
    let steady = tokio::spawn(run_with_env(
        shard_args(&server.url(), port, "0/2", &load),
        &[SECRET],
    ));
    let doomed = spawn_shard(&shard_args(&server.url(), port, "1/2", &load));
    eventually("shard 1 sends a second", Duration::from_secs(30), || {
        coordinator.stderr_contains("shard 1 is running")
    })
    .await;
    doomed.signal("-KILL");
    let whole = coordinator.finish(Duration::from_secs(30)).await;
    let steady = steady.await.expect("shard 0");
    steady.assert(steady.code == 0, "the other shard runs to its end");
    let served = server.shutdown().await;
    whole.assert(
        whole.code == 5
            && whole
                .stdout
                .contains("shard 1 of 2 was lost: nothing from it for 2 s"),
        "the report names the lost shard and the run fails",
    );
    let (requests, _) = whole.aggregated();
    let (steady_requests, _) = steady.aggregated();
    assert!(
        requests > steady_requests && requests <= served,
        "the report holds what the lost shard sent until it died: {requests} of {served}, {steady_requests} from the other shard"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_make_one_run_with_one_report() {
    let dir = scratch_dir("processes");
    let server = demo_server().await;
    let json = dir.join("whole.json").display().to_string();
    let flags = [
        "--users",
        "4",
        "--iterations",
        "80",
        "--processes",
        "2",
        "--json",
        &json,
    ];
    let whole = run(run_args(&guest("seeded_choices"), &server.url(), &flags)).await;
    let served = server.shutdown().await;
    whole.assert(whole.code == 0, "the run passes");
    whole.assert(
        whole.stdout.contains("coordinated 2 shards of one run"),
        "one report for the whole run",
    );
    assert_eq!(
        whole.aggregated(),
        (80, 0),
        "the workers' iterations add up to the run's"
    );
    assert_eq!(served, 80, "the server saw every request once");
    let summary = read_json(Path::new(&json));
    assert_eq!(
        summary["config"]["shard"]["count"], 1,
        "the summary is the whole run's"
    );
    let missing = run(run_args(
        Path::new("no/such/scenario.wasm"),
        "http://127.0.0.1:9",
        &["--processes", "2"],
    ))
    .await;
    missing.assert(
        missing.code == 2
            && missing.stderr.contains("worker process")
            && missing.stderr.contains("no/such/scenario.wasm"),
        "a worker's bad input ends the run at once with its own line and exit code",
    );
}

/// The value of a PromQL `query` (a single number) on the Prometheus server at `port`.
async fn promql(port: u16, query: &str) -> Option<f64> {
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let path = format!("/api/v1/query?query={encoded}");
    let (status, body) = try_http(port, "GET", &path).await?;
    let answer: Value = serde_json::from_str(&body).ok().filter(|_| status == 200)?;
    answer["data"]["result"][0]["value"][1]
        .as_str()?
        .parse()
        .ok()
}

/// Debian's Prometheus, scraping 127.0.0.1:`metrics_port` every second and answering
/// queries on `query_port`; it stops when the handle is dropped.
fn prometheus_server(dir: &Path, metrics_port: u16, query_port: u16) -> tokio::process::Child {
    let prometheus = Path::new("/usr/bin/prometheus");
    assert!(
        prometheus.exists(),
        "Debian's prometheus is missing: tests/run.sh installs it"
    );
    let config = dir.join("prometheus.yml");
    let scrape = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: wasmload\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n"
    );
    std::fs::write(&config, scrape).expect("write the Prometheus config");
    tokio::process::Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{query_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("prometheus starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prometheus_server_scraping_the_coordinator_stores_the_whole_run_by_shard_and_scenario() {
    let dir = scratch_dir("prometheus-coordinator");
    let (metrics_port, query_port) = (free_port(), free_port());
    let _scraper = prometheus_server(&dir, metrics_port, query_port);
    let server = demo_server().await;
    let exporter = format!("127.0.0.1:{metrics_port}");
    let linger = ["--prometheus", &exporter, "--prometheus-linger", "4s"];
    let (coordinator, port) = coordinate("2", &linger).await;
    let shard = |index: &str| {
        let mut args = vec!["run".to_string()];
        args.push(format!("{}:1", guest("seeded_choices").display()));
        args.push(format!("{}:1", guest("paced_health").display()));
        let load = [
            "--users",
            "4",
            "--run-time",
            "4s",
            "--seed",
            "4",
            "--shard",
            index,
        ];
        args.extend(load.map(str::to_string));
        args.extend(["--host".to_string(), server.url(), "-q".to_string()]);
        args.extend([
            "--coordinator".to_string(),
            format!("http://127.0.0.1:{port}"),
        ]);
        run_with_env(args, &[SECRET])
    };
    let (first, second) = tokio::join!(shard("0/2"), shard("1/2"));
    first.assert(first.code == 0, "shard 0 passes");
    second.assert(second.code == 0, "shard 1 passes");
    let whole = coordinator.finish(Duration::from_secs(60)).await;
    let served = server.shutdown().await;
    whole.assert(whole.code == 0, "the coordinated run passes");
    let (requests, _) = whole.aggregated();
    assert_eq!(
        requests, served,
        "the coordinator's total is the server's count"
    );
    let stored = "sum(max_over_time(wasmload_requests_total[5m]))";
    let mut last = None;
    for _ in 0..100 {
        last = promql(query_port, stored).await;
        if last == Some(served as f64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        last,
        Some(served as f64),
        "Prometheus stored the whole run's total"
    );
    let by = |label: &str| {
        format!("count(count by ({label}) (max_over_time(wasmload_requests_total[5m])))")
    };
    assert_eq!(
        promql(query_port, &by("shard")).await,
        Some(2.0),
        "a series per shard"
    );
    assert_eq!(
        promql(query_port, &by("scenario")).await,
        Some(2.0),
        "the two scenarios' /health rows stay apart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_threshold_of_the_whole_run_stops_every_worker() {
    let server = demo_server().await;
    let flags = [
        "--users",
        "2",
        "--run-time",
        "60s",
        "--processes",
        "2",
        "--seed",
        "8",
        "--threshold",
        "rps>1000000",
        "--abort-on-fail",
        "--abort-grace",
        "1s",
    ];
    let whole = run(run_args(&guest("seeded_choices"), &server.url(), &flags)).await;
    let served = server.shutdown().await;
    whole.assert(
        whole.code == 4 && whole.stdout.contains("aborted by a failed threshold"),
        "the coordinator judges the workers' thresholds on the whole run and stops them all",
    );
    let (requests, _) = whole.aggregated();
    assert_eq!(
        requests, served,
        "what the workers sent until the stop is all counted"
    );
    let elapsed: f64 = whole
        .stdout
        .split(" tasks in ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|seconds| seconds.parse().ok())
        .expect("the run's length");
    assert!(elapsed < 30.0, "the run stopped early: {elapsed} s of 60");
}

#[tokio::test]
async fn a_shard_whose_run_never_starts_still_tears_down_what_its_setup_made() {
    let server = demo_server().await;
    let (coordinator, port) = coordinate("2", &["--ready-timeout", "3s"]).await;
    let url = format!("http://127.0.0.1:{port}");
    let flags = ["--users", "2", "--iterations", "4", "--seed", "3"];
    let shard = ["--shard", "0/2", "--coordinator", url.as_str(), "-q"];
    let args = run_args(
        &guest("shared_token"),
        &server.url(),
        &[&flags[..], &shard[..]].concat(),
    );
    let alone = run_with_env(args, &[SECRET]).await;
    coordinator.finish(Duration::from_secs(30)).await;
    let routes = server.traffic().requests_by_route();
    server.shutdown().await;
    alone.assert(
        alone.code != 0,
        "a run whose other shard never joined fails",
    );
    let (logins, profiles) = (
        routes.get("/api/v1/auth/login"),
        routes.get("/api/v1/users/me"),
    );
    alone.assert(
        logins == Some(&1) && profiles == Some(&1),
        &format!("shard 0's setup logged in and its teardown still ran: {logins:?}, {profiles:?}"),
    );
}

#[tokio::test]
async fn shards_of_an_arrival_rate_create_their_pre_allocated_users_before_the_start() {
    let server = demo_server().await;
    let (coordinator, port) = coordinate("2", &[]).await;
    let load = [
        "--rate",
        "20/s",
        "--users",
        "4",
        "--max-users",
        "6",
        "--run-time",
        "2s",
    ];
    let flags = [&load[..], &["--seed", "4"]].concat();
    let shards = tokio::join!(
        run_with_env(shard_args(&server.url(), port, "0/2", &flags), &[SECRET]),
        run_with_env(shard_args(&server.url(), port, "1/2", &flags), &[SECRET]),
    );
    let whole = coordinator.finish(Duration::from_secs(60)).await;
    let served = server.shutdown().await;
    whole.assert(whole.code == 0, "the coordinated arrival-rate run passes");
    for shard in [&shards.0, &shards.1] {
        shard.assert(shard.code == 0, "each shard passes");
    }
    made_ahead(&[&shards.0, &shards.1], 2, "pre-allocated users");
    whole.assert(
        whole.aggregated() == (served, 0) && served > 0,
        &format!("the whole run's total is the server's count: {served}"),
    );
}

/// A control of the coordinator's dashboard on `port`, as its page sends it.
async fn dashboard_control(port: u16, path: &str, body: &str) -> u16 {
    let headers = [("Host", "localhost"), ("Content-Type", "application/json")];
    http_with(port, "POST", path, &headers, body).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinators_dashboard_sets_the_whole_runs_user_count() {
    let server = demo_server().await;
    let web = free_port();
    let web_addr = format!("127.0.0.1:{web}");
    let (coordinator, port) = coordinate("2", &["--web", &web_addr]).await;
    assert_eq!(
        dashboard_control(web, "/users", r#"{"users": 3}"#).await,
        409,
        "before the shards have joined there is no user count to change"
    );
    let url = server.url();
    let load = [
        "--users",
        "2",
        "--max-users",
        "6",
        "--run-time",
        "120s",
        "--seed",
        "3",
    ];
    let (first, second) = (
        shard_args(&url, port, "0/2", &load),
        shard_args(&url, port, "1/2", &load),
    );
    let shards = tokio::spawn(async move {
        tokio::join!(
            run_with_env(first, &[SECRET]),
            run_with_env(second, &[SECRET])
        )
    });
    let traffic = server.traffic();
    eventually("the server sees 2 users", Duration::from_secs(60), || {
        traffic.connections_open() == 2 && traffic.requests() > 0
    })
    .await;
    let status = dashboard_control(web, "/users", r#"{"users": 5, "spawn_rate": 50}"#).await;
    assert_eq!(status, 204, "the whole run's user count changes");
    eventually("the server sees 5 users", Duration::from_secs(30), || {
        traffic.connections_open() == 5
    })
    .await;
    let status = dashboard_control(web, "/users", r#"{"users": 7}"#).await;
    assert_eq!(status, 422, "no more than the shards' --max-users in all");
    assert_eq!(dashboard_control(web, "/stop", "{}").await, 204);
    let (first, second) = shards.await.expect("the shards");
    let whole = coordinator.finish(Duration::from_secs(60)).await;
    let peak = traffic.connections_peak();
    let served = server.shutdown().await;
    for shard in [&first, &second] {
        shard.assert(shard.code == 0, "each shard stops by hand and passes");
    }
    whole.assert(whole.code == 0, "the coordinated run passes");
    assert_eq!(
        peak, 5,
        "the server never saw more than the 5 users asked for"
    );
    assert_eq!(
        (first.users_started(), second.users_started()),
        (Some(3), Some(2)),
        "each shard ran its share of 5: users 0, 2, 4 and 1, 3"
    );
    assert_eq!(
        whole.aggregated().0,
        served,
        "the whole run's count is the server's"
    );
}

#[tokio::test]
async fn shards_of_a_scenarios_own_shape_create_the_users_of_its_first_step_before_the_start() {
    let server = demo_server().await;
    let (coordinator, port) = coordinate("2", &[]).await;
    let coordinator_url = format!("http://127.0.0.1:{port}");
    let shard = |index: &str| {
        let flags = [
            "--seed",
            "6",
            "--shard",
            index,
            "--coordinator",
            &coordinator_url,
            "-q",
        ];
        run_with_env(
            run_args(&guest("staged_user"), &server.url(), &flags),
            &[SECRET],
        )
    };
    let shards = tokio::join!(shard("0/2"), shard("1/2"));
    let whole = coordinator.finish(Duration::from_secs(60)).await;
    let served = server.shutdown().await;
    for shard in [&shards.0, &shards.1] {
        shard.assert(shard.code == 0, "each shard follows the wave to its end");
    }
    made_ahead(&[&shards.0, &shards.1], 2, "users of the wave's first 4");
    whole.assert(
        whole.code == 0 && whole.stdout.contains("peak 8 running"),
        "the shards together follow the wave up to 8 users",
    );
    assert_eq!(
        whole.aggregated(),
        (served, 0),
        "the whole run's total is the server's"
    );
}

/// Ctrl-C on the coordinator stops every shard, and the whole run's report says it was
/// interrupted (not stopped from a dashboard), with every request the server counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_on_the_coordinator_reports_an_interrupted_run() {
    let dir = scratch_dir("coordinator-interrupted");
    let server = demo_server().await;
    let whole = dir.join("whole.json");
    let (coordinator, port) = coordinate("1", &["--json", &whole.display().to_string()]).await;
    let load = ["--users", "2", "--run-time", "5m", "--seed", "4"];
    let shard = spawn_shard(&shard_args(&server.url(), port, "0/1", &load));
    eventually("requests", Duration::from_secs(60), || {
        server.requests_served() >= 10
    })
    .await;
    coordinator.signal("-INT");
    let whole_run = coordinator.finish(Duration::from_secs(60)).await;
    let shard = shard.finish(Duration::from_secs(60)).await;
    shard.assert(shard.code == 0, "the shard stopped cleanly");
    whole_run.assert(
        whole_run.stdout.contains("(interrupted)"),
        "the whole run's report says it was interrupted",
    );
    assert_eq!(read_json(&whole)["outcome"]["reason"], "interrupted");
    assert_eq!(whole_run.aggregated().0, server.shutdown().await);
}

/// A shard whose coordinator is not there says so at once, and what to do, while it keeps
/// trying.
#[tokio::test]
async fn a_shard_says_when_it_cannot_reach_its_coordinator() {
    let server = demo_server().await;
    let port = free_port();
    let shard = spawn_shard(&shard_args(
        &server.url(),
        port,
        "0/1",
        &["--users", "1", "--seed", "1"],
    ));
    eventually("the warning", Duration::from_secs(60), || {
        shard.stderr_contains(&format!(
            "no answer from the coordinator at http://127.0.0.1:{port} yet"
        )) && shard.stderr_contains("start `wasmload coordinate` first, or check --coordinator")
    })
    .await;
    shard.signal("-KILL");
    let _ = shard.finish(Duration::from_secs(30)).await;
    assert_eq!(server.shutdown().await, 0, "no load went out");
}
