//! Command-line syntax: the `wasmload` subcommands and their flags, validated without I/O and
//! turned into plain options ([`LoadOptions`]); nothing else in the host knows clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};

use url::Url;

use crate::broker::{TlsOptions, DEFAULT_MAX_REDIRECTS};
use crate::config::{LoadOptions, NetworkOptions, Outputs};
use crate::metrics::DEFAULT_MAX_ROWS;
use crate::plan::{
    parse_connection_mode, parse_core_share, parse_duration, parse_host, parse_key_value,
    parse_nonzero_duration, parse_positive, parse_rate_per_second, parse_rate_stages,
    parse_resolve, parse_scenario_arg, parse_shard, parse_size, parse_stages, ConnectionMode,
    HttpVersion, RateStage, ResolveEntry, Shard, Stage, Threshold,
};

/// `wasmload`: load tests whose virtual users are sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "wasmload", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Log level for wasmload's own and the guests' log lines (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_parser = ["error", "warn", "info", "debug", "trace"])]
    pub log_level: String,

    /// Threads that drive the shared pool's connections (`--connections shared`) and HTTP/2
    /// connections, apart from the ones that run guests (default: half the cores, at least
    /// one; 0: the guests' threads). A user's own HTTP/1.1 connection is driven by the user.
    #[arg(long, global = true, value_name = "N")]
    pub io_threads: Option<usize>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (a `.wasm` component or a scenario crate directory) against a host.
    Run(RunArgs),
    /// Start the bundled demo API on a free 127.0.0.1 port and run `login_flow` against it.
    Demo(DemoArgs),
    /// Show what a scenario imports and exports, its tasks and weights, and the capabilities
    /// it asks for, without running it.
    Inspect(InspectArgs),
    /// Create a scenario or library crate that builds and runs as it is.
    New(NewArgs),
    /// Merge the JSON summaries of a run's shards (`--shard I/N`) into the report of the
    /// whole run, with its thresholds judged once, on the merged result.
    Merge(MergeArgs),
    /// Coordinate a live run of N shards (`wasmload run … --shard I/N --coordinator URL`):
    /// start them together, show and judge the whole run as it goes, and report it once.
    Coordinate(CoordinateArgs),
    /// Kubernetes: `wasmload k8s render` writes the manifests of a sharded run.
    K8s(K8sArgs),
}

/// `wasmload k8s`.
#[derive(Debug, Args)]
pub struct K8sArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: K8sCommand,
}

/// Subcommands of `wasmload k8s`.
#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// Write to stdout the manifests of a run in N shards: a Secret, a ConfigMap with the
    /// components, the coordinator (a Job behind a Service) and the shards (an Indexed Job).
    Render(RenderArgs),
}

/// Flags of `wasmload k8s render`: a run's, and where it goes.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The scenarios, as for `run`.
    #[arg(required = true, value_name = "SCENARIO[:WEIGHT]", value_parser = parse_scenario_arg)]
    pub scenarios: Vec<(PathBuf, u32)>,

    /// The base URL, as for `run` (else the plan's `host`, else the scenario's default);
    /// every shard is given it.
    #[arg(short = 'H', long)]
    pub host: Option<String>,

    /// How many shards (pods) make the run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: u32,

    /// The container image with the `wasmload` program on its PATH.
    #[arg(long, default_value = concat!("ghcr.io/wasmload/wasmload:", env!("CARGO_PKG_VERSION")))]
    pub image: String,

    /// The run's name; every object's name starts with it (default: from the scenario).
    #[arg(long)]
    pub name: Option<String>,

    /// The namespace to put the objects in (default: the current one).
    #[arg(long)]
    pub namespace: Option<String>,

    /// How long Kubernetes keeps the finished Jobs and their logs.
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub ttl: Duration,

    /// The run's options, as for `run`.
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Flags of `wasmload coordinate`.
#[derive(Debug, Args)]
pub struct CoordinateArgs {
    /// How many shards make the run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: u32,

    /// Where shards reach the coordinator (give 0.0.0.0:PORT to take shards of other
    /// machines).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7070")]
    pub listen: std::net::SocketAddr,

    /// The run's secret, which every shard must carry too; one is drawn and printed when
    /// absent.
    #[arg(
        long,
        value_name = "SECRET",
        env = "WASMLOAD_RUN_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<String>,

    /// How long to wait for every shard to load its scenarios and join.
    #[arg(long, value_parser = parse_duration, default_value = "5m")]
    pub ready_timeout: Duration,

