//! `seeded_choices`: three weighted tasks, each logging its name and a random payload it
//! sends, so runs with the same `--seed` can be compared choice by choice.

use wasmload_guest::prelude::*;

/// A user whose every choice comes from its seeded generator.
#[derive(Default)]
struct SeededChoices;

impl User for SeededChoices {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("SeededChoices")
            .wait(between(0.01, 0.03))
            .task("alpha", 1, |_, client| send("alpha", client))
            .task("beta", 2, |_, client| send("beta", client))
            .task("gamma", 3, |_, client| send("gamma", client))
    }
}

fn send(task: &str, client: &Client) -> TaskResult {
    let payload = random_hex(12);
    log_info(format!("choice={task} payload={payload}"));
    client
        .get("/health")
        .query(&[("payload", payload.as_str())])
        .name("/health")
        .send()?;
    Ok(())
}

export_user!(SeededChoices);
