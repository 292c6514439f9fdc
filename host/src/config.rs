//! The resolved configuration of one run: the options the user gave, a plan file that was
//! already read, and the defaults, turned into checked values and into the options each room
//! of the host takes (broker, engine, users).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail};
use url::Url;

use crate::broker::{
    BrokerOptions, TlsOptions, DEFAULT_MAX_BODY, DEFAULT_MAX_REDIRECTS, DEFAULT_REQUEST_TIMEOUT,
};
use crate::engine::{EngineOptions, Needs};
use crate::error::{EXIT_OK, EXIT_REQUEST_FAILURES};
use crate::metrics::DEFAULT_MAX_ROWS;
use crate::plan::{
    parse_host, parse_rate_per_second, ConnectionMode, HttpVersion, LoadModel, OpenPlan, PlanFile,
    RateSchedule, RateStage, ResolveEntry, Shape, Shard, Stage, Step, Threshold,
};
use crate::vu::{VuOptions, DEFAULT_TASK_TIMEOUT, DEFAULT_VU_MEMORY};

/// Users in an arrival-rate pool, or under a scenario's own shape, when `--max-users` is
/// not given.
pub const DEFAULT_MAX_USERS: u32 = 1000;
/// `--stop-timeout` when not given.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// `--abort-grace` when not given.
pub const DEFAULT_ABORT_GRACE: Duration = Duration::from_secs(10);
/// Users started before the first arrival-rate iteration when `--users` is not given: at
/// least this many, and one per `ITERATIONS_PER_PRE_ALLOCATED_USER` iterations/s of the peak.
const MIN_PRE_ALLOCATED: u32 = 10;
/// See [`MIN_PRE_ALLOCATED`].
const ITERATIONS_PER_PRE_ALLOCATED_USER: f64 = 100.0;