    /// How long a running shard may send nothing before it counts as lost.
    #[arg(long, value_parser = parse_duration, default_value = "15s")]
    pub shard_timeout: Duration,

    /// A pass/fail gate, as for `run`; repeatable. Without one, the shards' own thresholds
    /// are judged, on the whole run.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = Threshold::parse)]
    pub thresholds: Vec<Threshold>,

    /// Stop every shard as soon as a threshold of the whole run fails.
    #[arg(long)]
    pub abort_on_fail: bool,

    /// How long `--abort-on-fail` waits before judging thresholds.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub abort_grace: Duration,

    /// Exit code when some requests failed; default 1, or 0 when thresholds decide.
    #[arg(long)]
    pub exit_code_on_error: Option<u8>,

    /// The files and views of the whole run.
    #[command(flatten)]
    pub views: ViewArgs,
}

/// Flags of `wasmload merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' JSON summaries (written with `--json`), one per shard, in any order.
    #[arg(required = true, value_name = "SUMMARY.json")]
    pub summaries: Vec<PathBuf>,

    /// A pass/fail gate, as for `run`; repeatable. Without one, the run's own thresholds
    /// (recorded in the summaries) are judged.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = Threshold::parse)]
    pub thresholds: Vec<Threshold>,

    /// Exit code when some requests failed; default 1, or 0 when thresholds decide.
    #[arg(long)]
    pub exit_code_on_error: Option<u8>,

    /// The report files to write, as for `run`.
    #[command(flatten)]
    pub files: ReportFiles,
}

/// The report files a run writes, and what shows it while it goes on.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// The report files to write.
    #[command(flatten)]
    pub files: ReportFiles,

    /// Serve a live dashboard (charts, tables, start/stop/user-count controls), by default on
    /// 127.0.0.1:8089; without `--run-time` a run waits for Start, and a coordinator's Stop
    /// stops every shard.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8089")]
    pub web: Option<std::net::SocketAddr>,

    /// Credentials the dashboard asks for (HTTP Basic), as USER:PASSWORD; required when
    /// `--web` listens beyond loopback.
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "WASMLOAD_WEB_AUTH",
        hide_env_values = true
    )]
    pub web_auth: Option<String>,

    /// Serve Prometheus metrics at http://ADDR/metrics during the run, e.g. 127.0.0.1:9464
    /// (a coordinator's series carry each shard's label).
    #[arg(long, value_name = "ADDR")]
    pub prometheus: Option<std::net::SocketAddr>,

    /// Keep serving `/metrics` this long after the run, for a last scrape.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub prometheus_linger: Duration,

    /// No live progress view while the run goes on.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

impl From<ViewArgs> for Outputs {
    fn from(args: ViewArgs) -> Self {
        Outputs {
            csv: args.files.csv,
            json: args.files.json,
            html: args.files.html,
            junit: args.files.junit,
            quiet: args.quiet,
            web: args.web,
            web_auth: args.web_auth,
            prometheus: args.prometheus,
            prometheus_linger: args.prometheus_linger,
        }
    }
}

/// The report files a run (or a merge) writes at its end.
#[derive(Debug, Clone, Args)]
pub struct ReportFiles {
    /// Write Locust's four CSV files: PREFIX_stats.csv, PREFIX_stats_history.csv,
    /// PREFIX_failures.csv and PREFIX_exceptions.csv.
    #[arg(long, value_name = "PREFIX")]
    pub csv: Option<PathBuf>,

    /// Write the whole run as JSON (schema: host/schemas/summary-v1.schema.json), histograms
    /// included.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write a self-contained HTML report (charts, tables, thresholds) that opens offline.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Write the thresholds and checks as a JUnit XML report (a test case each), which CI
    /// systems show natively.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// Flags of `wasmload new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// What to create: `scenario` (a virtual user) or `library` (a component scenarios import).
    pub kind: crate::scaffold::CrateKind,

    /// The new crate's directory; its last part is the crate's name (e.g. `checkout_flow`).
    pub dir: PathBuf,

    /// The wasmload-guest SDK to depend on (default: the `guest-sdk/` of the source tree
    /// wasmload was built from).
    #[arg(long, value_name = "DIR")]
    pub sdk: Option<PathBuf>,
}

/// Flags of `wasmload inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The scenario: a `.wasm` component, or a scenario crate directory to build first.
    pub scenario: PathBuf,

    /// A library component the scenario imports; repeatable, as for `run`.
    #[arg(long = "lib", value_name = "LIBRARY")]
    pub libraries: Vec<PathBuf>,
}

