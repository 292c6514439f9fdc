//! Python scenarios: the seed guides' Locust scripts run with only their import line changed,
//! built by componentize-py once per test run, against the demo API, and the server's counts
//! agree with wasmload's; a shape, a mix of user classes, seeded choices, Locust's
//! `catch_response`, and clear errors for scripts that cannot run.

use std::path::PathBuf;

use crate::support::{guest, run_mixed, run_script, scratch_dir, script, wasmload, Run};

/// The seed guides' locustfiles, as `examples/locust` keeps them.
const SEED_SCRIPTS: &[&str] = &[
    "website_user",
    "fastapi_basic",
    "fastapi_authenticated",
    "fastapi_workflow",
    "fastapi_file_processing",
    "flask_basic",
    "flask_weighted",
    "flask_api",
    "flask_shape",
];

fn example(name: &str) -> PathBuf {
    script(&format!("examples/locust/{name}.py"))
}

#[test]
fn the_examples_are_the_seed_scripts_with_only_the_import_line_changed() {
    let seeds: String = std::fs::read_dir(crate::support::workspace().join("../shared/seeds"))
        .expect("../shared/seeds beside the project")
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
        .collect();
    for name in SEED_SCRIPTS {
        let path = crate::support::workspace().join(format!("examples/locust/{name}.py"));
        let text = std::fs::read_to_string(&path).expect("the example");
        let code = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with('#'));
        for line in code.filter(|line| !line.is_empty()) {
            let original = line.replace("from wasmload import", "from locust import");
            assert!(
                seeds.contains(&original),
                "{name}.py: `{line}` is not in the seed guides"
            );
        }
    }
}

#[tokio::test]
async fn every_seed_locustfile_runs_against_the_demo_api_with_no_failures() {
    let flags = ["--users", "3", "--run-time", "4s", "--seed", "5", "--quiet"];
    let runs = SEED_SCRIPTS.iter().map(|name| {
        let script = example(name);
        tokio::spawn(async move { (name, run_script(&script, &flags).await) })
    });
    for handle in runs.collect::<Vec<_>>() {
        let (name, (result, served, _)) = handle.await.expect("the run finishes");
        result.assert(result.code == 0, &format!("{name}.py passes"));
        let (requests, failures) = result.aggregated();
        result.assert(
            failures == 0 && requests > 0 && requests == served,
            &format!("{name}.py: {requests} requests, {failures} failed; the server saw {served}"),
        );
    }
}

#[tokio::test]
async fn a_python_load_shape_sets_the_users() {
    let script = example("flask_shape");
    let (result, served, _) = run_script(&script, &["--run-time", "4s", "--quiet"]).await;
    result.assert(result.code == 0, "the shaped run passes");
    // The first stage asks for 10 users at 2 a second: 8 by the fourth second, not 10.
    let started = result.users_started();
    result.assert(
        matches!(started, Some(6..=9)),
        &format!("the shape's spawn rate paced the users: {started:?} started"),
    );
    result.assert(
        result.aggregated().0 == served,
        "the server saw every request",
    );
}

#[tokio::test]
async fn several_user_classes_in_one_file_make_a_weighted_mix() {
    let script = example("shop_mix");
    let flags = ["--users", "8", "--run-time", "3s", "--seed", "1", "--quiet"];
    let (result, served, routes) = run_script(&script, &flags).await;
    result.assert(result.code == 0, "the mixed file passes");
    let logins = routes.get("/api/v1/auth/login").copied().unwrap_or(0);
    result.assert(
        logins == 2,
        &format!("weights 3:1 make 2 buyers of 8 users, who log in once: {logins} logins"),
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("browsers and buyers both sent requests; the server saw {served}"),
    );
    result.assert(
        result.stdout.contains("(Browser+Buyer)"),
        "the report names both classes",
    );
}

/// A script of its own in a fresh directory (scripts beside each other share a build).
fn write_script(test: &str, body: &str) -> PathBuf {
    let path = scratch_dir(test).join("locustfile.py");
    std::fs::write(&path, body).expect("the script is written");
    path
}

