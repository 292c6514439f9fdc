//! The same `--seed` makes every user repeat the same task choices and payloads.

use std::collections::BTreeMap;

use crate::support::{run_against_demo, Run};

/// Each user's logged `choice=… payload=…` lines, in order.
pub fn choices(run: &Run) -> BTreeMap<u32, Vec<String>> {
    let mut by_user: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for line in run.stderr.lines() {
        let Some(at) = line.find("[vu ") else {
            continue;
        };
        let rest = &line[at + 4..];
        let Some((vu, message)) = rest.split_once("] ") else {
            continue;
        };
        if message.starts_with("choice=") {
            if let Ok(vu) = vu.parse() {
                by_user.entry(vu).or_default().push(message.to_string());
            }
        }
    }
    by_user
}

async fn choices_with_seed(seed: &str) -> BTreeMap<u32, Vec<String>> {
    let (run, _) = run_against_demo(
        "seeded_choices",
        &["--users", "3", "--run-time", "1500ms", "--seed", seed],
    )
    .await;
    run.assert(run.code == 0, "the run succeeds");
    let choices = choices(&run);
    run.assert(
        choices.len() == 3 && choices.values().all(|list| list.len() >= 10),
        "three users made at least 10 choices each",
    );
    choices
}

#[tokio::test]
async fn the_same_seed_repeats_every_users_choices() {
    const COMPARED: usize = 10;
    let first = choices_with_seed("1234").await;
    let again = choices_with_seed("1234").await;
    let other = choices_with_seed("4321").await;
    for (vu, list) in &first {
        assert_eq!(
            list[..COMPARED],
            again[vu][..COMPARED],
            "user {vu} chose differently with the same seed"
        );
        assert_ne!(
            list[..COMPARED],
            other[vu][..COMPARED],
            "user {vu} chose the same with another seed"
        );
    }
}
