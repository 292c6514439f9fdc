//! `wasmload new`: the scenario and library crates it creates build and run as they are.

use std::path::Path;

use crate::support::{demo_server, guest, run, scratch_dir, workspace};

/// Pins the new crate's dependencies to the versions the workspace already built, so the
/// test compiles nothing new and resolves nothing over the network.
fn pin_to_workspace_lock(dir: &Path) {
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy the lock");
}

async fn new_crate(kind: &str, dir: &Path) {
    let result = run(vec!["new".into(), kind.into(), dir.display().to_string()]).await;
    result.assert(result.code == 0, &format!("`wasmload new {kind}` succeeds"));
    pin_to_workspace_lock(dir);
}

#[tokio::test]
async fn a_new_scenario_crate_builds_and_runs_as_it_is() {
    guest("status_checks");
    let dir = scratch_dir("new-scenario").join("checkout_flow");
    new_crate("scenario", &dir).await;
    let server = demo_server().await;
    let args = ["run", &dir.display().to_string(), "--host", &server.url()]
        .into_iter()
        .chain([
            "--users",
            "2",
            "--spawn-rate",
            "100",
            "--iterations",
            "4",
            "--quiet",
        ])
        .map(str::to_string)
        .collect();
    let result = run(args).await;
    let served = server.shutdown().await;
    result.assert(result.code == 0, "the new scenario runs cleanly");
    result.assert(
        result.row("GET", "/health") == Some((4, 0)) && served == 4,
        &format!("its four health checks reached the server, which served {served}"),
    );
    result.assert(
        result.stdout.contains("(CheckoutFlow)"),
        "the user is named after the crate",
    );
}

#[tokio::test]
async fn a_new_library_crate_builds_and_links_as_it_is() {
    let scenario = guest("status_checks");
    let dir = scratch_dir("new-library").join("tenant_tools");
    new_crate("library", &dir).await;
    let args = vec![
        "inspect".into(),
        scenario.display().to_string(),
        "--lib".into(),
        dir.display().to_string(),
    ];
    let result = run(args).await;
    result.assert(
        result.code == 0,
        "the library builds and links beside a scenario",
    );
    result.assert(
        result.stdout.contains("library tenant_tools.wasm")
            && result
                .stdout
                .contains("exports local:tenant-tools/api@0.1.0"),
        "inspect shows the new library and its interface",
    );
}

#[tokio::test]
async fn new_refuses_a_name_cargo_cannot_use_and_a_directory_in_use() {
    let bad = run(vec![
        "new".into(),
        "scenario".into(),
        "Checkout-Flow".into(),
    ])
    .await;
    bad.assert(
        bad.code == 2 && bad.stderr.contains("cannot name a crate"),
        "a bad name is bad input, with the rule",
    );
    let used = scratch_dir("new-used").join("taken_flow");
    std::fs::create_dir_all(&used).expect("a directory");
    std::fs::write(used.join("notes.txt"), "mine").expect("write");
    let taken = run(vec![
        "new".into(),
        "library".into(),
        used.display().to_string(),
    ])
    .await;
    taken.assert(
        taken.code == 2 && taken.stderr.contains("is not empty"),
        "an occupied directory is refused",
    );
}
