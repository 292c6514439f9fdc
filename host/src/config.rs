//! The resolved configuration of one run: flags turned into checked values with defaults applied.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use url::Url;

use crate::cli::LoadArgs;
use crate::plan_file::PlanFile;
use crate::scheduler::{OpenPlan, RateSchedule, Shape, Step};

/// Users in an arrival-rate pool, or under a scenario's own shape, when `--max-users` is
/// not given.
pub const DEFAULT_MAX_USERS: u32 = 1000;
/// Users started before the first arrival-rate iteration when `--users` is not given: at
/// least this many, and one per `ITERATIONS_PER_PRE_ALLOCATED_USER` iterations/s of the peak.
const MIN_PRE_ALLOCATED: u32 = 10;
/// See [`MIN_PRE_ALLOCATED`].
const ITERATIONS_PER_PRE_ALLOCATED_USER: f64 = 100.0;

/// How the run drives its users.
#[derive(Debug, Clone)]
pub enum LoadModel {
    /// Closed model: a fixed or staged number of users. `from_flags` tells whether the shape
    /// was asked for (stages), so a scenario's own shape does not replace it.
    Closed {
        /// The host-computed shape.
        shape: Shape,
        /// True when `--stages` (or plan-file stages) set the shape.
        from_flags: bool,
    },
    /// Open model: iterations at a rate.
    Open(OpenPlan),
}

/// Everything the scheduler and the virtual users need to know about a run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The base URL relative paths are joined to.
    pub host: Url,
    /// Extra hosts or origins the guest may reach.
    pub allow_hosts: Vec<String>,
    /// Concurrent users of a fixed closed-model run (the report's target).
    pub users: u32,
    /// Closed or open model, and its shape.
    pub model: LoadModel,
    /// The most users alive at once, to size the engine.
    pub max_users: u32,
    /// Run length, if bounded by time.
    pub run_time: Option<Duration>,
    /// Total tasks, if bounded by count.
    pub iterations: Option<u64>,
    /// Grace period for users to finish after a stop.
    pub stop_timeout: Duration,
    /// Parameters from `--env`.
    pub env: HashMap<String, String>,
    /// Seed of the per-user random generators.
    pub seed: u64,
    /// Default per-request timeout.
    pub request_timeout: Duration,
    /// Longest stretch of guest computation without a host call.
    pub task_timeout: Duration,
    /// Linear memory each user may grow to, in bytes.
    pub vu_memory: usize,
    /// Largest request or response body, in bytes.
    pub max_body: usize,
    /// Whether the task timeout and memory limit apply (`--no-budgets` turns them off).
    pub budgets: bool,
    /// Exit code for a run with failed requests.
    pub exit_code_on_error: u8,
    /// Pass/fail gates, as given.
    pub thresholds: Vec<String>,
    /// Whether a failed threshold stops the run early.
    pub abort_on_fail: bool,
    /// How long the run goes before thresholds may abort it.
    pub abort_grace: Duration,
    /// Files and views asked for.
    pub outputs: Outputs,
}

/// What the run writes and shows besides the console report.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// `--csv PREFIX`.
    pub csv: Option<std::path::PathBuf>,
    /// `--json FILE`.
    pub json: Option<std::path::PathBuf>,
    /// `--html FILE`.
    pub html: Option<std::path::PathBuf>,
    /// `--quiet`: no live view.
    pub quiet: bool,
    /// `--web ADDR`.
    pub web: Option<std::net::SocketAddr>,
    /// `--prometheus ADDR`.
    pub prometheus: Option<std::net::SocketAddr>,
    /// `--prometheus-linger`.
    pub prometheus_linger: Duration,
}

/// Defaults that differ between `run` and `demo`.
#[derive(Debug, Clone, Copy)]
pub struct LoadDefaults {
    /// Users when `--users` is absent.
    pub users: u32,
    /// Spawn rate when `--spawn-rate` is absent (`None`: all users within one second).
    pub spawn_rate: Option<f64>,
    /// Run time when neither `--run-time` nor `--iterations` is given.
    pub run_time: Option<Duration>,
}

