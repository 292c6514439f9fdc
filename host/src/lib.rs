//! wasmload: a load tester whose virtual users are sandboxed WebAssembly components.
//!
//! Each scenario is a component built against the `wasmload:scenario` WIT contract. The host
//! runs one instance per virtual user, brokers every HTTP call through one shared client, and
//! records every request in HDR histograms. [`main_with_args`] is the whole CLI.

pub mod bindings;
pub mod broker;
pub mod cache;
pub mod cli;
pub mod config;
pub mod coordinate;
pub mod data;
pub mod demo;
pub mod engine;
pub mod error;
pub mod in_place;
pub mod inspect;
pub mod k8s;
pub mod merge;
pub mod metrics;
pub mod plan;
pub mod report;
pub mod run;
pub mod scaffold;
pub mod scenario_build;
pub mod scheduler;
pub mod shard_link;
pub mod thresholds;
pub mod vu;
pub mod web;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod test_support;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::{LoadDefaults, LoadOptions, RunConfig};
use crate::error::Failure;
use crate::plan::PlanFile;

/// Defaults of `wasmload run`: one user, all at once, until stopped.
const RUN_DEFAULTS: LoadDefaults = LoadDefaults {
    users: 1,
    spawn_rate: None,
    run_time: None,
};

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main_with_args() -> u8 {
    let args: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) if err.use_stderr() => {
            eprintln!("{}", cli::usage_error(&err, &args));
            return error::EXIT_BAD_INPUT;
        }
        Err(err) => {
            let _ = err.print();
            return error::EXIT_OK;
        }
    };
    init_logging(&cli.log_level);
    broker::start_network(cli.io_threads);
    // A coordinator parses and adds its shards' seconds on one thread: no thread hand-offs
    // for every call of every shard.
    let mut builder = match cli.command {
        Command::Coordinate(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.thread_name("wasmload-users").enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return error::EXIT_SCENARIO_ERROR;
        }
    };
    match runtime.block_on(execute(cli.command)) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

async fn execute(command: Command) -> Result<u8, Failure> {
    let finished = match command {
        Command::Run(args) => {
            let plan = read_plan(args.load.plan.as_deref())?;
            let options = LoadOptions::from(args.load);
            let mut config =
                RunConfig::resolve(args.host.as_deref(), &options, &plan, RUN_DEFAULTS)
                    .map_err(Failure::bad_input)?;
            let processes = args.processes.or_else(|| {
                let whole = config.shard.is_whole() && args.coordinator.is_none();
                let holds = run::users_one_process_holds().filter(|_| whole)?;
                processes_needed(config.max_users(), holds)
            });
            if let Some(processes) = processes.filter(|&n| n > 1) {
                return run_in_processes(processes, options.seed, &config).await;
            }
            config.coordinator = args.coordinator;
            run::run_scenarios(&args.scenarios, config).await?
        }
        Command::Coordinate(args) => {
            return coordinate::coordinate(&coordinate_options(args)?).await
        }
        Command::K8s(cli::K8sArgs {
            command: cli::K8sCommand::Render(args),
        }) => return render_manifests(args).await,
        Command::Demo(args) => {
            let plan = read_plan(args.load.plan.as_deref())?;
            demo::run_demo(&LoadOptions::from(args.load), &plan).await?
        }
        Command::Inspect(args) => return inspect::inspect(&args.scenario, &args.libraries).await,
        Command::Merge(args) => {
            return merge::merge(&merge::MergeOptions {
                summaries: args.summaries,
                thresholds: args.thresholds,
                exit_code_on_error: args.exit_code_on_error,
                outputs: config::Outputs {
                    csv: args.files.csv,
                    json: args.files.json,
                    html: args.files.html,
                    junit: args.files.junit,
                    ..config::Outputs::default()
                },
            })
        }
        Command::New(args) => {
            return scaffold::new_crate(args.kind, &args.dir, args.sdk.as_deref())
        }
    };
    Ok(finished.exit_code)
}

/// Worker processes for `users` when one process cannot hold them (it `holds` about that
/// many, by the kernel's cap on memory mappings), with a line saying so; `None` when one
/// process will do.
fn processes_needed(users: u32, holds: u64) -> Option<u32> {
    // A tenth to spare: the estimate is made before a user is measured.
    let per_process = (holds - holds / 10).max(1);
    if u64::from(users) <= per_process {
        return None;
    }
    let processes = u32::try_from(u64::from(users).div_ceil(per_process)).ok()?;
    tracing::info!(
        "{users} users are more than one process holds (about {holds}): running {processes} worker processes (--processes {processes})"
    );
    Some(processes)
}

