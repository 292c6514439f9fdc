//! wasmload: a load tester whose virtual users are sandboxed WebAssembly components.
//!
//! Each scenario is a component built against the `wasmload:scenario` WIT contract. The host
//! runs one instance per virtual user, brokers every HTTP call through one shared client, and
//! records every request in HDR histograms. [`main_with_args`] is the whole CLI.

pub mod bindings;
pub mod broker;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod error;
pub mod inspect;
pub mod merge;
pub mod metrics;
pub mod plan;
pub mod report;
pub mod run;
pub mod scaffold;
pub mod scenario_build;
pub mod scheduler;
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_name("wasmload-users")
        .enable_all()
        .build()
    {
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
            let config = RunConfig::resolve(&args.host, &options, &plan, RUN_DEFAULTS)
                .map_err(Failure::bad_input)?;
            run::run_scenarios(&args.scenarios, config).await?
        }
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
