//! JavaScript scenarios in k6's style: a k6 documentation example and a journey with setup,
//! groups, checks and a custom trend, built by componentize-qjs once per test run, against
//! the demo API, with the server's counts; a mixed run of three languages; clear errors.

use std::path::PathBuf;

use crate::support::{
    guest, run_mixed, run_script, scratch_dir, script, script_with, wasmload, Run,
};

fn example(name: &str) -> PathBuf {
    script(&format!("examples/k6/{name}.js"))
}

#[tokio::test]
async fn the_k6_docs_stages_example_ramps_its_users() {
    let flags = ["--run-time", "4s", "--quiet"];
    let (result, served, _) = run_script(&example("stages"), &flags).await;
    result.assert(result.code == 0, "the k6 example passes");
    // 0 → 20 users over 30 s: about 2 by the fourth second, asked for once a second.
    let started = result.users_started();
    result.assert(
        matches!(started, Some(1..=4)),
        &format!("options.stages ramp the users: {started:?} started"),
    );
    result.assert(
        result.aggregated() == (served, 0) && served > 0,
        &format!("every request counted once; the server saw {served}"),
    );
    result.assert(
        result.stdout.contains("status was 200") && result.stdout.contains("100.00%"),
        "its check passes",
    );
}

#[tokio::test]
async fn a_k6_journey_runs_setup_once_and_reports_groups_checks_and_trends() {
    let flags = ["--users", "3", "--run-time", "3s", "--quiet"];
    let (result, served, routes) = run_script(&example("shop"), &flags).await;
    result.assert(result.code == 0, "the journey passes");
    let logins = routes.get("/api/v1/auth/login").copied().unwrap_or(0);
    result.assert(logins == 1, &format!("setup() logged in once: {logins}"));
    let listed = result
        .row("GET", "/api/v1/products")
        .map(|(count, _)| count);
    result.assert(
        listed.is_some() && result.row("GET", "/api/v1/users/me").map(|row| row.0) == listed,
        "each iteration made its requests with setup()'s token",
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("the server saw {served}"),
    );
    for shown in ["GROUP    product page", "ten products", "listing_ms"] {
        result.assert(
            result.stdout.contains(shown),
            &format!("the report shows {shown}"),
        );
    }
    for judged in [
        "error_rate<1%",
        "p95<500ms",
        "/api/v1/products/:id:p99<800ms",
        "trend:listing_ms:p95<500",
    ] {
        result.assert(
            result.stdout.contains(judged),
            &format!("options.thresholds are judged: {judged}"),
        );
    }
}

#[tokio::test]
async fn a_failed_threshold_of_the_script_fails_the_run_unless_the_run_gives_its_own() {
    let path = scratch_dir("js_thresholds").join("gate.js");
    std::fs::write(
        &path,
        "import http from 'k6/http';\n\
         export const options = { thresholds: { http_reqs: ['count>1000000'], vus: ['value<9'] } };\n\
         export default function () { http.get('/health'); }\n",
    )
    .expect("the script is written");
    let built = script(path.to_str().expect("a UTF-8 path"));
    let flags = ["--users", "1", "--iterations", "5", "--quiet"];
    let (failed, _, _) = run_script(&built, &flags).await;
    failed.assert(
        failed.code == 4 && failed.stdout.contains("requests>1000000"),
        "the script's own threshold failed the run (exit 4)",
    );
    failed.assert(
        failed
            .stderr
            .contains("thresholds wasmload does not judge, left out: vus: value<9"),
        "a threshold on a metric wasmload does not keep is named in a warning",
    );
    let own = [&flags[..], &["--threshold", "requests>=5"]].concat();
    let (passed, _, _) = run_script(&built, &own).await;
    passed.assert(
        passed.code == 0 && !passed.stdout.contains("requests>1000000"),
        "--threshold replaces the script's thresholds",
    );
}

#[tokio::test]
async fn rust_python_and_javascript_users_share_one_run() {
    let scenarios = [
        script("examples/locust/flask_api.py"),
        example("health"),
        guest("status_checks"),
    ];
    let flags = ["--users", "6", "--run-time", "3s", "--quiet"];
    let (result, served, routes) = run_mixed(&scenarios, &flags).await;
    result.assert(result.code == 0, "the three-language run passes");
    let health = routes.get("/health").copied().unwrap_or(0);
    result.assert(
        health > 0 && result.aggregated() == (served, 0),
        &format!("all three ran; the server saw {served}, {health} of them /health"),
    );
}

#[test]
fn a_script_with_an_error_is_refused_and_inspect_names_javascript() {
    let path = scratch_dir("js_syntax").join("broken.js");
    std::fs::write(
        &path,
        "import http from 'k6/http';\nexport default function () {\n  http.get('/'\n}\n",
    )
    .expect("the script is written");
    let broken = Run::from_output(
        wasmload(&["inspect", path.to_str().expect("a UTF-8 path")])
            .output()
            .expect("wasmload runs"),
    );
    let lines: Vec<&str> = broken
        .stderr
        .lines()
        .filter(|l| !l.starts_with("wasmload: "))
        .collect();
    broken.assert(
        broken.code == 2 && lines.len() == 1 && lines[0].contains("broken.js cannot be built"),
        "a script that does not parse: exit 2 and one line",
    );
    let inspected = Run::from_output(
        wasmload(&["inspect", example("shop").to_str().expect("a UTF-8 path")])
            .output()
            .expect("wasmload runs"),
    );
    inspected.assert(
        inspected.code == 0
            && inspected.stdout.contains("written in JavaScript (QuickJS)")
            && inspected.stdout.contains("load shape: its own")
            && inspected.stdout.contains("trend:listing_ms:p95<500"),
        "inspect names the language and the shape from options",
    );
}

#[tokio::test]
async fn python_and_javascript_scenarios_import_a_library_written_in_rust() {
    let auth = guest("auth").display().to_string();
    let lib = ["--lib", auth.as_str()];
    let scenarios = [
        script_with("examples/locust/library_login.py", &lib),
        script_with("examples/k6/library_login.js", &lib),
    ];
    let flags = [&lib[..], &["--users", "4", "--run-time", "3s", "--quiet"]].concat();
    let (result, served, routes) = run_mixed(&scenarios, &flags).await;
    result.assert(result.code == 0, "both scripts log in through auth.wasm");
    let logins = routes.get("/api/v1/auth/login").copied().unwrap_or(0);
    result.assert(
        logins == 4,
        &format!("each of the 4 users logged in once: {logins}"),
    );
    let profiles = routes.get("/api/v1/users/me").copied().unwrap_or(0);
    result.assert(
        profiles > 0 && result.aggregated() == (served, 0),
        &format!("their bearer tokens opened /api/v1/users/me {profiles} times, none failed"),
    );
}