impl RunConfig {
    /// Resolves the flags of a run against `host`, applying `defaults` and the plan file
    /// (which flags override).
    pub fn resolve(host: &str, load: &LoadArgs, defaults: LoadDefaults) -> anyhow::Result<Self> {
        let host = parse_host(host)?;
        let plan = match &load.plan {
            Some(path) => PlanFile::read(path)?,
            None => PlanFile::default(),
        };
        let users = load.users.or(plan.users).unwrap_or(defaults.users);
        let spawn_rate = load
            .spawn_rate
            .or(plan.spawn_rate)
            .or(defaults.spawn_rate)
            .unwrap_or(f64::from(users));
        let plan_run_time = plan.run_time()?;
        let run_time = match (load.run_time.or(plan_run_time), load.iterations) {
            (None, None) => defaults.run_time,
            (run_time, _) => run_time,
        };
        let max_users = load.max_users.or(plan.max_users);
        let model = resolve_model(load, &plan, users, spawn_rate, max_users)?;
        let max_users = match &model {
            LoadModel::Closed { shape, from_flags } if *from_flags => shape.peak_users(),
            LoadModel::Closed { .. } => max_users.unwrap_or(DEFAULT_MAX_USERS).max(users),
            LoadModel::Open(open) => open.max_users,
        };
        let mut thresholds = plan.thresholds.clone();
        thresholds.extend(load.thresholds.iter().cloned());
        let exit_code_on_error = load.exit_code_on_error.unwrap_or(if thresholds.is_empty() {
            crate::error::EXIT_REQUEST_FAILURES
        } else {
            crate::error::EXIT_OK
        });
        Ok(Self {
            host,
            allow_hosts: load.allow_hosts.clone(),
            users,
            model,
            max_users: max_users.max(1),
            run_time,
            iterations: load.iterations,
            stop_timeout: load.stop_timeout,
            env: load.env.iter().cloned().collect(),
            seed: load.seed.unwrap_or_else(fresh_seed),
            request_timeout: load.request_timeout,
            task_timeout: load.task_timeout,
            vu_memory: load.vu_memory,
            max_body: load.max_body,
            budgets: !load.no_budgets,
            exit_code_on_error,
            thresholds,
            abort_on_fail: load.abort_on_fail || plan.abort_on_fail.unwrap_or(false),
            abort_grace: load.abort_grace,
            outputs: Outputs {
                csv: load.csv.clone(),
                json: load.json.clone(),
                html: load.html.clone(),
                quiet: load.quiet,
                web: load.web,
                prometheus: load.prometheus,
                prometheus_linger: load.prometheus_linger,
            },
        })
    }
}

/// Picks the model: `--rate`/`--rate-stages` make it open, `--stages` staged, else fixed.
fn resolve_model(
    load: &LoadArgs,
    plan: &PlanFile,
    users: u32,
    spawn_rate: f64,
    max_users: Option<u32>,
) -> anyhow::Result<LoadModel> {
    let rate = match load.rate {
        Some(rate) => Some(rate),
        None => plan
            .rate
            .as_deref()
            .map(crate::scheduler::parse_rate_per_second)
            .transpose()
            .map_err(|err| anyhow::anyhow!("plan file: {err}"))?,
    };
    let rate_stages = match &load.rate_stages {
        Some(stages) => stages.0.clone(),
        None => plan.rate_stages()?,
    };
    let stages = match &load.stages {
        Some(stages) => stages.0.clone(),
        None if load.rate.is_some() || load.rate_stages.is_some() => Vec::new(),
        None => plan.stages()?,
    };
    if rate.is_some() || !rate_stages.is_empty() {
        if !stages.is_empty() {
            bail!("stages (closed model) and a rate (open model) cannot be combined");
        }
        let schedule = if rate_stages.is_empty() {
            RateSchedule::constant(rate.unwrap_or(0.0))
        } else {
            RateSchedule::ramping(rate.unwrap_or(0.0), rate_stages)
        };
        if schedule.peak_rate() <= 0.0 {
            bail!("the arrival rate must be above 0");
        }
        let max_users = max_users.unwrap_or(DEFAULT_MAX_USERS);
        let by_rate = (schedule.peak_rate() / ITERATIONS_PER_PRE_ALLOCATED_USER).ceil() as u32;
        let pre_allocated = load
            .users
            .or(plan.users)
            .unwrap_or(by_rate.max(MIN_PRE_ALLOCATED))
            .min(max_users);
        return Ok(LoadModel::Open(OpenPlan {
            schedule,
            max_users,
            pre_allocated,
            max_queue: load.max_queue.or(plan.max_queue).unwrap_or(0),
        }));
    }
    if !stages.is_empty() {
        return Ok(LoadModel::Closed {
            shape: Shape::Stages(stages),
            from_flags: true,
        });
    }
    Ok(LoadModel::Closed {
        shape: Shape::Fixed(Step { users, spawn_rate }),
        from_flags: false,
    })
}

