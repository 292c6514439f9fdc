//! `wasmload run … --processes N`: the run split over N worker processes of this machine,
//! each a shard (`--shard I/N`) of a coordinator in this process, with a secret drawn for
//! the run; the user sees one run and one report.

use std::ffi::OsString;
use std::process::Stdio;

use anyhow::anyhow;
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{CoordinateOptions, Coordinator};
use crate::error::{Failure, EXIT_BAD_INPUT, EXIT_SCENARIO_ERROR};
use crate::plan::args::{without_flags, FlagSpec};
use crate::shard_link::wire::SECRET_ENV;

/// How long workers may take to exit after the run's report.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Flags of `run` that belong to the whole run, not to a worker: its files and views, and
/// the abort watcher, which the coordinator keeps. Each with whether it takes a value.
const WHOLE_RUN_FLAGS: [FlagSpec; 14] = [
    ("--processes", true),
    ("--prometheus", true),
    ("--web-auth", true),
    ("--web", false),
    ("--json", true),
    ("--csv", true),
    ("--html", true),
    ("--junit", true),
    ("--abort-on-fail", false),
    ("--abort-grace", true),
    ("--quiet", false),
    ("-q", false),
    ("--prometheus-linger", true),
    ("--exit-code-on-error", true),
];

/// Whether `args` give `--run-id`.
fn names_a_run_id(args: &[OsString]) -> bool {
    args.iter()
        .filter_map(|arg| arg.to_str())
        .any(|arg| arg == "--run-id" || arg.starts_with("--run-id="))
}

/// Runs the worker processes for `args` (this process's `run` arguments, without the
/// program) under a coordinator made with `options`; returns the whole run's exit code.
pub async fn run_in_processes(
    args: &[OsString],
    seed: Option<u64>,
    options: CoordinateOptions,
) -> Result<u8, Failure> {
    let coordinator = Coordinator::listen(&options).await?;
    let program = std::env::current_exe()
        .map_err(|err| Failure::from(anyhow!("cannot find wasmload's own program: {err}")))?;
    let mut worker_args = worker_arguments(args);
    if seed.is_none() {
        worker_args.push("--seed".into());
        worker_args.push(rand_seed().to_string().into());
    }
    if !names_a_run_id(args) {
        worker_args.push("--run-id".into());
        worker_args.push(format!("local-{:016x}", rand_seed()).into());
    }
    let (failures, mut failed) = mpsc::unbounded_channel();
    let mut workers = JoinSet::new();
    for index in 0..options.shards {
        let mut command = Command::new(&program);
        command
            .args(&worker_args)
            .arg("--shard")
            .arg(format!("{index}/{}", options.shards))
            .arg("--coordinator")
            .arg(format!("http://{}", coordinator.addr))
            .arg("--quiet")
            .env(SECRET_ENV, &options.secret)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(|err| Failure::from(anyhow!("cannot start worker process {index}: {err}")))?;
        let failures = failures.clone();
        workers.spawn(async move {
            let Ok(output) = child.wait_with_output().await else {
                return;
            };
            let code = output.status.code();
            if !matches!(code, Some(0 | 1 | 4)) {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let _ = failures.send(worker_failure(index, code, &stderr));
            }
        });
    }
    drop(failures);
    tracing::info!("{} worker processes started", options.shards);
    let gave_up = async {
        match failed.recv().await {
            Some(failure) => failure,
            None => std::future::pending().await,
        }
    };
    let code = coordinator.run(&options, gave_up).await;
    // Workers end right after their last word; one the coordinator lost may still run.
    let ended = async { while workers.join_next().await.is_some() {} };
    if tokio::time::timeout(WORKER_GRACE, ended).await.is_err() {
        tracing::warn!("stopping the worker processes still running");
        workers.shutdown().await;
    }
    // What workers stopped by a limit of the machine during the run said (memory that ran
    // low); a run that never started has said why already.
    if code.is_ok() {
        while let Ok(failure) = failed.try_recv() {
            if failure.exit_code() == EXIT_BAD_INPUT {
                tracing::error!("{failure}");
            }
        }
    }
    code
}

/// This process's arguments for a worker: without the whole run's flags (and the address
/// `--web` may take).
fn worker_arguments(args: &[OsString]) -> Vec<OsString> {
    let (kept, removed) = without_flags(args, &WHOLE_RUN_FLAGS);
    if !removed.iter().any(|(flag, _)| *flag == "--web") {
        return kept;
    }
    let mut kept = kept;
    let web_at = args.iter().position(|arg| arg == "--web");
    let address = web_at.and_then(|at| args.get(at + 1));
    if let Some(address) =
        address.filter(|a| a.to_string_lossy().parse::<std::net::SocketAddr>().is_ok())
    {
        if let Some(at) = kept.iter().position(|arg| arg == address) {
            kept.remove(at);
        }
    }
    kept
}

/// The line a worker stopped for lack of memory logs starts so.
const MEMORY_RAN_LOW: &str = "memory ran low: ";

/// Why worker `index` failed, from its exit `code` and what it wrote to stderr: that its
/// memory ran low (without the log's time and level), or else its last line.
fn worker_failure(index: u32, code: Option<i32>, stderr: &str) -> Failure {
    let mut lines = stderr.lines().rev().map(str::trim);
    let memory = lines
        .clone()
        .find_map(|line| line.find(MEMORY_RAN_LOW).map(|at| &line[at..]));
    let said = memory
        .or_else(|| lines.find(|line| !line.is_empty()))
        .unwrap_or("(it said nothing)");
    let error = anyhow!("worker process {index} failed: {said}");
    match code.and_then(|code| u8::try_from(code).ok()) {
        Some(EXIT_BAD_INPUT) => Failure::BadInput(error),
        Some(EXIT_SCENARIO_ERROR) => Failure::Scenario(error),
        _ => Failure::Internal(error),
    }
}

/// A seed for a run that was given none: every worker must use the same.
fn rand_seed() -> u64 {
    use rand::TryRngCore as _;
    rand::rngs::OsRng.try_next_u64().unwrap_or(0x5eed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_keep_the_load_and_leave_the_whole_runs_files_and_views() {
        let args: Vec<OsString> = [
            "run",
            "s.wasm",
            "--host",
            "http://x",
            "--processes",
            "4",
            "--json=out.json",
            "--csv",
            "p",
            "-u",
            "10",
            "--abort-on-fail",
            "--threshold",
            "p95<1s",
            "-q",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let kept: Vec<String> = worker_arguments(&args)
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            kept,
            [
                "run",
                "s.wasm",
                "--host",
                "http://x",
                "-u",
                "10",
                "--threshold",
                "p95<1s"
            ]
        );
    }

    #[test]
    fn a_failed_worker_is_known_by_its_memory_running_low_or_its_last_line() {
        let stderr = "2026-12-03T23:19:36Z ERROR memory ran low: 1.1 GiB left\n\
                      2026-12-03T23:19:36Z ERROR a guest's own error\n\
                      2026-12-03T23:19:36Z  INFO stopping (memory ran low)\n";
        let failure = worker_failure(1, Some(2), stderr);
        assert_eq!(
            failure.to_string(),
            "worker process 1 failed: memory ran low: 1.1 GiB left"
        );
        assert_eq!(failure.exit_code(), EXIT_BAD_INPUT);
        let plain = worker_failure(0, Some(3), "error: cannot read x.wasm\n\n");
        assert_eq!(
            plain.to_string(),
            "worker process 0 failed: error: cannot read x.wasm"
        );
    }
}