#[tokio::test]
async fn catch_response_decides_the_outcome_and_choices_follow_the_seed() {
    let path = write_script(
        "py_catch",
        "from wasmload import HttpUser, task, constant\nimport random\n\
         class U(HttpUser):\n    wait_time = constant(0)\n    @task\n    def t(self):\n\
         \x20       with self.client.get('/users', catch_response=True) as r:\n\
         \x20           r.failure('judged wrong')\n\
         \x20       with self.client.get('/nowhere', catch_response=True) as r:\n\
         \x20           r.success()\n\
         \x20       self.client.get(f'/api/v1/products/{random.randint(1001, 1999)}')\n",
    );
    let built = script(path.to_str().expect("a UTF-8 path"));
    let flags = [
        "--users",
        "1",
        "--iterations",
        "5",
        "--seed",
        "11",
        "--quiet",
    ];
    let (first, served, _) = run_script(&built, &flags).await;
    first.assert(
        first.row("GET", "/users") == Some((5, 5)),
        "failure() fails a 200",
    );
    first.assert(
        first.row("GET", "/nowhere") == Some((5, 0)),
        "success() passes a 404",
    );
    first.assert(
        first.aggregated().0 == served,
        "the server saw every request",
    );
    let (again, _, _) = run_script(&built, &flags).await;
    let (other, _, _) = run_script(
        &built,
        &[
            "--users",
            "1",
            "--iterations",
            "5",
            "--seed",
            "12",
            "--quiet",
        ],
    )
    .await;
    let products = |run: &Run| -> Vec<String> {
        let mut names: Vec<String> = run.rows().into_iter().map(|row| row.name).collect();
        names.retain(|name| name.starts_with("/api/v1/products/"));
        names
    };
    first.assert(
        products(&first) == products(&again) && products(&first) != products(&other),
        "`random` draws from the user's seeded generator: the same seed, the same products",
    );
}

#[tokio::test]
async fn a_python_scenario_runs_beside_a_rust_one() {
    let scenarios = [example("flask_api"), guest("status_checks")];
    let flags = ["--users", "4", "--run-time", "3s", "--quiet"];
    let (result, served, _) = run_mixed(&scenarios, &flags).await;
    result.assert(result.code == 0, "the mixed run passes");
    result.assert(
        result.stdout.contains("flask_api.py (APIUser)") && result.aggregated() == (served, 0),
        &format!("both languages' users ran; the server saw {served}"),
    );
}

#[test]
fn a_script_that_cannot_be_built_is_refused_in_one_line() {
    let cases = [
        ("py_syntax", "from wasmload import HttpUser, task\nclass U(HttpUser):\n    @task\n    def t(self)\n        pass\n", "SyntaxError"),
        ("py_import", "import no_such_module\n", "ModuleNotFoundError: No module named 'no_such_module'"),
        ("py_no_user", "from wasmload import HttpUser\nx = 1\n", "defines no user class"),
        (
            "py_fixed_count",
            "from wasmload import HttpUser, task\nclass U(HttpUser):\n    fixed_count = 2\n    @task\n    def t(self):\n        pass\n",
            "wasmload does not support Locust's fixed_count (on U)",
        ),
    ];
    for (test, body, expected) in cases {
        let path = write_script(test, body);
        let path = path.to_str().expect("a UTF-8 path");
        let result = Run::from_output(
            wasmload(&["run", path, "--host", "http://127.0.0.1:9", "--users", "1"])
                .output()
                .expect("wasmload runs"),
        );
        let lines: Vec<&str> = result
            .stderr
            .lines()
            .filter(|l| !l.starts_with("wasmload: "))
            .collect();
        result.assert(
            result.code == 2
                && lines.len() == 1
                && lines[0].contains(expected)
                && lines[0].contains("locustfile.py cannot be built"),
            &format!("{test}: exit 2 and one line naming {expected}"),
        );
    }
}

#[tokio::test]
async fn runtime_errors_are_named_with_the_traceback_in_the_log() {
    let path = write_script(
        "py_runtime_errors",
        "from wasmload import HttpUser, task, constant\n\
         class U(HttpUser):\n    wait_time = constant(0)\n\
         \x20   def on_start(self):\n        self.ratio = 1 / 0\n\
         \x20   @task\n    def steer(self):\n        self.environment.runner.quit()\n",
    );
    let built = script(path.to_str().expect("a UTF-8 path"));
    let (result, _, _) = run_script(&built, &["--users", "1", "--iterations", "3"]).await;
    result.assert(result.code == 3, "a scenario that raises exits 3");
    result.assert(
        result.exceptions_containing("on_start: ZeroDivisionError: division by zero") == 1,
        "the exception in on_start is counted in one line",
    );
    result.assert(
        result.exceptions_containing("wasmload does not support Locust's self.environment.runner")
            == 3,
        "an unsupported Locust feature is named each time a task uses it",
    );
    result.assert(
        result.stderr.contains("Traceback (most recent call last)")
            && result.stderr.contains("line 5, in on_start"),
        "the Python traceback is in the log",
    );
}

#[test]
fn inspect_names_the_language_and_the_script() {
    let built = example("fastapi_basic");
    let result = Run::from_output(
        wasmload(&["inspect", built.to_str().expect("a UTF-8 path")])
            .output()
            .expect("wasmload runs"),
    );
    result.assert(
        result.code == 0
            && result
                .stdout
                .contains("scenario written in Python (componentize-py)")
            && result.stdout.contains("built from")
            && result.stdout.contains("task list_products")
            && result.stdout.contains("wait: between 1000 and 3000 ms"),
        "inspect reads the Python user like any other",
    );
    let cached = std::fs::read_dir(crate::support::script_cache().join("compiled"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    result.assert(
        cached > 0,
        "the compiled component is kept for the next run",
    );
}
