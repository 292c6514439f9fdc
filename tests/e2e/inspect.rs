//! `wasmload inspect`: a scenario's user, tasks, imports and granted capabilities, without a
//! run; a component that is not a scenario is rejected with the documented exit code.

use crate::support::{guest, run};

#[tokio::test]
async fn inspect_shows_the_user_and_the_capabilities() {
    let component = guest("status_checks").display().to_string();
    let result = run(vec!["inspect".into(), component]).await;
    result.assert(result.code == 0, "inspect succeeds");
    for expected in [
        "a wasmload:scenario@0.2.0 scenario",
        "user APIUser",
        "task get_home",
        "weight    3  (50.0% of picks)",
        "wait: between 1000 and 3000 ms",
        "wasmload:scenario/http@0.2.0",
        "HTTP, only to --host and --allow-host origins",
        "wasmload:scenario/user@0.2.0",
    ] {
        result.assert(result.stdout.contains(expected), expected);
    }
    result.assert(
        result
            .stdout
            .lines()
            .filter(|line| line.trim_start().starts_with("wasi:"))
            .all(|line| !line.ends_with("offered by the host")),
        "every WASI import says what the sandbox grants",
    );
}

#[tokio::test]
async fn inspect_rejects_a_component_of_another_world() {
    let component = guest("wrong_world").display().to_string();
    let result = run(vec!["inspect".into(), component]).await;
    result.assert(result.code == 2, "bad input exits 2");
    result.assert(
        result
            .stderr
            .contains("is not a wasmload:scenario scenario"),
        "the message names the contract",
    );
}