/// `run --processes N`: the run in N local worker processes under a coordinator here.
async fn run_in_processes(
    processes: u32,
    seed: Option<u64>,
    config: &RunConfig,
) -> Result<u8, Failure> {
    let options = coordinate::CoordinateOptions {
        shards: processes,
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        secret: shard_link::wire::new_secret().map_err(Failure::from)?,
        ready_timeout: std::time::Duration::from_secs(300),
        shard_timeout: std::time::Duration::from_secs(15),
        thresholds: Vec::new(),
        abort_on_fail: config.abort_on_fail,
        abort_grace: config.abort_grace,
        exit_code_on_error: Some(config.exit_code_on_error),
        outputs: config.outputs.clone(),
    };
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    coordinate::local::run_in_processes(&args, seed, options).await
}

/// What `wasmload coordinate` was asked for; without a secret, one is drawn and printed.
fn coordinate_options(args: cli::CoordinateArgs) -> Result<coordinate::CoordinateOptions, Failure> {
    let secret = match args.secret {
        Some(secret) if !secret.is_empty() => secret,
        _ => {
            let secret = shard_link::wire::new_secret().map_err(Failure::from)?;
            eprintln!(
                "the run's secret (give it to every shard as {}): {secret}",
                shard_link::wire::SECRET_ENV
            );
            secret
        }
    };
    Ok(coordinate::CoordinateOptions {
        shards: args.shards,
        listen: args.listen,
        secret,
        ready_timeout: args.ready_timeout,
        shard_timeout: args.shard_timeout,
        thresholds: args.thresholds,
        abort_on_fail: args.abort_on_fail,
        abort_grace: args.abort_grace,
        exit_code_on_error: args.exit_code_on_error,
        outputs: args.views.into(),
    })
}

/// `wasmload k8s render`: the manifests on stdout.
async fn render_manifests(args: cli::RenderArgs) -> Result<u8, Failure> {
    if args.load.shard.is_some() {
        return Err(Failure::bad_input(anyhow::anyhow!(
            "k8s render gives each pod its shard: leave --shard out, give --shards N"
        )));
    }
    let plan = read_plan(args.load.plan.as_deref())?;
    let load = LoadOptions::from(args.load.clone());
    let mut config = RunConfig::resolve(args.host.as_deref(), &load, &plan, RUN_DEFAULTS)
        .map_err(Failure::bad_input)?;
    run::settle_host(&args.scenarios, &mut config).await?;
    let mut coordinator_flags = vec![
        "--abort-grace".to_string(),
        format!("{}ms", config.abort_grace.as_millis()),
    ];
    if config.abort_on_fail {
        coordinator_flags.push("--abort-on-fail".to_string());
    }
    if let Some(code) = args.load.exit_code_on_error {
        coordinator_flags.extend(["--exit-code-on-error".to_string(), code.to_string()]);
    }
    let raw: Vec<std::ffi::OsString> = std::env::args_os()
        .skip_while(|arg| arg != "render")
        .skip(1)
        .collect();
    let yaml = k8s::render(&k8s::RenderOptions {
        scenarios: args.scenarios,
        host: config.host.to_string(),
        shards: args.shards,
        image: args.image,
        name: args.name,
        namespace: args.namespace,
        ttl: args.ttl,
        seed: args.load.seed,
        libraries: args.load.libraries,
        plan: args.load.plan,
        data: config.data.clone(),
        max_users: config.max_users(),
        coordinator_flags,
        args: raw,
    })?;
    print!("{yaml}");
    Ok(error::EXIT_OK)
}

/// The `--plan` file, or an empty plan without one.
fn read_plan(path: Option<&std::path::Path>) -> Result<PlanFile, Failure> {
    path.map_or_else(|| Ok(PlanFile::default()), PlanFile::read)
        .map_err(Failure::bad_input)
}

fn init_logging(level: &str) {
    let level = level.parse().unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn more_users_than_one_process_holds_get_enough_worker_processes() {
        assert_eq!(super::processes_needed(9_000, 10_000), None);
        assert_eq!(super::processes_needed(9_001, 10_000), Some(2));
        assert_eq!(super::processes_needed(100_000, 10_000), Some(12));
    }
}
