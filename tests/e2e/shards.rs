//! `--shard I/N`: N processes that each run shard I make together the load of one process,
//! with the same user ids and seeded choices, and the server counts every request once.

use std::collections::BTreeMap;

use crate::reproducibility::choices;
use crate::support::{demo_server, guest, run, run_args, Run};

/// `seeded_choices` with 5 users all started at once, 60 iterations and seed 77, as shard
/// `shard` (or whole).
fn args(host: &str, shard: Option<&str>) -> Vec<String> {
    let mut flags = vec!["--users", "5", "--spawn-rate", "1000"];
    flags.extend(["--iterations", "60", "--seed", "77"]);
    if let Some(shard) = shard {
        flags.extend(["--shard", shard]);
    }
    run_args(&guest("seeded_choices"), host, &flags)
}

/// The number before `label` in the report's run line, e.g. `3 users started`.
fn count_before(run: &Run, label: &str) -> u64 {
    run.stdout
        .split(label)
        .next()
        .and_then(|before| before.split_whitespace().last())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in the report:\n{}", run.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_make_the_load_of_one_process_with_the_same_users_and_choices() {
    let server = demo_server().await;
    let url = server.url();
    let (first, second, third) = tokio::join!(
        run(args(&url, Some("0/3"))),
        run(args(&url, Some("1/3"))),
        run(args(&url, Some("2/3"))),
    );
    let shards = [first, second, third];
    let served = server.shutdown().await;
    let mut requests = 0;
    let mut by_user: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (index, shard) in shards.iter().enumerate() {
        shard.assert(shard.code == 0, "each shard passes");
        shard.assert(
            shard.stdout.contains(&format!("(shard {index} of 3")),
            "the report says which shard it is",
        );
        requests += shard.aggregated().0;
        by_user.extend(choices(shard));
    }
    let users: Vec<u64> = shards
        .iter()
        .map(|s| count_before(s, " users started"))
        .collect();
    let tasks: u64 = shards.iter().map(|s| count_before(s, " tasks in")).sum();
    assert_eq!(
        users,
        [2, 2, 1],
        "users 0..5 split by id: 0 and 3, 1 and 4, 2"
    );
    assert_eq!(tasks, 60, "the shards' iterations add up to the run's");
    assert_eq!(requests, 60, "one request per iteration");
    assert_eq!(served, 60, "the server saw every request once");
    assert_eq!(
        by_user.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2, 3, 4],
        "the shards' users carry the run's ids"
    );
    let server = demo_server().await;
    let whole = run(args(&server.url(), None)).await;
    server.shutdown().await;
    for (vu, list) in choices(&whole) {
        let sharded = &by_user[&vu];
        let compared = list.len().min(sharded.len());
        assert!(compared >= 3, "user {vu} made too few choices to compare");
        assert_eq!(
            list[..compared],
            sharded[..compared],
            "user {vu} chose differently in a shard than in one process"
        );
    }
}

#[tokio::test]
async fn a_sharded_run_without_a_seed_or_with_a_bad_shard_is_refused() {
    let component = guest("seeded_choices");
    let unseeded = run(run_args(
        &component,
        "http://127.0.0.1:9",
        &["--shard", "0/2"],
    ))
    .await;
    unseeded.assert(
        unseeded.code == 2 && unseeded.stderr.contains("a sharded run needs --seed"),
        "a shard without a seed is bad input, saying why",
    );
    let outside = run(run_args(
        &component,
        "http://127.0.0.1:9",
        &["--shard", "2/2"],
    ))
    .await;
    outside.assert(
        outside.code == 2 && outside.stderr.contains("from 0 to 1"),
        "a shard index past the count is refused with the range",
    );
}