/// Flags of `wasmload run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenarios: `.wasm` components or scenario crate directories, each optionally with
    /// `:WEIGHT` (e.g. `login_flow.wasm:3 browse_products.wasm:1`) to split users by weight.
    #[arg(required = true, value_name = "SCENARIO[:WEIGHT]", value_parser = parse_scenario_arg)]
    pub scenarios: Vec<(PathBuf, u32)>,

    /// The base URL that relative request paths are joined to, e.g. `https://api.example`;
    /// it overrides a plan file's `host` and the scenario's default host.
    #[arg(short = 'H', long)]
    pub host: Option<String>,

    /// Report to the coordinator of a live sharded run (`wasmload coordinate`) at
    /// http://HOST:PORT, with the run's secret in WASMLOAD_RUN_SECRET; needs --shard.
    #[arg(
        long,
        value_name = "URL",
        requires = "shard",
        conflicts_with = "processes"
    )]
    pub coordinator: Option<String>,

    /// Split the run over N local worker processes under a local coordinator (as Locust's
    /// --processes), for more users than one process holds; one report for the whole run.
    /// Without it, a run of more users than one process holds picks N itself and says so;
    /// `--processes 1` keeps it in one process.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "shard")]
    pub processes: Option<u32>,

    /// Load and run options.
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Flags of `wasmload demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Load and run options (defaults: 300 users, spawn rate 50/s, 30 s).
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Load-shape and run options shared by `run` and `demo`.
#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    /// Number of concurrent virtual users (with `--rate`: users started before the first
    /// iteration).
    #[arg(short = 'u', long, value_parser = clap::value_parser!(u32).range(1..))]
    pub users: Option<u32>,

    /// Users started per second until `--users` are running (default: all within one second).
    #[arg(short = 'r', long, value_parser = parse_positive)]
    pub spawn_rate: Option<f64>,

    /// Stop after this long, e.g. `30s`, `5m`, `1h30m` (default: run until Ctrl-C or `--iterations`).
    #[arg(short = 't', long, value_parser = parse_nonzero_duration)]
    pub run_time: Option<Duration>,

    /// Stop after this many tasks in total, across all users.
    #[arg(short = 'i', long, value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: Option<u64>,

    /// On stop, how long users may take to finish their current task and `on_stop`.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub stop_timeout: Duration,

    /// A run parameter the scenario reads with `env("KEY")`; repeatable.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub env: Vec<(String, String)>,

    /// Test data the scenario reads by name: a CSV file with a header row, or JSON Lines
    /// (`.jsonl`), read once before the run; repeatable.
    #[arg(long = "data", value_name = "NAME=FILE", value_parser = parse_data_file)]
    pub data: Vec<(String, PathBuf)>,

    /// Seed for every user's random generator; the same seed repeats the same choices.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Run only shard I of N of this run (`I/N`, from 0; or `N`, with the index from
    /// JOB_COMPLETION_INDEX): every N-th user and arrival-rate iteration, so N shards
    /// together make the load of one process. Give every shard the same --seed.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,

    /// Names the run, the same in each of its shards: the coordinator and `merge` refuse a
    /// shard of another run id (`--processes` and `k8s render` draw one when none is given).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,

    /// Another origin or host name the scenario may send requests to; repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// A library component (a .wasm, or a crate directory to build) whose exports satisfy
    /// the scenario's imports of the same interface (a semver-compatible version), linked in
    /// each user's sandbox; repeatable. A scenario crate's own libraries (Cargo.toml's
    /// `[package.metadata.wasmload] libraries`) are added without it.
    #[arg(long = "lib", value_name = "LIBRARY")]
    pub libraries: Vec<PathBuf>,

    /// Default timeout of one request, from send to the last body byte.
    #[arg(long, value_parser = parse_nonzero_duration, default_value = "60s")]
    pub request_timeout: Duration,

    /// Longest a guest may compute without calling the host before it is interrupted.
    #[arg(long, value_parser = parse_nonzero_duration, default_value = "30s")]
    pub task_timeout: Duration,

    /// Closed-model stages `DURATION:USERS[:SPAWN_RATE]`, comma-separated, e.g.
    /// `30s:10:2,1m:50:5,30s:0`; without a spawn rate a stage ramps evenly over its duration.
    #[arg(long, value_parser = parse_stages_arg, conflicts_with_all = ["users", "rate", "rate_stages"])]
    pub stages: Option<StagesArg>,

    /// Open model: start iterations at this rate (e.g. `500/s`, `30000/m`), whether or not
    /// earlier ones finished; one iteration is one task, with no wait time.
    #[arg(long, value_parser = parse_rate_per_second)]
    pub rate: Option<f64>,

    /// Open model with ramping rates `DURATION:RATE`, comma-separated, e.g.
    /// `30s:100/s,1m:500/s,30s:0`; it starts from `--rate` (default 0).
    #[arg(long, value_parser = parse_rate_stages_arg)]
    pub rate_stages: Option<RateStagesArg>,

    /// Open model: the most users in the pool (default 1000); iterations that find them all
    /// busy are dropped (or queued, `--max-queue`). Also caps a scenario's own load shape, and the user count a
    /// dashboard (`--web`, a coordinator's) may ask for (1000, or `--users` if more).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_users: Option<u32>,

    /// Open model: iterations that may wait for a busy pool, measured from their intended
    /// start, before further ones are dropped (default 0).
    #[arg(long)]
    pub max_queue: Option<usize>,

    /// A TOML plan file with the load shape and thresholds (flags given here win).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,

    /// A pass/fail gate such as `p95<300ms`, `error_rate<1%`, `rps>=500`,
    /// `/api/v1/orders:p99<800ms` or `check:NAME:rate>99%`; repeatable.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = Threshold::parse)]
    pub thresholds: Vec<Threshold>,

    /// Stop the run as soon as a threshold fails (checked every second after `--abort-grace`).
    #[arg(long)]
    pub abort_on_fail: bool,

    /// How long `--abort-on-fail` waits before judging thresholds.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub abort_grace: Duration,

    /// Linear memory each virtual user may grow to, e.g. `16MiB`; a guest that needs more
    /// gets an allocation failure, counted as an exception, and restarts.
    #[arg(long, value_parser = parse_size, default_value = "64MiB")]
    pub vu_memory: usize,

    /// The share of one core each user's guest code may use, e.g. `0.25` or `25%`; a user
    /// that computes past it is paused until its next 100 ms window.
    #[arg(long, value_name = "SHARE", value_parser = parse_core_share)]
    pub vu_cpu: Option<f64>,

    /// Largest request or response body; a bigger response fails with a clear message and
    /// is never buffered past this.
    #[arg(long, value_parser = parse_size, default_value = "16MiB")]
    pub max_body: usize,

    /// Trusted scenarios only: no task timeout (epoch interruption) and no per-user memory
    /// limiter, so a spinning or greedy guest is not stopped; `bench/run.sh` uses it to
    /// measure what the budgets cost.
    #[arg(long)]
    pub no_budgets: bool,

    /// Exit code when some requests failed (0 makes failures not fail the run); default 1,
    /// or 0 when thresholds are given (they decide).
    #[arg(long)]
    pub exit_code_on_error: Option<u8>,

    /// The most distinct request names kept as rows; later names are counted under one
    /// `(other names)` row, with a warning (give URLs with ids one `.name(..)`).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ROWS, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub max_rows: usize,

    /// Stop the run, with its report, when the memory left to it (the machine's, or the
    /// container's limit) falls below SIZE, before the kernel kills it; `0` never stops
    /// (default: 5% of the memory, at least 64MiB, at most half of what is left at the start).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_floor)]
    pub min_free_memory: Option<u64>,

    /// The report files and the views while the run goes on.
    #[command(flatten)]
    pub views: ViewArgs,

    /// Connections, TLS and the network.
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// How requests reach the target.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Connections, TLS and network")]
pub struct NetworkArgs {
    /// Who owns the connections: `per-user` (each user keeps its own, as a browser does),
    /// `shared` (one pool for all users, as behind a gateway) or `per-iteration` (fresh ones
    /// each task, to load handshakes).
    #[arg(long, value_name = "MODE", value_parser = parse_connection_mode, default_value = "per-user")]
    pub connections: ConnectionMode,

    /// Redirects one request may follow.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_REDIRECTS)]
    pub max_redirects: usize,

    /// Speak HTTP/1.1 only.
    #[arg(long, conflicts_with = "http2")]
    pub http1: bool,

    /// Speak HTTP/2 only (over plain TCP with prior knowledge); by default TLS negotiates it.
    #[arg(long)]
    pub http2: bool,

    /// Accept any TLS certificate (a self-signed staging server); the report says so.
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Also trust the CA certificates in this PEM file (besides the web PKI roots and the
    /// system's store); repeatable.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,

    /// A client certificate (PEM) for mutual TLS; needs `--client-key`.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// The private key (PEM) of `--client-cert`.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    /// Send every request through this HTTP proxy (a CONNECT tunnel), e.g.
    /// `http://proxy.corp:3128`; without it, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` apply.
    #[arg(long, value_name = "URL", value_parser = parse_proxy)]
    pub proxy: Option<Url>,

    /// Send connections for HOST:PORT to ADDR, as curl's `--resolve` (the URL, `Host` and TLS
    /// still name HOST); repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR", value_parser = parse_resolve)]
    pub resolve: Vec<ResolveEntry>,
}

