//! Test support: guest components built once per test run, the demo API in-process, and the
//! `wasmload` binary run as a user would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use demo_api::{DemoConfig, DemoServer};

/// Every guest crate the tests use, built together once.
const GUESTS: &[&str] = &[
    "browse_products",
    "demo_auth",
    "login_flow",
    "ticket_workflow",
    "file_processing",
    "status_checks",
    "trap_random",
    "forbidden_host",
    "task_error",
    "wrong_world",
    "busy_loop",
    "staged_user",
    "slow_calls",
    "seeded_choices",
    "memory_bomb",
    "log_flood",
    "future_contract",
    "contract_v1",
    "shop_data",
    "checkout_journey",
    "shared_token",
    "cart_metrics",
    "page_load",
    "fault_paths",
    "escape_artist",
    "paced_health",
    "redirect_paths",
    "distinct_urls",
    "auth_library",
    "auth_library_v2",
    "uses_auth",
    "profile_library",
    "uses_profile",
];

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// The target directory guest builds use during tests, apart from the one `cargo test` holds;
/// the host's build script builds the demo's components there too.
pub fn guest_target_dir() -> PathBuf {
    workspace().join("target").join("guests")
}

/// The cache every test's `wasmload` shares: each script's component (and its compilation)
/// is built once per test run, whichever test asks first.
pub fn script_cache() -> PathBuf {
    workspace().join("target").join("wasmload-cache")
}

/// The script at `path` (relative to the workspace), built into the shared cache once, one
/// build at a time (the first also installs the toolchain), so tests running it start at once.
pub fn script(path: &str) -> PathBuf {
    script_with(path, &[])
}

