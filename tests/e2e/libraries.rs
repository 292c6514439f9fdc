//! Scenario libraries: a library component given with `--lib` serves the imports of a
//! scenario from a sandbox of its own, and its requests go through the broker like the
//! scenario's: timed, recorded under their names, counted by the server.

use crate::support::{demo_server, guest, run, run_against_demo, run_args};

/// `--lib` and the test library's path.
fn lib_flag() -> [String; 2] {
    ["--lib".into(), guest("auth_library").display().to_string()]
}

/// `--lib` and the path of each test library in `names`.
fn lib_flags(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|name| ["--lib".into(), guest(name).display().to_string()])
        .collect()
}

#[tokio::test]
async fn a_library_logs_users_in_through_the_broker_and_its_session_header_serves_the_scenario() {
    let server = demo_server().await;
    let mut args = run_args(
        &guest("uses_auth"),
        &server.url(),
        &[
            "--users",
            "3",
            "--spawn-rate",
            "100",
            "--run-time",
            "1s",
            "--quiet",
        ],
    );
    args.extend(lib_flag());
    let result = run(args).await;
    let routes = server.traffic().requests_by_route();
    let served = server.shutdown().await;
    result.assert(result.code == 0, "the run passes");
    let logins = routes.get("/api/v1/auth/login").copied().unwrap_or(0);
    let profiles = routes.get("/api/v1/users/me").copied().unwrap_or(0);
    result.assert(
        result.row("POST", "auth: login") == Some((3, 0)) && logins == 3,
        &format!("one login per user, by the library, under its name; the server saw {logins}"),
    );
    result.assert(
        profiles > 0 && result.row("GET", "/api/v1/users/me") == Some((profiles, 0)),
        &format!("profile reads, authorized by the library's header; the server saw {profiles}"),
    );
    result.assert(
        result
            .stdout
            .contains("each user's 2 linear memories may grow to 64 MiB each (--vu-memory)"),
        "the report says the scenario and its library each have a memory, each capped",
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("every request counted once; the server served {served}"),
    );
}

#[tokio::test]
async fn a_scenario_whose_library_is_missing_is_refused_naming_the_import_and_the_flag() {
    let (result, served) =
        run_against_demo("uses_auth", &["--users", "1", "--iterations", "1"]).await;
    result.assert(result.code == 2, "bad input exits 2");
    result.assert(
        result.stderr.contains("imports `test:auth/login@0.1.0`")
            && result.stderr.contains("--lib <library.wasm>"),
        "the error names the import and the flag that supplies it",
    );
    result.assert(served == 0, "nothing was sent");
}

#[tokio::test]
async fn a_library_of_an_incompatible_version_is_refused_naming_both_versions() {
    let library = guest("auth_library_v2").display().to_string();
    let flags = ["--users", "1", "--iterations", "1", "--lib", &library];
    let (result, served) = run_against_demo("uses_auth", &flags).await;
    result.assert(result.code == 2, "bad input exits 2");
    result.assert(
        result.stderr.contains(
            "imports `test:auth/login@0.1.0`, but auth_library_v2.wasm exports `test:auth/login@0.2.0`",
        ),
        "the error names the import's version and the library's",
    );
    result.assert(served == 0, "nothing was sent");
}

#[tokio::test]
async fn a_library_export_no_scenario_imports_is_a_warning() {
    let mut flags = vec!["--users", "1", "--iterations", "2", "--quiet"];
    let [flag, path] = lib_flag();
    flags.extend([flag.as_str(), path.as_str()]);
    let (result, served) = run_against_demo("status_checks", &flags).await;
    result.assert(result.code == 0, "the run goes on");
    result.assert(
        result.stderr.contains(
            "auth_library.wasm exports `test:auth/login@0.1.0`, which no scenario imports",
        ),
        "the warning names the library and its export",
    );
    result.assert(served == 2, "the scenario ran as without the library");
}

#[tokio::test]
async fn a_trap_inside_a_library_is_an_exception_and_the_run_goes_on() {
    let mut flags = vec![
        "--users",
        "1",
        "--run-time",
        "2s",
        "--quiet",
        "--env",
        "USERNAME=trap",
    ];
    let [flag, path] = lib_flag();
    flags.extend([flag.as_str(), path.as_str()]);
    let (result, served) = run_against_demo("uses_auth", &flags).await;
    result.assert(
        result.exceptions_containing(
            "the library was asked to trap (in the library auth_library.wasm)",
        ) >= 1,
        "the library's panic is the scenario's exception, with its message and the library's name",
    );
    result.assert(served == 0, "the trap came before any request");
}