fn parse_proxy(text: &str) -> Result<Url, String> {
    parse_host(text).map_err(|err| format!("the proxy {err}"))
}

impl From<NetworkArgs> for NetworkOptions {
    fn from(args: NetworkArgs) -> Self {
        Self {
            connections: args.connections,
            max_redirects: args.max_redirects,
            http_version: match (args.http1, args.http2) {
                (true, _) => HttpVersion::Http1,
                (_, true) => HttpVersion::Http2,
                _ => HttpVersion::Auto,
            },
            tls: TlsOptions {
                insecure: args.insecure,
                ca_certs: args.ca_certs,
                client_identity: args.client_cert.zip(args.client_key),
            },
            proxy: args.proxy,
            resolve: args.resolve,
        }
    }
}

/// The value of `--stages`.
#[derive(Debug, Clone, PartialEq)]
pub struct StagesArg(pub Vec<Stage>);

/// The value of `--rate-stages`.
#[derive(Debug, Clone, PartialEq)]
pub struct RateStagesArg(pub Vec<RateStage>);

fn parse_stages_arg(text: &str) -> Result<StagesArg, String> {
    parse_stages(text).map(StagesArg)
}

/// `--min-free-memory`: a size, or zero (`0`, `0B`, `0MiB`) for none.
fn parse_memory_floor(text: &str) -> Result<u64, String> {
    match text.trim().parse::<bytesize::ByteSize>() {
        Ok(size) if size.as_u64() == 0 => Ok(0),
        _ => parse_size(text).map(|bytes| bytes as u64),
    }
}

