//! Command-line syntax: the `wasmload` subcommands and their flags, validated without I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::scheduler::{RateStage, Stage};

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
}

/// Flags of `wasmload inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The scenario: a `.wasm` component, or a scenario crate directory to build first.
    pub scenario: PathBuf,
}

/// Flags of `wasmload run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenarios: `.wasm` components or scenario crate directories, each optionally with
    /// `:WEIGHT` (e.g. `login_flow.wasm:3 browse_products.wasm:1`) to split users by weight.
    #[arg(required = true, value_name = "SCENARIO[:WEIGHT]", value_parser = crate::scheduler::parse_scenario_arg)]
    pub scenarios: Vec<(PathBuf, u32)>,

    /// The base URL that relative request paths are joined to, e.g. `https://api.example`.
    #[arg(short = 'H', long)]
    pub host: String,

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
    #[arg(short = 'r', long, value_parser = parse_rate)]
    pub spawn_rate: Option<f64>,

    /// Stop after this long, e.g. `30s`, `5m`, `1h30m` (default: run until Ctrl-C or `--iterations`).
    #[arg(short = 't', long, value_parser = parse_duration)]
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

    /// Seed for every user's random generator; the same seed repeats the same choices.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Another origin or host name the scenario may send requests to; repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// Default timeout of one request, from send to the last body byte.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub request_timeout: Duration,

    /// Longest a guest may compute without calling the host before it is interrupted.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub task_timeout: Duration,

    /// Closed-model stages `DURATION:USERS[:SPAWN_RATE]`, comma-separated, e.g.
    /// `30s:10:2,1m:50:5,30s:0`; without a spawn rate a stage ramps evenly over its duration.
    #[arg(long, value_parser = parse_stages_arg, conflicts_with_all = ["users", "rate", "rate_stages"])]
    pub stages: Option<StagesArg>,

    /// Open model: start iterations at this rate (e.g. `500/s`, `30000/m`), whether or not
    /// earlier ones finished; one iteration is one task, with no wait time.
    #[arg(long, value_parser = crate::scheduler::parse_rate_per_second)]
    pub rate: Option<f64>,

    /// Open model with ramping rates `DURATION:RATE`, comma-separated, e.g.
    /// `30s:100/s,1m:500/s,30s:0`; it starts from `--rate` (default 0).
    #[arg(long, value_parser = parse_rate_stages_arg)]
    pub rate_stages: Option<RateStagesArg>,

    /// Open model: the most users in the pool (default 1000); iterations that find them all
    /// busy are dropped. Also caps a scenario's own load shape.
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
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,

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

    /// Largest request or response body; a bigger response fails with a clear message and
    /// is never buffered past this.
    #[arg(long, value_parser = parse_size, default_value = "16MiB")]
    pub max_body: usize,

    /// Benchmarks only: run without the task timeout's epoch interruption and the memory
    /// limit, to measure what they cost.
    #[arg(long, hide = true)]
    pub no_budgets: bool,

    /// Exit code when some requests failed (0 makes failures not fail the run); default 1,
    /// or 0 when thresholds are given (they decide).
    #[arg(long)]
    pub exit_code_on_error: Option<u8>,

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

    /// Serve a live dashboard (charts, tables, start/stop/user-count controls), by default on
    /// 127.0.0.1:8089; without `--run-time` the run waits for Start.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8089")]
    pub web: Option<std::net::SocketAddr>,

    /// Serve Prometheus metrics at http://ADDR/metrics during the run, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub prometheus: Option<std::net::SocketAddr>,

    /// Keep serving `/metrics` this long after the run, for a last scrape.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub prometheus_linger: Duration,

    /// No live progress view while the run goes on.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// The value of `--stages`.
#[derive(Debug, Clone, PartialEq)]
pub struct StagesArg(pub Vec<Stage>);

/// The value of `--rate-stages`.
#[derive(Debug, Clone, PartialEq)]
pub struct RateStagesArg(pub Vec<RateStage>);

fn parse_stages_arg(text: &str) -> Result<StagesArg, String> {
    crate::scheduler::parse_stages(text).map(StagesArg)
}

fn parse_rate_stages_arg(text: &str) -> Result<RateStagesArg, String> {
    crate::scheduler::parse_rate_stages(text).map(RateStagesArg)
}

