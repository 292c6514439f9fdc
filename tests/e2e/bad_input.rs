//! Bad input gets one clear line on stderr and exit code 2, never a panic.

use std::path::Path;

use crate::support::{guest, run, run_args, workspace};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_rejected() {
    let args = run_args(Path::new("does/not/exist.wasm"), "http://127.0.0.1:9", &[]);
    run(args)
        .await
        .assert_rejected("cannot read does/not/exist.wasm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_file_named_wasm_is_rejected() {
    let dir = workspace().join("target").join("e2e-inputs");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let fake = dir.join("notes.wasm");
    std::fs::write(&fake, "these are notes, not a component\n").expect("write");
    let args = run_args(&fake, "http://127.0.0.1:9", &[]);
    run(args).await.assert_rejected("is not a WebAssembly file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_another_world_is_rejected() {
    let args = run_args(&guest("wrong_world"), "http://127.0.0.1:9", &[]);
    let result = run(args).await;
    result.assert_rejected("is not a wasmload:scenario scenario");
    result.assert(
        result.stderr.contains("wasi:cli/run"),
        "the message says what the component exports instead",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_flag_is_rejected() {
    let args = run_args(
        &guest("login_flow"),
        "http://127.0.0.1:9",
        &["--bogus-flag"],
    );
    run(args).await.assert_rejected("--bogus-flag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_host_is_named_with_the_three_ways_to_give_one() {
    // `browse_products` names no default host.
    let component = guest("browse_products").display().to_string();
    let result = run(vec!["run".into(), component, "--users".into(), "3".into()]).await;
    result.assert_rejected("no host to send requests to: give --host URL");
    result.assert(
        result.stderr.contains("in the plan file (--plan)")
            && result
                .stderr
                .contains("the scenario's default host (`UserSpec::host(..)`)"),
        "the line names the flag, the plan file and the scenario",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flag_values_are_rejected() {
    for (flag, value) in [
        ("--users", "-1"),
        ("--run-time", "5x"),
        ("--spawn-rate", "abc"),
        ("--rate", "abc"),
        ("--stages", "10s"),
        ("--vu-memory", "lots"),
        ("--threshold", "p95<3q"),
        ("--connections", "pooled"),
        ("--resolve", "api.example:443"),
        ("--proxy", "not a url"),
    ] {
        let args = run_args(&guest("login_flow"), "http://127.0.0.1:9", &[flag, value]);
        run(args).await.assert_rejected(value);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_is_rejected_before_the_run() {
    // Bind and drop a listener so the port is free and nothing accepts on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let host = format!("http://127.0.0.1:{port}");
    let args = run_args(&guest("login_flow"), &host, &["--run-time", "1s"]);
    run(args)
        .await
        .assert_rejected(&format!("cannot reach --host {host}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_host_is_rejected() {
    let args = run_args(&guest("login_flow"), "127.0.0.1:8000", &[]);
    run(args).await.assert_rejected("is not a URL");
}

/// Writes `bytes` as a scratch `.wasm` named `name` and returns its path.
fn scratch_wasm(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = workspace().join("target").join("e2e-inputs");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_components_are_rejected() {
    let good = std::fs::read(guest("status_checks")).expect("a built guest");
    let truncated = scratch_wasm("truncated.wasm", &good[..good.len() / 2]);
    run(run_args(&truncated, "http://127.0.0.1:9", &[]))
        .await
        .assert_rejected("is not a valid component");
    let mut corrupted = good.clone();
    for byte in corrupted.iter_mut().skip(64).step_by(97) {
        *byte ^= 0x5a;
    }
    let corrupted = scratch_wasm("corrupted.wasm", &corrupted);
    run(run_args(&corrupted, "http://127.0.0.1:9", &[]))
        .await
        .assert_rejected("is not a valid component");
    // The smallest core module: the magic number and version 1.
    let core = scratch_wasm("core.wasm", b"\0asm\x01\0\0\0");
    run(run_args(&core, "http://127.0.0.1:9", &[]))
        .await
        .assert_rejected("is a core WebAssembly module, not a component");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_another_contract_version_is_rejected() {
    let args = run_args(&guest("future_contract"), "http://127.0.0.1:9", &[]);
    let result = run(args).await;
    result.assert_rejected("needs an import wasmload does not provide");
    result.assert(
        result.stderr.contains("wasmload:scenario/http@0.9.0"),
        "the message names the import of the other contract version",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_plan_file_is_rejected() {
    let dir = workspace().join("target").join("e2e-inputs");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let plan = dir.join("broken-plan.toml");
    std::fs::write(&plan, "[[stages]]\nduration = \"30s\"\nuserz = 3\n").expect("write");
    let plan_arg = plan.display().to_string();
    let args = run_args(
        &guest("login_flow"),
        "http://127.0.0.1:9",
        &["--plan", &plan_arg],
    );
    run(args).await.assert_rejected("userz");
    let missing = run_args(
        &guest("login_flow"),
        "http://127.0.0.1:9",
        &["--plan", "does/not/exist.toml"],
    );
    run(missing)
        .await
        .assert_rejected("cannot read plan file does/not/exist.toml");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_tls_files_are_named() {
    let missing = run_args(
        &guest("login_flow"),
        "http://127.0.0.1:9",
        &["--ca-cert", "does/not/exist.pem"],
    );
    run(missing)
        .await
        .assert_rejected("--ca-cert does/not/exist.pem");
    let dir = workspace().join("target").join("e2e-inputs");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let not_pem = dir.join("not-a-certificate.pem");
    std::fs::write(&not_pem, "no certificate here\n").expect("write");
    let not_pem = not_pem.display().to_string();
    let empty = run_args(
        &guest("login_flow"),
        "http://127.0.0.1:9",
        &["--ca-cert", &not_pem],
    );
    run(empty)
        .await
        .assert_rejected("no certificate in the file");
    let half = run_args(
        &guest("login_flow"),
        "http://127.0.0.1:9",
        &["--client-cert", &not_pem],
    );
    run(half).await.assert_rejected("--client-key");
}