/// The load and run options as the user gave them; `None` and empty mean "not given", so the
/// plan file or the defaults decide. The command line builds one, and so can a test.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// `--users`.
    pub users: Option<u32>,
    /// `--spawn-rate`.
    pub spawn_rate: Option<f64>,
    /// `--run-time`.
    pub run_time: Option<Duration>,
    /// `--iterations`.
    pub iterations: Option<u64>,
    /// `--stop-timeout`.
    pub stop_timeout: Duration,
    /// `--env KEY=VALUE`, in order.
    pub env: Vec<(String, String)>,
    /// `--data NAME=FILE`, in order.
    pub data: Vec<(String, PathBuf)>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--shard`: which part of the run this process makes.
    pub shard: Shard,
    /// `--run-id`.
    pub run_id: Option<String>,
    /// `--allow-host`.
    pub allow_hosts: Vec<String>,
    /// `--lib`, in order.
    pub libraries: Vec<PathBuf>,
    /// `--request-timeout`.
    pub request_timeout: Duration,
    /// `--task-timeout`.
    pub task_timeout: Duration,
    /// `--stages`.
    pub stages: Option<Vec<Stage>>,
    /// `--rate`, in iterations per second.
    pub rate: Option<f64>,
    /// `--rate-stages`.
    pub rate_stages: Option<Vec<RateStage>>,
    /// `--max-users`.
    pub max_users: Option<u32>,
    /// `--max-queue`.
    pub max_queue: Option<usize>,
    /// `--threshold`, in order.
    pub thresholds: Vec<Threshold>,
    /// `--abort-on-fail`.
    pub abort_on_fail: bool,
    /// `--abort-grace`.
    pub abort_grace: Duration,
    /// `--vu-memory`, in bytes.
    pub vu_memory: usize,
    /// `--max-body`, in bytes.
    pub max_body: usize,
    /// `--no-budgets`.
    pub no_budgets: bool,
    /// `--vu-cpu`: a share of one core.
    pub vu_cpu: Option<f64>,
    /// `--exit-code-on-error`.
    pub exit_code_on_error: Option<u8>,
    /// `--max-rows`.
    pub max_rows: usize,
    /// `--min-free-memory`.
    pub min_free_memory: Option<u64>,
    /// The network: connections, TLS, proxy, name overrides.
    pub network: NetworkOptions,
    /// The files and views asked for.
    pub outputs: Outputs,
}

/// How requests reach the target: `--connections`, `--max-redirects`, `--http1`/`--http2`,
/// TLS, `--proxy` and `--resolve`.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkOptions {
    /// `--connections`.
    pub connections: ConnectionMode,
    /// `--max-redirects`.
    pub max_redirects: usize,
    /// `--http1` or `--http2`.
    pub http_version: HttpVersion,
    /// `--insecure`, `--ca-cert`, `--client-cert` and `--client-key`.
    pub tls: TlsOptions,
    /// `--proxy`.
    pub proxy: Option<Url>,
    /// `--resolve`.
    pub resolve: Vec<ResolveEntry>,
}

impl Default for NetworkOptions {
    /// Per-user connections, 10 redirects, the HTTP version ALPN picks, verified TLS, the
    /// environment's proxy.
    fn default() -> Self {
        Self {
            connections: ConnectionMode::default(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            http_version: HttpVersion::default(),
            tls: TlsOptions::default(),
            proxy: None,
            resolve: Vec::new(),
        }
    }
}

impl Default for LoadOptions {
    /// No flag given.
    fn default() -> Self {
        Self {
            users: None,
            spawn_rate: None,
            run_time: None,
            iterations: None,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            env: Vec::new(),
            data: Vec::new(),
            seed: None,
            shard: Shard::WHOLE,
            run_id: None,
            allow_hosts: Vec::new(),
            libraries: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            task_timeout: DEFAULT_TASK_TIMEOUT,
            stages: None,
            rate: None,
            rate_stages: None,
            max_users: None,
            max_queue: None,
            thresholds: Vec::new(),
            abort_on_fail: false,
            abort_grace: DEFAULT_ABORT_GRACE,
            vu_memory: DEFAULT_VU_MEMORY,
            max_body: DEFAULT_MAX_BODY,
            no_budgets: false,
            vu_cpu: None,
            exit_code_on_error: None,
            max_rows: DEFAULT_MAX_ROWS,
            min_free_memory: None,
            network: NetworkOptions::default(),
            outputs: Outputs::default(),
        }
    }
}

/// What the run writes and shows besides the console report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs {
    /// `--csv PREFIX`.
    pub csv: Option<PathBuf>,
    /// `--json FILE`.
    pub json: Option<PathBuf>,
    /// `--html FILE`.
    pub html: Option<PathBuf>,
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    /// `--quiet`: no live view.
    pub quiet: bool,
    /// `--web ADDR`.
    pub web: Option<std::net::SocketAddr>,
    /// `--web-auth USER:PASSWORD`.
    pub web_auth: Option<String>,
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

/// Where the run's host came from, as the report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSource {
    /// `--host`.
    Flag,
    /// The plan file's `host`.
    Plan,
    /// The scenario's own default (`UserSpec::host`).
    Scenario,
}

impl HostSource {
    /// How the report names it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Flag => "--host",
            Self::Plan => "the plan's host",
            Self::Scenario => "the scenario's default host",
        }
    }
}

/// The host a run without one has until its scenarios name theirs (never sent to).
const HOST_NOT_YET_KNOWN: &str = "http://host-not-given.invalid/";

/// Everything a run needs to know, resolved and checked.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The base URL relative paths are joined to.
    pub host: Url,
    /// Where it came from; `None` until a scenario names it, when neither `--host` nor
    /// the plan did.
    pub host_source: Option<HostSource>,
    /// The shared HTTP client's options.
    pub broker: BrokerOptions,
    /// The engine's sizing and budgets.
    pub engine: EngineOptions,
    /// The library components scenarios may import (`--lib`).
    pub libraries: Vec<PathBuf>,
    /// Each user's sandbox.
    pub vu: VuOptions,
    /// The data sets (`--data`, then the plan's `[data]`), by name.
    pub data: Vec<(String, PathBuf)>,
    /// Concurrent users of a fixed closed-model run (the report's target).
    pub users: u32,
    /// Closed or open model, and its shape.
    pub model: LoadModel,
    /// Run length, if bounded by time.
    pub run_time: Option<Duration>,
    /// Total tasks, if bounded by count.
    pub iterations: Option<u64>,
    /// Which part of the run this process makes; users, rates and iterations above are
    /// already this shard's.
    pub shard: Shard,
    /// The run's name, the same in every shard (`--run-id`).
    pub run_id: Option<String>,
    /// Grace period for users to finish after a stop.
    pub stop_timeout: Duration,
    /// Exit code for a run with failed requests.
    pub exit_code_on_error: u8,
    /// Whether `--exit-code-on-error` was given (else thresholds make failures alone pass).
    pub exit_code_on_error_given: bool,
    /// The most distinct request rows kept; later names share one overflow row.
    pub max_rows: usize,
    /// The memory room below which the run stops (`None`: the default; `Some(0)`: never).
    pub min_free_memory: Option<u64>,
    /// Pass/fail gates: the plan file's, then the flags'.
    pub thresholds: Vec<Threshold>,
    /// Whether a failed threshold stops the run early.
    pub abort_on_fail: bool,
    /// How long the run goes before thresholds may abort it.
    pub abort_grace: Duration,
    /// Files and views asked for.
    pub outputs: Outputs,
    /// The coordinator this shard reports to (`--coordinator`), if any.
    pub coordinator: Option<String>,
}

impl RunConfig {
    /// Resolves `options` against the target `host` (`--host`, or the plan's): a value the
    /// options leave unset comes from `plan` (the plan file, or an empty one), then from
    /// `defaults`. Without a host, the scenario's default is set later with
    /// [`set_host`](Self::set_host).
    pub fn resolve(
        host: Option<&str>,
        options: &LoadOptions,
        plan: &PlanFile,
        defaults: LoadDefaults,
    ) -> anyhow::Result<Self> {
        let (host, host_source) = resolve_host(host, plan)?;
        let users = options.users.or(plan.users).unwrap_or(defaults.users);
        let run_time = match (options.run_time.or(plan.run_time()?), options.iterations) {
            (None, None) => defaults.run_time,
            (run_time, _) => run_time,
        };
        let model = resolve_model(options, plan, users, defaults)?;
        let max_users = match &model {
            LoadModel::Closed { shape, from_flags } if *from_flags => shape.peak_users(),
            LoadModel::Closed { .. } => options
                .max_users
                .or(plan.max_users)
                .unwrap_or(DEFAULT_MAX_USERS)
                .max(users),
            LoadModel::Open(open) => open.max_users,
        };
        let shard = options.shard;
        if !shard.is_whole() && options.seed.is_none() {
            bail!(
                "a sharded run needs --seed, the same for every shard, so that each user makes \
                 the same choices whatever the split"
            );
        }
        let model = shard_model(model, shard);
        let thresholds = resolve_thresholds(plan, options)?;
        let on_error = if thresholds.is_empty() {
            EXIT_REQUEST_FAILURES
        } else {
            EXIT_OK
        };
        let budgets = !options.no_budgets;
        Ok(Self {
            broker: broker_options(&host, options),
            engine: EngineOptions {
                max_users: shard.share_users(max_users).max(1),
                vu_memory: options.vu_memory,
                budgets,
                per_user: Needs::SINGLE_COMPONENT,
            },
            libraries: options.libraries.clone(),
            vu: VuOptions {
                env: options.env.iter().cloned().collect(),
                seed: options.seed.unwrap_or_else(fresh_seed),
                task_timeout: options.task_timeout,
                vu_memory: options.vu_memory,
                budgets,
                vu_cpu: options.vu_cpu,
            },
            data: resolve_data(plan, options),
            host,
            host_source,
            users: shard.share_users(users),
            model,
            run_time,
            iterations: options.iterations.map(|total| shard.share(total)),
            shard,
            run_id: options.run_id.clone(),
            stop_timeout: options.stop_timeout,
            exit_code_on_error: options.exit_code_on_error.unwrap_or(on_error),
            exit_code_on_error_given: options.exit_code_on_error.is_some(),
            max_rows: options.max_rows,
            min_free_memory: options.min_free_memory,
            thresholds,
            abort_on_fail: options.abort_on_fail || plan.abort_on_fail.unwrap_or(false),
            abort_grace: options.abort_grace,
            outputs: options.outputs.clone(),
            coordinator: None,
        })
    }

    /// Sets the host from a scenario's default, when neither `--host` nor the plan gave one;
    /// refused if the scenarios' defaults differ or none has one.
    pub fn set_host(&mut self, defaults: &[Option<String>]) -> anyhow::Result<()> {
        if self.host_source.is_some() {
            return Ok(());
        }
        let mut named = defaults.iter().flatten();
        let Some(first) = named.next() else {
            bail!(
                "no host to send requests to: give --host URL, set `host = \"URL\"` in the plan file (--plan), or set the scenario's default host (`UserSpec::host(..)`)"
            );
        };
        if let Some(other) = named.find(|other| *other != first) {
            bail!(
                "the scenarios name different default hosts ({first} and {other}): give --host URL"
            );
        }
        let host = parse_host(first).map_err(|err| anyhow!("the scenario's default host {err}"))?;
        self.broker.base = host.clone();
        self.host = host;
        self.host_source = Some(HostSource::Scenario);
        Ok(())
    }

    /// The most users alive at once.
    pub fn max_users(&self) -> u32 {
        self.engine.max_users
    }

    /// Takes the thresholds the scenarios' own options ask for (as k6 takes a script's
    /// `options.thresholds`) when the run gives none of its own; one line naming a bad one.
    pub fn adopt_scenario_thresholds(&mut self, texts: &[String]) -> anyhow::Result<()> {
        if texts.is_empty() || !self.thresholds.is_empty() {
            return Ok(());
        }
        let mut adopted = Vec::with_capacity(texts.len());
        for text in texts {
            let threshold = Threshold::parse(text)
                .map_err(|err| anyhow!("the scenario's threshold `{text}`: {err}"))?;
            adopted.push(threshold);
        }
        let shown: Vec<String> = adopted.iter().map(ToString::to_string).collect();
        tracing::info!(
            "judging the scenario's own thresholds: {}",
            shown.join(", ")
        );
        self.thresholds = adopted;
        if !self.exit_code_on_error_given {
            self.exit_code_on_error = EXIT_OK;
        }
        Ok(())
    }
}