impl Default for LoadArgs {
    /// The options as if no flag were given, with the same defaults as the command line.
    fn default() -> Self {
        use clap::{FromArgMatches, Parser};
        #[derive(Parser)]
        struct Bare {
            #[command(flatten)]
            load: LoadArgs,
        }
        let matches = <Bare as clap::CommandFactory>::command().get_matches_from(["wasmload"]);
        Bare::from_arg_matches(&matches)
            .map(|bare| bare.load)
            .expect("every load option has a default or is optional")
    }
}

/// Parses a human duration such as `30s`, `1m30s` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|err| format!("`{text}` is not a duration like 30s, 5m or 1h ({err})"))?;
    Ok(duration)
}

/// Parses a size such as `16MiB`, `64MB` or `1048576` (bytes), at least 64 KiB.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let size: bytesize::ByteSize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 16MiB or 64MB"))?;
    let bytes = usize::try_from(size.as_u64()).map_err(|_| format!("`{text}` is too large"))?;
    if bytes < 64 << 10 {
        return Err(format!("`{text}` is too small: at least 64KiB"));
    }
    Ok(bytes)
}

/// Parses a positive, finite rate such as `50` or `0.5`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

/// Parses `KEY=VALUE`; the key must be non-empty.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_human_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("64MB"), Ok(64_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "16 parsecs", "-1MiB", "1KiB"] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rates_must_be_positive_and_finite() {
        assert_eq!(parse_rate("50"), Ok(50.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        for bad in ["0", "-1", "abc", "inf", "NaN"] {
            assert!(parse_rate(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn key_values_split_on_the_first_equals() {
        assert_eq!(
            parse_key_value("TOKEN=a=b"),
            Ok(("TOKEN".to_string(), "a=b".to_string()))
        );
        assert_eq!(
            parse_key_value("EMPTY="),
            Ok(("EMPTY".into(), String::new()))
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }

    #[test]
    fn users_must_be_at_least_one() {
        assert!(Cli::try_parse_from(["wasmload", "demo", "--users", "0"]).is_err());
        assert!(Cli::try_parse_from(["wasmload", "demo", "--users", "-1"]).is_err());
        assert!(Cli::try_parse_from(["wasmload", "demo", "--users", "3"]).is_ok());
    }

    #[test]
    fn default_load_args_match_the_command_line_defaults() {
        let defaults = LoadArgs::default();
        assert_eq!(defaults.request_timeout, Duration::from_secs(60));
        assert_eq!(defaults.stop_timeout, Duration::from_secs(30));
        assert_eq!(defaults.exit_code_on_error, None);
        assert_eq!(defaults.users, None);
    }

    #[test]
    fn several_weighted_scenarios_parse() {
        let cli = Cli::try_parse_from([
            "wasmload", "run", "a.wasm:3", "b.wasm", "--host", "http://h",
        ])
        .expect("valid");
        let Command::Run(args) = cli.command else {
            panic!("not a run");
        };
        assert_eq!(
            args.scenarios,
            [(PathBuf::from("a.wasm"), 3), (PathBuf::from("b.wasm"), 1)]
        );
    }

    #[test]
    fn stages_conflict_with_users_and_rates() {
        let run = |extra: &[&str]| {
            let mut args = vec!["wasmload", "run", "a.wasm", "--host", "http://h"];
            args.extend_from_slice(extra);
            Cli::try_parse_from(args)
        };
        assert!(run(&["--stages", "10s:5"]).is_ok());
        assert!(run(&["--stages", "10s:5", "--users", "3"]).is_err());
        assert!(run(&["--stages", "10s:5", "--rate", "5/s"]).is_err());
        assert!(run(&["--rate", "5/s", "--users", "3"]).is_ok());
        assert!(run(&["--stages", "10s"]).is_err());
    }

    #[test]
    fn the_benchmark_switch_is_accepted_but_not_advertised() {
        let cli = Cli::try_parse_from(["wasmload", "demo", "--no-budgets"]).expect("valid");
        let Command::Demo(args) = cli.command else {
            panic!("not a demo");
        };
        assert!(args.load.no_budgets);
        let mut command = <Cli as clap::CommandFactory>::command();
        let help = command
            .find_subcommand_mut("run")
            .expect("the run subcommand")
            .render_help()
            .to_string();
        assert!(help.contains("--vu-memory") && !help.contains("--no-budgets"));
    }

    #[test]
    fn run_requires_a_host() {
        assert!(Cli::try_parse_from(["wasmload", "run", "x.wasm"]).is_err());
        assert!(Cli::try_parse_from(["wasmload", "run", "x.wasm", "--host", "http://h"]).is_ok());
    }
}