fn parse_rate_stages_arg(text: &str) -> Result<RateStagesArg, String> {
    parse_rate_stages(text).map(RateStagesArg)
}

impl From<LoadArgs> for LoadOptions {
    /// The flags as plain options; the plan file is read apart.
    fn from(args: LoadArgs) -> Self {
        Self {
            users: args.users,
            spawn_rate: args.spawn_rate,
            run_time: args.run_time,
            iterations: args.iterations,
            stop_timeout: args.stop_timeout,
            env: args.env,
            data: args.data,
            seed: args.seed,
            shard: args.shard.unwrap_or_default(),
            run_id: args.run_id,
            allow_hosts: args.allow_hosts,
            libraries: args.libraries,
            request_timeout: args.request_timeout,
            task_timeout: args.task_timeout,
            stages: args.stages.map(|stages| stages.0),
            rate: args.rate,
            rate_stages: args.rate_stages.map(|stages| stages.0),
            max_users: args.max_users,
            max_queue: args.max_queue,
            thresholds: args.thresholds,
            abort_on_fail: args.abort_on_fail,
            abort_grace: args.abort_grace,
            vu_memory: args.vu_memory,
            max_body: args.max_body,
            no_budgets: args.no_budgets,
            vu_cpu: args.vu_cpu,
            exit_code_on_error: args.exit_code_on_error,
            max_rows: args.max_rows,
            min_free_memory: args.min_free_memory,
            network: args.network.into(),
            outputs: args.views.into(),
        }
    }
}

fn parse_data_file(text: &str) -> Result<(String, PathBuf), String> {
    let (name, file) = parse_key_value(text)?;
    if file.is_empty() {
        return Err(format!("`{text}` names no file: use NAME=FILE"));
    }
    Ok((name, PathBuf::from(file)))
}

