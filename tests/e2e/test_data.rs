//! Test data (`--data NAME=FILE`): the rows a scenario reads reach the server as the
//! strategy promises, counted by the server itself: `next` hands every row out once across
//! users and shards and then stops the run, `circular` wraps, `per-user` follows the user's
//! id, `random` follows the seed. Bad data files are refused before the run.

use std::collections::BTreeMap;

use demo_api::DemoConfig;

use crate::support::{demo_server_with, guest, run, run_args, scratch_dir, workspace, Run};

/// `--data` flags for the example's accounts and `products` from `file` of examples/data.
fn data_flags(products: &str) -> Vec<String> {
    let data = workspace().join("examples").join("data");
    vec![
        "--data".into(),
        format!("accounts={}", data.join("accounts.csv").display()),
        "--data".into(),
        format!("products={}", data.join(products).display()),
    ]
}

/// Runs `shop_data` with `flags` and the data flags against a demo API that keeps paths;
/// returns the run, and the product ids the server was asked for, in order.
async fn shop(flags: &[&str], products: &str) -> (Run, Vec<u64>, u64) {
    let server = demo_server_with(DemoConfig {
        record_paths: true,
        ..DemoConfig::default()
    })
    .await;
    let mut args = run_args(&guest("shop_data"), &server.url(), flags);
    args.extend(data_flags(products));
    let result = run(args).await;
    let ids = product_ids(&server.traffic().paths());
    let served = server.requests_served();
    server.shutdown().await;
    (result, ids, served)
}

/// The product ids of `/api/v1/products/{id}` requests, in order.
fn product_ids(paths: &[String]) -> Vec<u64> {
    paths
        .iter()
        .filter_map(|path| path.strip_prefix("/api/v1/products/")?.parse().ok())
        .collect()
}

#[tokio::test]
async fn next_hands_each_row_out_once_across_users_then_stops_the_run() {
    let flags = [
        "--users",
        "5",
        "--spawn-rate",
        "100",
        "--seed",
        "1",
        "--quiet",
    ];
    let (result, mut ids, served) = shop(&flags, "products.csv").await;
    result.assert(
        result.code == 0,
        "the run ends cleanly when the data runs out",
    );
    result.assert(
        result
            .stdout
            .contains("a data set read with `next` ran out of rows"),
        "the report says why the run stopped",
    );
    ids.sort_unstable();
    result.assert(
        ids == (1000..1060).collect::<Vec<_>>(),
        &format!("the server saw each of the 60 products once: {ids:?}"),
    );
    result.assert(
        result.row("GET", "/api/v1/products/:id") == Some((60, 0))
            && result.aggregated() == (served, 0),
        &format!("60 product views and every request counted once (served {served})"),
    );
}

#[tokio::test]
async fn next_across_shards_still_hands_each_row_out_once() {
    let server = demo_server_with(DemoConfig {
        record_paths: true,
        ..DemoConfig::default()
    })
    .await;
    for shard in ["0/3", "1/3", "2/3"] {
        let flags = ["--users", "3", "--seed", "4", "--shard", shard, "--quiet"];
        let mut args = run_args(&guest("shop_data"), &server.url(), &flags);
        args.extend(data_flags("products.jsonl"));
        let result = run(args).await;
        result.assert(
            result.code == 0,
            &format!("shard {shard} ends when its rows run out"),
        );
    }
    let mut ids = product_ids(&server.traffic().paths());
    server.shutdown().await;
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1000..1060).collect::<Vec<_>>(),
        "three shards together view each product of the JSON Lines file once"
    );
}