/// [`script`], built with `flags` given to `inspect` (the `--lib` flags of the libraries the
/// script imports).
pub fn script_with(path: &str, flags: &[&str]) -> PathBuf {
    static BUILDS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let key = format!("{path} {flags:?}");
    if !built.contains(&key) {
        let mut args = vec!["inspect", path];
        args.extend_from_slice(flags);
        let output = wasmload(&args).output().expect("wasmload runs");
        assert!(
            output.status.success(),
            "building {path} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        built.push(key);
    }
    workspace().join(path)
}

/// The built component of guest crate `name`.
pub fn guest(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(build_guests);
    dir.join(format!("{name}.wasm"))
}

fn build_guests() -> PathBuf {
    wasmload::scenario_build::ensure_target(&workspace()).expect("the wasm32-wasip2 target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace())
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .env("CARGO_TARGET_DIR", guest_target_dir());
    for name in GUESTS {
        command.args(["-p", name]);
    }
    let status = command.status().expect("cargo runs");
    assert!(status.success(), "building the guest components failed");
    guest_target_dir().join("wasm32-wasip2").join("release")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// One HTTP/1.0 request to 127.0.0.1:`port`; returns the status code and the body.
pub async fn http(port: u16, method: &str, path: &str) -> (u16, String) {
    try_http(port, method, path)
        .await
        .unwrap_or_else(|| panic!("{method} {path} on port {port} got no HTTP response"))
}

/// Like [`http`], but `None` when nothing answers (yet).
pub async fn try_http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    try_http_with(port, method, path, &[("Host", "localhost")], "").await
}

/// One HTTP/1.0 request with exactly these `headers` and `body`; the status and the body.
pub async fn http_with(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    try_http_with(port, method, path, headers, body)
        .await
        .unwrap_or_else(|| panic!("{method} {path} on port {port} got no HTTP response"))
}

/// Like [`http_with`], but `None` when nothing answers (yet).
pub async fn try_http_with(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let mut request = format!("{method} {path} HTTP/1.0\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// A fresh, empty directory for one test's output files, under the target directory.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = workspace()
        .join("target")
        .join("e2e-scratch")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Starts the demo API on a free 127.0.0.1 port.
pub async fn demo_server() -> DemoServer {
    demo_server_with(DemoConfig::default()).await
}

/// Starts the demo API with `config` on a free 127.0.0.1 port.
pub async fn demo_server_with(config: DemoConfig) -> DemoServer {
    DemoServer::start(([127, 0, 0, 1], 0).into(), config)
        .await
        .expect("the demo API starts")
}

/// Polls `ready` every 50 ms until it holds; fails the test naming `what` after `within`.
pub async fn eventually(what: &str, within: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !ready() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A `wasmload` command with the test environment set.
pub fn wasmload(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmload"));
    command
        .args(args)
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", guest_target_dir())
        .env("WASMLOAD_CACHE", script_cache())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// What one `wasmload` invocation printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The Aggregated row's request and failure counts.
    pub fn aggregated(&self) -> (u64, u64) {
        let row = self
            .stdout
            .lines()
            .find(|line| line.trim_start().starts_with("Aggregated") && line.contains('|'))
            .unwrap_or_else(|| panic!("no Aggregated row in:\n{}", self.stdout));
        counts(row)
    }

    /// The request and failure counts of the row for `method` `name`, if it exists.
    pub fn row(&self, method: &str, name: &str) -> Option<(u64, u64)> {
        self.rows()
            .into_iter()
            .find(|row| row.method == method && row.name == name)
            .map(|row| (row.requests, row.failures))
    }

    /// Every request row of the report's first table (the Aggregated row left out).
    pub fn rows(&self) -> Vec<Row> {
        self.stdout
            .lines()
            .skip_while(|line| !line.starts_with("Type "))
            .skip(2)
            .take_while(|line| !line.starts_with("---"))
            .filter_map(|line| {
                let (method, rest) = line.split_once(' ')?;
                let before_bar = rest.split('|').next()?;
                let fields: Vec<&str> = before_bar.split_whitespace().collect();
                let name = fields.get(..fields.len().checked_sub(2)?)?.join(" ");
                let (requests, failures) = counts(line);
                let times: Vec<f64> = line
                    .split('|')
                    .nth(1)?
                    .split_whitespace()
                    .filter_map(|field| field.parse().ok())
                    .collect();
                Some(Row {
                    method: method.to_string(),
                    name,
                    requests,
                    failures,
                    median_ms: times.get(3).copied().unwrap_or(f64::NAN),
                })
            })
            .collect()
    }

    /// Exception occurrences whose message contains `text`.
    /// How many users the report says were started.
    pub fn users_started(&self) -> Option<u32> {
        self.stdout
            .lines()
            .find_map(|line| line.split(" users started").next()?.trim().parse().ok())
    }

    pub fn exceptions_containing(&self, text: &str) -> u64 {
        self.stdout
            .lines()
            .skip_while(|line| !line.starts_with("Exceptions"))
            .filter(|line| line.contains(text))
            .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
            .sum()
    }

    /// Checks that the run was refused as bad input: exit 2, one `error: ` line on stderr
    /// that mentions `expected`, no panic, and no report.
    pub fn assert_rejected(&self, expected: &str) {
        self.assert(self.code == 2, "bad input exits with code 2");
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        self.assert(lines.len() == 1, "exactly one line on stderr");
        self.assert(
            lines[0].starts_with("error: "),
            "the line starts with `error: `",
        );
        self.assert(
            lines[0].contains(expected),
            &format!("stderr mentions `{expected}`"),
        );
        self.assert(!self.stderr.contains("panicked"), "no panic");
        self.assert(
            self.stdout.is_empty(),
            "no report for a run that never started",
        );
    }

    /// Panics with the whole output unless `check` holds.
    pub fn assert(&self, check: bool, what: &str) {
        assert!(
            check,
            "{what}\nexit code {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
    }
}

/// One row of the report's request table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub method: String,
    pub name: String,
    pub requests: u64,
    pub failures: u64,
    pub median_ms: f64,
}

/// Parses "# reqs" and "# fails" from a request row: the two fields before the first `|`.
fn counts(row: &str) -> (u64, u64) {
    let before_bar = row.split('|').next().unwrap_or_default();
    let fields: Vec<&str> = before_bar.split_whitespace().collect();
    let requests = fields[fields.len() - 2]
        .parse()
        .expect("# reqs is a number");
    let failures = fields[fields.len() - 1]
        .split('(')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("# fails is a number");
    (requests, failures)
}

/// A `wasmload` process in the background, whose stderr is read as it is written.
pub struct Background {
    child: tokio::process::Child,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Starts `wasmload` with `args`.
    pub fn spawn(args: &[&str]) -> Self {
        Self::spawn_with_env(args, &[])
    }

    /// Starts `wasmload` with `args` and `env` set for it.
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let mut command = wasmload(args);
        command.envs(env.iter().copied());
        let mut child = tokio::process::Command::from(command)
            .spawn()
            .expect("wasmload starts");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("a stderr pipe");
        let sink = std::sync::Arc::clone(&stderr);
        let reader = tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap_or_else(|err| err.into_inner());
                text.push_str(&line);
                text.push('\n');
            }
        });
        Self {
            child,
            stderr,
            reader,
        }
    }

    /// Whether stderr has shown `text` so far.
    pub fn stderr_contains(&self, text: &str) -> bool {
        self.stderr
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .contains(text)
    }

    /// The first stderr line containing `text`, once one has been written.
    pub async fn stderr_line(&self, text: &str, within: Duration) -> String {
        let find = || {
            let stderr = self.stderr.lock().unwrap_or_else(|err| err.into_inner());
            stderr
                .lines()
                .find(|line| line.contains(text))
                .map(str::to_string)
        };
        eventually(&format!("a line with `{text}`"), within, || {
            find().is_some()
        })
        .await;
        find().unwrap_or_default()
    }

    /// The 127.0.0.1 port of the first `http://127.0.0.1:PORT` its stderr names after
    /// `text` (a server that picked its own port says where it listens).
    pub async fn port_after(&self, text: &str) -> u16 {
        let line = self.stderr_line(text, Duration::from_secs(60)).await;
        line.split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in `{line}`"))
    }

    /// Sends `signal` (such as `-INT`) to the process.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("a running process").to_string();
        let sent = Command::new("kill")
            .args([signal, pid.as_str()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// Waits at most `within` for the process to exit, and returns what it printed.
    pub async fn finish(self, within: Duration) -> Run {
        let output = tokio::time::timeout(within, self.child.wait_with_output())
            .await
            .expect("wasmload exits in time")
            .expect("wasmload exits");
        self.reader.await.expect("the stderr reader");
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .clone();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        }
    }
}

/// Runs `wasmload` to completion off the async runtime.
pub async fn run(args: Vec<String>) -> Run {
    run_with_env(args, &[]).await
}

/// Runs `wasmload` to completion off the async runtime, with `env` set for it.
pub async fn run_with_env(args: Vec<String>, env: &[(&str, &str)]) -> Run {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = wasmload(&args).envs(env).output().expect("wasmload runs");
        Run::from_output(output)
    })
    .await
    .expect("the wasmload runner thread")
}