/// A usage error in one line that names the flag and what it expects, and the help to read;
/// `args` are the command line it came from (to name the subcommand's help).
pub fn usage_error(err: &clap::Error, args: &[String]) -> String {
    let rendered = err.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("tip:")
                && !line.starts_with("For more information")
        })
        .collect();
    let command = <Cli as clap::CommandFactory>::command();
    let subcommand = args
        .iter()
        .skip(1)
        .find(|arg| command.find_subcommand(arg.as_str()).is_some());
    let help = match subcommand {
        Some(name) => format!("wasmload {name} --help"),
        None => "wasmload --help".to_string(),
    };
    format!("{} (see {help})", message.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("wasmload").chain(args.iter().copied()))
    }

    /// The one-line error for `args`, which must not parse.
    fn error_line(args: &[&str]) -> String {
        let err = parse(args).expect_err("a usage error");
        let line: Vec<String> = std::iter::once("wasmload")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        usage_error(&err, &line)
    }

    fn run_args(extra: &[&str]) -> Result<Cli, clap::Error> {
        let mut args = vec!["run", "a.wasm", "--host", "http://h"];
        args.extend_from_slice(extra);
        parse(&args)
    }

    #[test]
    fn users_must_be_at_least_one() {
        assert!(parse(&["demo", "--users", "0"]).is_err());
        assert!(parse(&["demo", "--users", "-1"]).is_err());
        assert!(parse(&["demo", "--users", "3"]).is_ok());
    }

    #[test]
    fn a_run_time_or_timeout_of_zero_is_refused() {
        for flag in ["--run-time", "--request-timeout", "--task-timeout"] {
            assert!(run_args(&[flag, "0s"]).is_err(), "{flag} 0s");
            assert!(run_args(&[flag, "2s"]).is_ok(), "{flag} 2s");
        }
    }

    #[test]
    fn no_flags_give_the_default_options() {
        let Ok(Cli {
            command: Command::Demo(args),
            ..
        }) = parse(&["demo"])
        else {
            panic!("a demo");
        };
        assert_eq!(LoadOptions::from(args.load), LoadOptions::default());
    }

    #[test]
    fn several_weighted_scenarios_parse() {
        let Ok(Cli {
            command: Command::Run(args),
            ..
        }) = parse(&["run", "a.wasm:3", "b.wasm", "--host", "http://h"])
        else {
            panic!("a run");
        };
        assert_eq!(
            args.scenarios,
            [(PathBuf::from("a.wasm"), 3), (PathBuf::from("b.wasm"), 1)]
        );
    }

    #[test]
    fn stages_conflict_with_users_and_rates() {
        assert!(run_args(&["--stages", "10s:5"]).is_ok());
        assert!(run_args(&["--stages", "10s:5", "--users", "3"]).is_err());
        assert!(run_args(&["--stages", "10s:5", "--rate", "5/s"]).is_err());
        assert!(run_args(&["--rate", "5/s", "--users", "3"]).is_ok());
        assert!(run_args(&["--stages", "10s"]).is_err());
    }

    #[test]
    fn every_switch_is_documented() {
        let mut command = <Cli as clap::CommandFactory>::command();
        let help = command
            .find_subcommand_mut("run")
            .expect("the run subcommand")
            .render_long_help()
            .to_string();
        for flag in [
            "--vu-memory",
            "--no-budgets",
            "--task-timeout",
            "--max-body",
        ] {
            assert!(help.contains(flag), "{flag} is not in the help");
        }
        assert!(
            command
                .get_subcommands()
                .all(|sub| sub.get_arguments().all(|arg| !arg.is_hide_set())),
            "a hidden flag"
        );
    }

    #[test]
    fn thresholds_are_checked_when_parsed() {
        assert!(run_args(&["--threshold", "p95<300ms"]).is_ok());
        let line = error_line(&["run", "a.wasm", "--host", "h", "--threshold", "p95<3q"]);
        assert!(
            line.contains("--threshold") && line.contains("`3q` is not a duration"),
            "{line}"
        );
    }

    #[test]
    fn usage_errors_are_one_line_naming_the_flag() {
        let line = error_line(&["run", "--users", "3"]);
        assert_eq!(
            line,
            "error: the following required arguments were not provided: <SCENARIO[:WEIGHT]>... \
             (see wasmload run --help)"
        );
        let line = error_line(&["demo", "--users", "lots"]);
        assert_eq!(
            line,
            "error: invalid value 'lots' for '--users <USERS>': invalid digit found in string \
             (see wasmload demo --help)"
        );
        let line = error_line(&["run", "x.wasm", "--host", "http://h", "--bogus"]);
        assert_eq!(
            line,
            "error: unexpected argument '--bogus' found (see wasmload run --help)"
        );
        assert!(error_line(&["frobnicate"]).ends_with("(see wasmload --help)"));
    }
}