#[tokio::test]
async fn inspect_shows_each_library_and_the_imports_it_resolves() {
    let mut args = vec!["inspect".into(), guest("uses_auth").display().to_string()];
    args.extend(lib_flag());
    let result = run(args).await;
    result.assert(result.code == 0, "inspect succeeds");
    for expected in [
        "library auth_library.wasm (a component of its own",
        "exports test:auth/login@0.1.0",
        "resolves test:auth/login@0.1.0 of the scenario",
        "imports wasmload:scenario/http@0.1.0",
        "2 linear memories (each may grow to --vu-memory)",
        "HTTP, only to --host and --allow-host origins",
    ] {
        result.assert(result.stdout.contains(expected), expected);
    }
}

#[tokio::test]
async fn a_scenario_crate_builds_and_links_the_libraries_its_cargo_toml_declares() {
    guest("ticket_workflow");
    let server = demo_server().await;
    let args = [
        "run",
        "scripts/ticket_workflow",
        "--host",
        &server.url(),
        "--users",
        "2",
        "--spawn-rate",
        "100",
        "--iterations",
        "4",
        "--quiet",
    ];
    let result = run(args.iter().map(|arg| arg.to_string()).collect()).await;
    let routes = server.traffic().requests_by_route();
    let served = server.shutdown().await;
    result.assert(result.code == 0, "the run passes with no --lib flag");
    result.assert(
        result
            .stdout
            .contains("(FastAPIWorkflowUser) with auth.wasm against"),
        "the report names the library that was linked",
    );
    let logins = routes.get("/api/v1/auth/login").copied().unwrap_or(0);
    result.assert(
        logins == 2 && result.row("POST", "/api/v1/auth/login") == Some((2, 0)),
        &format!("each user logged in once through auth.wasm; the server saw {logins}"),
    );
    result.assert(
        result.aggregated() == (served, 0),
        &format!("every request counted once; the server served {served}"),
    );
}

#[tokio::test]
async fn a_library_may_import_another_library_and_the_chain_is_linked_in_every_user() {
    let server = demo_server().await;
    let mut args = run_args(
        &guest("uses_profile"),
        &server.url(),
        &[
            "--users",
            "2",
            "--spawn-rate",
            "100",
            "--iterations",
            "6",
            "--quiet",
        ],
    );
    args.extend(lib_flags(&["profile_library", "auth_library"]));
    let result = run(args).await;
    let routes = server.traffic().requests_by_route();
    let served = server.shutdown().await;
    result.assert(result.code == 0, "the run passes");
    let logins = routes.get("/api/v1/auth/login").copied().unwrap_or(0);
    let profiles = routes.get("/api/v1/users/me").copied().unwrap_or(0);
    result.assert(
        logins == 6 && result.row("POST", "auth: login") == Some((6, 0)),
        &format!("each task logged in through auth_library; the server saw {logins}"),
    );
    result.assert(
        profiles == 6 && result.row("GET", "profile: me") == Some((6, 0)),
        &format!("and read the profile through profile_library; the server saw {profiles}"),
    );
    result.assert(
        result.stdout.contains("each user's 3 linear memories"),
        "each user has the scenario's memory and one per library",
    );
    result.assert(
        result.aggregated() == (served, 0),
        "every request counted once",
    );
    let mut inspect = vec![
        "inspect".into(),
        guest("uses_profile").display().to_string(),
    ];
    inspect.extend(lib_flags(&["profile_library", "auth_library"]));
    let shown = run(inspect).await;
    for expected in [
        "imports test:auth/login@0.1.0                from auth_library.wasm",
        "resolves test:auth/login@0.1.0 of profile_library.wasm",
        "resolves test:profile/reader@0.1.0 of the scenario",
    ] {
        shown.assert(shown.stdout.contains(expected), expected);
    }
}

#[tokio::test]
async fn two_libraries_exporting_one_interface_are_refused_naming_both() {
    let copy = crate::support::scratch_dir("two-providers").join("auth_copy.wasm");
    std::fs::copy(guest("auth_library"), &copy).expect("copy the library");
    let mut args = run_args(&guest("uses_auth"), "http://127.0.0.1:9", &["--users", "1"]);
    args.extend(lib_flag());
    args.extend(["--lib".into(), copy.display().to_string()]);
    let result = run(args).await;
    result.assert(result.code == 2, "bad input exits 2");
    result.assert(
        result.stderr.contains(
            "imports `test:auth/login@0.1.0`, which several libraries export (auth_library.wasm, auth_copy.wasm): give only one",
        ),
        "the message names the interface and both libraries",
    );
}