/// `wasmload run <component> --host <url>` plus `extra` flags.
pub fn run_args(component: &Path, host: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        component.display().to_string(),
        "--host".to_string(),
        host.to_string(),
    ];
    args.extend(library_flags(component));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The `--lib` flags a built seed journey needs, as its user gives them: the journeys that
/// log in import `auth.wasm` (the `demo_auth` crate).
pub fn library_flags(component: &Path) -> Vec<String> {
    const LOGS_IN: &[&str] = &["login_flow", "ticket_workflow", "file_processing"];
    let stem = component.file_stem().and_then(|stem| stem.to_str());
    if stem.is_some_and(|stem| LOGS_IN.contains(&stem)) {
        vec!["--lib".into(), guest("auth").display().to_string()]
    } else {
        Vec::new()
    }
}

/// `status_checks` for 3 s with 8 users and a seed whose first tasks hit all three of its
/// endpoints, so every row and a time series of three points or more exist; plus `extra`.
pub async fn run_all_status_endpoints(extra: &[&str]) -> (Run, u64) {
    let mut flags = vec!["--users", "8", "--seed", "3", "--run-time", "3s", "--quiet"];
    flags.extend_from_slice(extra);
    run_against_demo("status_checks", &flags).await
}

/// Runs `script` with `flags` against a fresh demo API; the run, the server's count, and its
/// requests by route.
pub async fn run_script(
    script: &Path,
    flags: &[&str],
) -> (Run, u64, std::collections::BTreeMap<String, u64>) {
    run_mixed(&[script.to_path_buf()], flags).await
}

/// Runs `scenarios` together (a mixed run) with `flags` against a fresh demo API; the run,
/// the server's count, and its requests by route.
pub async fn run_mixed(
    scenarios: &[PathBuf],
    flags: &[&str],
) -> (Run, u64, std::collections::BTreeMap<String, u64>) {
    let server = demo_server().await;
    let mut args = vec!["run".to_string()];
    args.extend(scenarios.iter().map(|path| path.display().to_string()));
    args.extend(["--host".to_string(), server.url()]);
    args.extend(flags.iter().map(ToString::to_string));
    let result = run(args).await;
    let routes = server.traffic().requests_by_route();
    let served = server.shutdown().await;
    (result, served, routes)
}

/// Runs guest `name` with `flags` against a fresh demo API; returns the run and how many
/// requests the server served.
pub async fn run_against_demo(name: &str, flags: &[&str]) -> (Run, u64) {
    let server = demo_server().await;
    let result = run(run_args(&guest(name), &server.url(), flags)).await;
    let served = server.requests_served();
    server.shutdown().await;
    (result, served)
}

/// `users` of `paced_health` (one `/health` call every 100 ms each), alone or beside as many
/// users of `neighbour`, with `flags`, against a fresh demo API; returns the run, the Paced
/// row, and the server's count of `/health` (which only the Paced users call).
pub async fn paced_beside(
    neighbour: Option<&str>,
    users: u32,
    flags: &[&str],
) -> (Run, Option<Row>, u64) {
    let server = demo_server().await;
    let mut args = vec![
        "run".to_string(),
        guest("paced_health").display().to_string(),
    ];
    let all_users = match neighbour {
        Some(name) => {
            args.push(guest(name).display().to_string());
            users * 2
        }
        None => users,
    };
    args.extend(["--host".to_string(), server.url()]);
    args.extend(["--users".to_string(), all_users.to_string()]);
    args.extend(flags.iter().map(|flag| flag.to_string()));
    let result = run(args).await;
    let health = server
        .traffic()
        .requests_by_route()
        .get("/health")
        .copied()
        .unwrap_or(0);
    server.shutdown().await;
    let name = if neighbour.is_some() {
        "Paced: /health"
    } else {
        "/health"
    };
    let row = result.rows().into_iter().find(|row| row.name == name);
    (result, row, health)
}