/// A seed that differs between runs, from the process's randomly keyed hasher.
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// Parses `--host`: an absolute `http` or `https` URL.
pub fn parse_host(text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text)
        .with_context(|| format!("--host `{text}` is not a URL like http://127.0.0.1:8000"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("--host `{text}` must be an http:// or https:// URL with a host name");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> LoadDefaults {
        LoadDefaults {
            users: 1,
            spawn_rate: None,
            run_time: None,
        }
    }

    #[test]
    fn host_must_be_an_http_url() {
        assert!(parse_host("http://127.0.0.1:8000").is_ok());
        assert!(parse_host("https://api.example").is_ok());
        assert!(parse_host("ftp://x").is_err());
        assert!(parse_host("127.0.0.1:8000").is_err());
        assert!(parse_host("not a url").is_err());
    }

    #[test]
    fn spawn_rate_defaults_to_all_users_in_one_second() {
        let load = LoadArgs {
            users: Some(40),
            ..LoadArgs::default()
        };
        let config = RunConfig::resolve("http://h", &load, defaults()).expect("valid");
        let LoadModel::Closed { shape, from_flags } = config.model else {
            panic!("closed model expected");
        };
        assert!(!from_flags);
        assert_eq!(
            shape,
            Shape::Fixed(Step {
                users: 40,
                spawn_rate: 40.0
            })
        );
    }

    #[test]
    fn a_rate_makes_the_run_open_with_a_bounded_pool() {
        let load = LoadArgs {
            rate: Some(200.0),
            max_users: Some(50),
            users: Some(80),
            ..LoadArgs::default()
        };
        let config = RunConfig::resolve("http://h", &load, defaults()).expect("valid");
        let LoadModel::Open(open) = config.model else {
            panic!("open model expected");
        };
        assert_eq!(open.max_users, 50);
        assert_eq!(open.pre_allocated, 50);
        assert_eq!(open.max_queue, 0);
        assert_eq!(config.max_users, 50);
    }

    #[test]
    fn thresholds_make_request_failures_no_longer_fail_the_run_by_themselves() {
        let gated = LoadArgs {
            thresholds: vec!["error_rate<1%".into()],
            ..LoadArgs::default()
        };
        let config = RunConfig::resolve("http://h", &gated, defaults()).expect("valid");
        assert_eq!(config.exit_code_on_error, 0);
        let plain =
            RunConfig::resolve("http://h", &LoadArgs::default(), defaults()).expect("valid");
        assert_eq!(plain.exit_code_on_error, 1);
    }

    #[test]
    fn iterations_alone_leave_the_run_unbounded_in_time() {
        let load = LoadArgs {
            iterations: Some(10),
            ..LoadArgs::default()
        };
        let demo = LoadDefaults {
            run_time: Some(Duration::from_secs(30)),
            ..defaults()
        };
        let config = RunConfig::resolve("http://h", &load, demo).expect("valid");
        assert_eq!(config.run_time, None);
        assert_eq!(config.iterations, Some(10));
    }

    #[test]
    fn an_explicit_seed_is_kept() {
        let load = LoadArgs {
            seed: Some(7),
            ..LoadArgs::default()
        };
        let config = RunConfig::resolve("http://h", &load, defaults()).expect("valid");
        assert_eq!(config.seed, 7);
    }
}