/// The broker's options: the target, the allow-list, limits and the network.
fn broker_options(host: &Url, options: &LoadOptions) -> BrokerOptions {
    let network = &options.network;
    BrokerOptions {
        base: host.clone(),
        allow_hosts: options.allow_hosts.clone(),
        request_timeout: options.request_timeout,
        max_body: options.max_body,
        max_redirects: network.max_redirects,
        connections: network.connections,
        http_version: network.http_version,
        tls: network.tls.clone(),
        proxy: network.proxy.clone(),
        resolve: network.resolve.clone(),
    }
}

/// The data sets: the plan's `[data]`, each replaced by a flag of the same name, then the
/// flags' others.
fn resolve_data(plan: &PlanFile, options: &LoadOptions) -> Vec<(String, PathBuf)> {
    let given = |name: &str| options.data.iter().any(|(flag, _)| flag == name);
    plan.data
        .iter()
        .filter(|(name, _)| !given(name))
        .map(|(name, path)| (name.clone(), path.clone()))
        .chain(options.data.iter().cloned())
        .collect()
}

/// The plan file's thresholds, then the flags'.
fn resolve_thresholds(plan: &PlanFile, options: &LoadOptions) -> anyhow::Result<Vec<Threshold>> {
    let mut thresholds = plan
        .thresholds
        .iter()
        .map(|text| Threshold::parse(text).map_err(|err| anyhow!("plan file threshold {err}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    thresholds.extend(options.thresholds.iter().cloned());
    Ok(thresholds)
}

/// The target host, `--host` before the plan's, and where it came from; a placeholder until
/// a scenario's default is known when neither gives one.
fn resolve_host(host: Option<&str>, plan: &PlanFile) -> anyhow::Result<(Url, Option<HostSource>)> {
    Ok(match (host, plan.host.as_deref()) {
        (Some(flag), _) => (
            parse_host(flag).map_err(|err| anyhow!("--host {err}"))?,
            Some(HostSource::Flag),
        ),
        (None, Some(planned)) => (
            parse_host(planned).map_err(|err| anyhow!("the plan's host {err}"))?,
            Some(HostSource::Plan),
        ),
        (None, None) => (Url::parse(HOST_NOT_YET_KNOWN)?, None),
    })
}

/// Picks the model: a rate or rate stages make it open, stages staged, else a fixed count.
fn resolve_model(
    options: &LoadOptions,
    plan: &PlanFile,
    users: u32,
    defaults: LoadDefaults,
) -> anyhow::Result<LoadModel> {
    let rate = match options.rate {
        Some(rate) => Some(rate),
        None => plan
            .rate
            .as_deref()
            .map(parse_rate_per_second)
            .transpose()
            .map_err(|err| anyhow!("plan file: {err}"))?,
    };
    let rate_stages = match &options.rate_stages {
        Some(stages) => stages.clone(),
        None => plan.rate_stages()?,
    };
    let open_by_flags = options.rate.is_some() || options.rate_stages.is_some();
    let stages = match &options.stages {
        Some(stages) => stages.clone(),
        None if open_by_flags => Vec::new(),
        None => plan.stages()?,
    };
    if rate.is_some() || !rate_stages.is_empty() {
        if !stages.is_empty() {
            bail!("stages (closed model) and a rate (open model) cannot be combined");
        }
        return open_model(options, plan, rate, rate_stages).map(LoadModel::Open);
    }
    if !stages.is_empty() {
        return Ok(LoadModel::Closed {
            shape: Shape::Stages(stages),
            from_flags: true,
        });
    }
    let spawn_rate = options
        .spawn_rate
        .or(plan.spawn_rate)
        .or(defaults.spawn_rate)
        .unwrap_or(f64::from(users));
    Ok(LoadModel::Closed {
        shape: Shape::Fixed(Step { users, spawn_rate }),
        from_flags: false,
    })
}

/// The arrival-rate plan: the schedule, the pool's bound and the users started up front.
fn open_model(
    options: &LoadOptions,
    plan: &PlanFile,
    rate: Option<f64>,
    rate_stages: Vec<RateStage>,
) -> anyhow::Result<OpenPlan> {
    let schedule = if rate_stages.is_empty() {
        RateSchedule::constant(rate.unwrap_or(0.0))
    } else {
        RateSchedule::ramping(rate.unwrap_or(0.0), rate_stages)
    };
    if schedule.peak_rate() <= 0.0 {
        bail!("the arrival rate must be above 0");
    }
    let max_users = options
        .max_users
        .or(plan.max_users)
        .unwrap_or(DEFAULT_MAX_USERS);
    let by_rate = (schedule.peak_rate() / ITERATIONS_PER_PRE_ALLOCATED_USER).ceil() as u32;
    let pre_allocated = options
        .users
        .or(plan.users)
        .unwrap_or(by_rate.max(MIN_PRE_ALLOCATED))
        .min(max_users);
    Ok(OpenPlan {
        schedule,
        max_users,
        pre_allocated,
        max_queue: options.max_queue.or(plan.max_queue).unwrap_or(0),
    })
}

/// This shard's part of the load model: its share of the host's shape, or of the pool of an
/// arrival-rate run (whose schedule stays whole: the shard takes every N-th iteration of it).
fn shard_model(model: LoadModel, shard: Shard) -> LoadModel {
    if shard.is_whole() {
        return model;
    }
    match model {
        LoadModel::Closed { shape, from_flags } => LoadModel::Closed {
            shape: shard.shape(&shape),
            from_flags,
        },
        LoadModel::Open(open) => {
            let max_users = shard.share_users(open.max_users).max(1);
            LoadModel::Open(OpenPlan {
                max_users,
                pre_allocated: shard.share_users(open.pre_allocated).min(max_users),
                max_queue: usize::try_from(shard.share(open.max_queue as u64))
                    .unwrap_or(usize::MAX),
                ..open
            })
        }
    }
}

/// A seed that differs between runs, from the process's randomly keyed hasher.
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: LoadDefaults = LoadDefaults {
        users: 1,
        spawn_rate: None,
        run_time: None,
    };

    fn resolve(options: LoadOptions) -> RunConfig {
        RunConfig::resolve(Some("http://h"), &options, &PlanFile::default(), RUN).expect("valid")
    }

    #[test]
    fn spawn_rate_defaults_to_all_users_in_one_second() {
        let config = resolve(LoadOptions {
            users: Some(40),
            ..LoadOptions::default()
        });
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
    fn a_shard_resolves_to_its_share_of_users_rates_iterations_and_pool() {
        let shard = Shard { index: 1, count: 3 };
        let config = resolve(LoadOptions {
            users: Some(10),
            spawn_rate: Some(6.0),
            iterations: Some(20),
            seed: Some(5),
            shard,
            ..LoadOptions::default()
        });
        assert_eq!((config.users, config.iterations), (3, Some(7)));
        assert_eq!(config.max_users(), shard.share_users(DEFAULT_MAX_USERS));
        let LoadModel::Closed { shape, .. } = config.model else {
            panic!("closed model expected");
        };
        assert_eq!(
            shape,
            Shape::Fixed(Step {
                users: 3,
                spawn_rate: 2.0
            })
        );
        let open = resolve(LoadOptions {
            rate: Some(90.0),
            max_users: Some(10),
            users: Some(4),
            seed: Some(5),
            shard,
            ..LoadOptions::default()
        });
        let LoadModel::Open(plan) = open.model else {
            panic!("open model expected");
        };
        assert_eq!((plan.max_users, plan.pre_allocated), (3, 1));
        let unseeded = LoadOptions {
            shard,
            ..LoadOptions::default()
        };
        let refused = RunConfig::resolve(Some("http://x"), &unseeded, &PlanFile::default(), RUN);
        assert!(refused.is_err_and(|err| err.to_string().contains("needs --seed")));
    }

    #[test]
    fn a_rate_makes_the_run_open_with_a_bounded_pool() {
        let config = resolve(LoadOptions {
            rate: Some(200.0),
            max_users: Some(50),
            users: Some(80),
            ..LoadOptions::default()
        });
        let LoadModel::Open(open) = &config.model else {
            panic!("open model expected");
        };
        assert_eq!(open.max_users, 50);
        assert_eq!(open.pre_allocated, 50);
        assert_eq!(open.max_queue, 0);
        assert_eq!(config.max_users(), 50);
    }

    #[test]
    fn thresholds_make_request_failures_no_longer_fail_the_run_by_themselves() {
        let gated = resolve(LoadOptions {
            thresholds: vec![Threshold::parse("error_rate<1%").expect("valid")],
            ..LoadOptions::default()
        });
        assert_eq!(gated.exit_code_on_error, 0);
        assert_eq!(resolve(LoadOptions::default()).exit_code_on_error, 1);
    }

    #[test]
    fn iterations_alone_leave_the_run_unbounded_in_time() {
        let demo = LoadDefaults {
            run_time: Some(Duration::from_secs(30)),
            ..RUN
        };
        let options = LoadOptions {
            iterations: Some(10),
            ..LoadOptions::default()
        };
        let config = RunConfig::resolve(Some("http://h"), &options, &PlanFile::default(), demo)
            .expect("valid");
        assert_eq!(config.run_time, None);
        assert_eq!(config.iterations, Some(10));
    }

    #[test]
    fn an_explicit_seed_is_kept() {
        let config = resolve(LoadOptions {
            seed: Some(7),
            ..LoadOptions::default()
        });
        assert_eq!(config.vu.seed, 7);
    }

    #[test]
    fn flags_win_over_the_plan_file_and_thresholds_add_up() {
        let plan = PlanFile::parse(
            "run-time = \"1m\"\nthresholds = [\"p95<1s\"]\n[[stages]]\nduration = \"5s\"\nusers = 3\n",
        )
        .expect("a valid plan");
        let options = LoadOptions {
            stages: Some(crate::plan::parse_stages("10s:4").expect("valid")),
            run_time: Some(Duration::from_secs(5)),
            thresholds: vec![Threshold::parse("error_rate<1%").expect("valid")],
            ..LoadOptions::default()
        };
        let config = RunConfig::resolve(Some("http://h"), &options, &plan, RUN).expect("valid");
        assert_eq!(config.run_time, Some(Duration::from_secs(5)));
        assert_eq!(config.model.length(), Some(Duration::from_secs(10)));
        let texts: Vec<String> = config.thresholds.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["p95<1s", "error_rate<1%"]);
    }

    #[test]
    fn a_bad_host_or_plan_threshold_is_named() {
        let bad_host = RunConfig::resolve(
            Some("ftp://x"),
            &LoadOptions::default(),
            &PlanFile::default(),
            RUN,
        )
        .expect_err("not http");
        assert!(bad_host.to_string().starts_with("--host "), "{bad_host}");
        let plan = PlanFile::parse("thresholds = [\"p95<3q\"]").expect("parses as TOML");
        let bad_threshold =
            RunConfig::resolve(Some("http://h"), &LoadOptions::default(), &plan, RUN)
                .expect_err("a bad threshold");
        assert!(
            bad_threshold
                .to_string()
                .contains("plan file threshold `p95<3q`"),
            "{bad_threshold}"
        );
    }

    #[test]
    fn the_host_comes_from_the_flag_then_the_plan_then_the_scenario() {
        let plan = PlanFile::parse("host = \"http://planned:1\"").expect("a plan");
        let options = LoadOptions::default();
        let flagged =
            RunConfig::resolve(Some("http://flag:1"), &options, &plan, RUN).expect("valid");
        assert_eq!(
            (flagged.host.as_str(), flagged.host_source),
            ("http://flag:1/", Some(HostSource::Flag))
        );
        let mut planned = RunConfig::resolve(None, &options, &plan, RUN).expect("valid");
        planned
            .set_host(&[Some("http://scenario:1".into())])
            .expect("kept");
        assert_eq!(
            (planned.host.as_str(), planned.host_source),
            ("http://planned:1/", Some(HostSource::Plan))
        );
        let none = PlanFile::default();
        let mut defaulted = RunConfig::resolve(None, &options, &none, RUN).expect("valid");
        defaulted
            .set_host(&[None, Some("http://scenario:1".into())])
            .expect("the scenario's");
        assert_eq!(defaulted.host_source, Some(HostSource::Scenario));
        assert_eq!(defaulted.broker.base.as_str(), "http://scenario:1/");
        let mut missing = RunConfig::resolve(None, &options, &none, RUN).expect("valid");
        let err = missing.set_host(&[None]).expect_err("no host");
        assert!(err.to_string().contains("give --host URL"), "{err}");
        let mut clashing = RunConfig::resolve(None, &options, &none, RUN).expect("valid");
        let err = clashing
            .set_host(&[Some("http://a:1".into()), Some("http://b:1".into())])
            .expect_err("two hosts");
        assert!(err.to_string().contains("different default hosts"), "{err}");
    }
}