#[tokio::test]
async fn circular_wraps_and_per_user_follows_the_user_id() {
    let flags = [
        "--users",
        "1",
        "--iterations",
        "130",
        "--env",
        "PICK=circular",
        "--quiet",
    ];
    let (result, ids, _) = shop(&flags, "products.csv").await;
    result.assert(result.code == 0, "the run passes");
    let expected: Vec<u64> = (0..130).map(|i| 1000 + i % 60).collect();
    result.assert(
        ids == expected,
        &format!("in order, wrapping after 60: {ids:?}"),
    );

    // Four users started within 40 ms of a one-second run, each without a wait.
    let flags = [
        "--users",
        "4",
        "--spawn-rate",
        "100",
        "--run-time",
        "1s",
        "--env",
        "PICK=per-user",
        "--quiet",
    ];
    let (result, ids, _) = shop(&flags, "products.csv").await;
    result.assert(result.code == 0, "the run passes");
    let mut seen: BTreeMap<u64, u64> = BTreeMap::new();
    for id in &ids {
        *seen.entry(*id).or_default() += 1;
    }
    result.assert(
        seen.keys().copied().collect::<Vec<_>>() == [1000, 1001, 1002, 1003],
        &format!("the 4 users view their own rows and no other: {seen:?}"),
    );
}

#[tokio::test]
async fn random_rows_repeat_with_the_seed() {
    let draw = |seed: &'static str| async move {
        let flags = [
            "--users",
            "1",
            "--iterations",
            "30",
            "--seed",
            seed,
            "--env",
            "PICK=random",
            "--quiet",
        ];
        let (result, ids, _) = shop(&flags, "products.csv").await;
        result.assert(result.code == 0, "the run passes");
        ids
    };
    let (first, again, other) = (draw("7").await, draw("7").await, draw("8").await);
    assert_eq!(first.len(), 30);
    assert_eq!(first, again, "the same seed draws the same rows");
    assert_ne!(first, other, "another seed draws others");
}

#[tokio::test]
async fn bad_data_is_refused_before_the_run_in_one_line() {
    let dir = scratch_dir("bad_data");
    let ragged = dir.join("ragged.csv");
    std::fs::write(&ragged, "id,label\n1000,a\n1001\n").expect("written");
    let accounts = workspace().join("examples/data/accounts.csv");
    let cases = [
        (
            vec![format!("products={}", dir.join("missing.csv").display())],
            "cannot read the file",
        ),
        (
            vec![format!("products={}", ragged.display())],
            "line 3 has 1 fields, but the header has 2",
        ),
        (
            vec![format!("accounts={}", accounts.display())],
            "reads the data set `products`: give it with --data products=FILE",
        ),
    ];
    for (data, expected) in cases {
        let mut args = run_args(&guest("shop_data"), "http://127.0.0.1:9", &["--quiet"]);
        if !data[0].starts_with("accounts") {
            args.extend(["--data".into(), format!("accounts={}", accounts.display())]);
        }
        for flag in data {
            args.extend(["--data".into(), flag]);
        }
        let result = run(args).await;
        result.assert(
            result.code == 2 && result.stderr.contains(expected),
            &format!("refused with exit 2, saying: {expected}"),
        );
        result.assert(
            result
                .stderr
                .lines()
                .filter(|line| line.starts_with("error:"))
                .count()
                == 1,
            "one error line",
        );
    }
}

#[tokio::test]
async fn a_plan_file_names_the_host_and_the_data_beside_it() {
    let server = demo_server_with(DemoConfig::default()).await;
    let dir = scratch_dir("plan_data");
    let examples = workspace().join("examples").join("data");
    for file in ["accounts.csv", "products.jsonl"] {
        std::fs::copy(examples.join(file), dir.join(file)).expect("copied");
    }
    let plan = dir.join("shop.toml");
    let text = format!(
        "host = \"{}\"\nusers = 2\n\n[data]\naccounts = \"accounts.csv\"\nproducts = \"products.jsonl\"\n",
        server.url()
    );
    std::fs::write(&plan, text).expect("written");
    let args = vec![
        "run".to_string(),
        guest("shop_data").display().to_string(),
        "--plan".into(),
        plan.display().to_string(),
        "--quiet".into(),
    ];
    let result = run(args).await;
    let served = server.requests_served();
    server.shutdown().await;
    result.assert(result.code == 0, "the run passes with only --plan");
    result.assert(
        result.stdout.contains("(the plan's host)"),
        "the report says the host came from the plan",
    );
    result.assert(
        result.row("GET", "/api/v1/products/:id") == Some((60, 0))
            && result.aggregated() == (served, 0),
        &format!("each product of the JSON Lines file once (served {served})"),
    );
}
