//! One load test from start to exit code: resolve, load, describe, check the target, run,
//! report.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;

use crate::bindings::UserInfo;
use crate::broker::HttpBroker;
use crate::config::{LoadModel, RunConfig};
use crate::engine::{self, EngineOptions, LoadedScenario};
use crate::error::{Failure, EXIT_OK, EXIT_SCENARIO_ERROR, EXIT_THRESHOLDS_FAILED};
use crate::metrics::{self, LiveStats, PrometheusMetrics, RunStats};
use crate::report::json_summary::SummaryConfig;
use crate::report::live::{LiveView, Progress};
use crate::report::{self, RunReport, ScenarioLabel};
use crate::run_context::RunContext;
use crate::scheduler::{
    self, ClosedShape, Model, Plan, RunOutcome, ScenarioSlot, Shape, Step, StopSignals, Swarm,
};
use crate::thresholds::{self, Threshold};
use crate::vu::{Identity, Vu};
use crate::web::Dashboard;
use tokio::sync::watch;

/// How long the pre-flight connection to `--host` may take.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often `--abort-on-fail` checks the thresholds.
const ABORT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The result of a finished run.
pub struct Finished {
    /// The measurements.
    pub stats: RunStats,
    /// How the run went.
    pub outcome: RunOutcome,
    /// The process exit code the run earned.
    pub exit_code: u8,
}

/// Runs `scenarios` (each a `.wasm` or a crate directory, with a weight) with `config`,
/// prints the report to stdout and returns the result.
pub async fn run_scenarios(
    scenarios: &[(PathBuf, u32)],
    config: RunConfig,
) -> Result<Finished, Failure> {
    let thresholds = parse_thresholds(&config.thresholds)?;
    let scenarios = u16::try_from(scenarios.len())
        .ok()
        .filter(|&count| count > 0)
        .map(|_| scenarios)
        .ok_or_else(|| Failure::bad_input(anyhow!("give between 1 and 65535 scenarios")))?;
    let components = scenarios
        .iter()
        .map(|(path, _)| crate::scenario_build::resolve_scenario(path))
        .collect::<Result<Vec<_>, _>>()?;
    let engine = engine::build_engine(EngineOptions {
        max_users: config.max_users,
        vu_memory: config.vu_memory,
        budgets: config.budgets,
    })
    .map_err(Failure::from)?;
    let loaded = components
        .iter()
        .map(|component| engine::load_component(&engine, component))
        .collect::<Result<Vec<_>, _>>()?;
    let (recorder, aggregator, live) = metrics::channel();
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&config).map_err(Failure::bad_input)?,
        recorder,
        env: config.env.clone(),
        seed: config.seed,
        task_timeout: config.task_timeout,
        vu_memory: config.vu_memory,
        budgets: config.budgets,
    });
    let mut slots = Vec::with_capacity(loaded.len());
    for (index, loaded) in loaded.into_iter().enumerate() {
        let user = describe(&loaded, &ctx, index as u16).await?;
        slots.push(ScenarioSlot::new(loaded, user));
    }
    let (model, adjustable_users) = adjustable(plan_model(&config, &slots, &ctx).await?, &config);
    preflight(&config).await?;
    let mut signals = StopSignals::listen().map_err(|err| Failure::from(anyhow!(err)))?;

    let labels: Vec<ScenarioLabel> = components
        .iter()
        .zip(&slots)
        .map(|(component, slot)| ScenarioLabel {
            file: component.display().to_string(),
            user: slot.user.name.clone(),
        })
        .collect();
    let weights: Vec<u32> = scenarios.iter().map(|(_, weight)| *weight).collect();
    let (aggregator, exporter) = match config.outputs.prometheus {
        Some(addr) => {
            let metrics =
                Arc::new(PrometheusMetrics::new(Arc::clone(&live.gauges)).map_err(Failure::from)?);
            let (bound, task) = metrics::serve_prometheus(addr, Arc::clone(&metrics))
                .await
                .map_err(Failure::bad_input)?;
            tracing::info!("Prometheus metrics at http://{bound}/metrics");
            (aggregator.with_prometheus(metrics), Some(task))
        }
        None => (aggregator, None),
    };
    let collecting = tokio::spawn(aggregator.run());
    let swarm = Arc::new(Swarm::new(
        slots,
        &weights,
        ctx,
        config.iterations,
        Arc::clone(&live.gauges),
    ));
    let watcher = config.abort_on_fail.then(|| {
        tokio::spawn(abort_on_failure(
            Arc::clone(&swarm),
            thresholds.clone(),
            live.clone(),
            config.abort_grace,
        ))
    });
    let plan = Plan {
        model,
        run_time: config.run_time,
        stop_timeout: config.stop_timeout,
    };
    let dashboard = match config.outputs.web {
        Some(addr) => {
            let dashboard = Dashboard::start(
                addr,
                live.clone(),
                adjustable_users,
                config.max_users,
                swarm.halt.clone(),
            )
            .await
            .map_err(Failure::bad_input)?;
            tracing::info!("live dashboard at http://{}/", dashboard.addr);
            if config.run_time.is_none() {
                tracing::info!("waiting for Start on the dashboard");
                tokio::select! {
                    started = dashboard.wait_for_start() => {
                        if started.is_none() {
                            swarm.halt.cancel();
                        }
                    }
                    _ = signals.recv() => swarm.halt.cancel(),
                }
            }
            Some(dashboard)
        }
        None => None,
    };
    let view = (!config.outputs.quiet).then(|| LiveView::start(live.clone(), progress(&config)));
    let outcome = scheduler::run(Arc::clone(&swarm), plan, &mut signals).await;
    if let Some(view) = view {
        view.stop();
    }
    if let Some(dashboard) = &dashboard {
        dashboard.finished();
    }
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    let mut users_by_scenario = vec![0u32; labels.len()];
    if !outcome.open_model {
        for nth in 0..outcome.users_spawned {
            if let Some(count) =
                users_by_scenario.get_mut(usize::from(swarm.slot_for(u64::from(nth))))
            {
                *count += 1;
            }
        }
    }
    drop(swarm);
    let stats = collecting
        .await
        .map_err(|err| Failure::from(anyhow!("the metrics aggregator failed: {err}")))?;

    let verdicts = thresholds::evaluate(&thresholds, &stats, outcome.elapsed);
    let host = config.host.to_string();
    let report = RunReport {
        scenarios: &labels,
        users_by_scenario: &users_by_scenario,
        host: &host,
        seed: config.seed,
        outcome,
        stats: &stats,
    };
    print!("{}", report::render(&report));
    if !verdicts.is_empty() {
        print!("{}", thresholds::render(&verdicts));
    }
    write_outputs(&config, &report, &verdicts, &weights)?;
    if let Some(dashboard) = dashboard {
        dashboard.shut_down();
    }
    if let Some(exporter) = exporter {
        if !config.outputs.prometheus_linger.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(config.outputs.prometheus_linger) => {}
                _ = signals.recv() => {}
            }
        }
        exporter.abort();
    }
    let exit_code = if thresholds::all_passed(&verdicts) {
        exit_code_for(&stats, config.exit_code_on_error)
    } else {
        EXIT_THRESHOLDS_FAILED
    };
    Ok(Finished {
        stats,
        outcome,
        exit_code,
    })
}

/// With `--web`, a fixed closed-model user count becomes one the dashboard can change.
fn adjustable(model: Model, config: &RunConfig) -> (Model, Option<watch::Sender<Step>>) {
    match model {
        Model::Closed(ClosedShape::Host(Shape::Fixed(step))) if config.outputs.web.is_some() => {
            let (users, receiver) = watch::channel(step);
            (
                Model::Closed(ClosedShape::Controlled(receiver)),
                Some(users),
            )
        }
        model => (model, None),
    }
}

/// What the live view's progress bar counts towards.
fn progress(config: &RunConfig) -> Progress {
    let shape_length = match &config.model {
        LoadModel::Closed { shape, .. } => shape.length(),
        LoadModel::Open(_) => None,
    };
    match (config.run_time.or(shape_length), config.iterations) {
        (Some(run_time), _) => Progress::Time(run_time),
        (None, Some(iterations)) => Progress::Iterations(iterations),
        (None, None) => Progress::Open,
    }
}

/// Writes the files asked for with `--csv`, `--json` and `--html`.
fn write_outputs(
    config: &RunConfig,
    report: &RunReport<'_>,
    verdicts: &[thresholds::Verdict],
    weights: &[u32],
) -> Result<(), Failure> {
    let unwritable = |what: &str, err: anyhow::Error| {
        Failure::bad_input(anyhow!("cannot write the {what}: {err:#}"))
    };
    if let Some(prefix) = &config.outputs.csv {
        let files = report::locust_csv::write(prefix, report)
            .map_err(|err| unwritable("CSV files", err))?;
        tracing::info!("wrote {}", display_paths(&files));
    }
    if let Some(path) = &config.outputs.json {
        let summary_config = SummaryConfig {
            model: match config.model {
                LoadModel::Closed { .. } => "closed",
                LoadModel::Open(_) => "open",
            },
            run_time_s: config.run_time.map(|run_time| run_time.as_secs_f64()),
            iterations: config.iterations,
            thresholds: config.thresholds.clone(),
            weights: weights.to_vec(),
        };
        report::json_summary::write(path, report, &summary_config, verdicts)
            .map_err(|err| unwritable("JSON summary", err))?;
        tracing::info!("wrote {}", path.display());
    }
    if let Some(path) = &config.outputs.html {
        report::html::write(path, report, verdicts)
            .map_err(|err| unwritable("HTML report", err))?;
        tracing::info!("wrote {}", path.display());
    }
    Ok(())
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_thresholds(texts: &[String]) -> Result<Vec<Threshold>, Failure> {
    texts
        .iter()
        .map(|text| {
            Threshold::parse(text).map_err(|err| Failure::bad_input(anyhow!("--threshold {err}")))
        })
        .collect()
}

/// The scheduler's model for the configuration; a closed run without stages takes the first
/// scenario's own load shape, if one has it.
async fn plan_model(
    config: &RunConfig,
    slots: &[ScenarioSlot],
    ctx: &Arc<RunContext>,
) -> Result<Model, Failure> {
    match &config.model {
        LoadModel::Open(open) => Ok(Model::Open(open.clone())),
        LoadModel::Closed { shape, from_flags } => {
            let shaped = slots
                .iter()
                .position(|slot| slot.user.custom_shape)
                .filter(|_| !from_flags);
            let Some(index) = shaped else {
                return Ok(Model::Closed(ClosedShape::Host(shape.clone())));
            };
            let slot = &slots[index];
            let identity = Identity::new(u32::MAX - 1, index as u16, ctx.seed);
            let vu = Vu::instantiate(&slot.loaded, Arc::clone(ctx), identity)
                .await
                .map_err(|err| {
                    Failure::scenario(anyhow!(
                        "{}: the load shape cannot be instantiated: {}",
                        slot.loaded.path.display(),
                        anyhow::Error::from(err)
                    ))
                })?;
            tracing::info!(
                "using the load shape of {} (at most {} users)",
                slot.user.name,
                config.max_users
            );
            Ok(Model::Closed(ClosedShape::Guest {
                vu: Box::new(vu),
                max_users: config.max_users,
            }))
        }
    }
}

/// Checks the thresholds every second once `grace` has passed, and aborts the run when one
/// fails.
async fn abort_on_failure(
    swarm: Arc<Swarm>,
    thresholds: Vec<Threshold>,
    live: LiveStats,
    grace: Duration,
) {
    let started = tokio::time::Instant::now();
    tokio::time::sleep(grace).await;
    let mut ticks = tokio::time::interval(ABORT_CHECK_INTERVAL);
    loop {
        ticks.tick().await;
        let verdicts = {
            let stats = live.lock();
            thresholds::evaluate(&thresholds, &stats, started.elapsed())
        };
        if let Some(failed) = verdicts.iter().find(|verdict| !verdict.passed) {
            tracing::warn!(
                "threshold {} failed (measured {}): stopping the run (--abort-on-fail)",
                failed.threshold,
                failed.measured
            );
            swarm.abort.cancel();
            return;
        }
    }
}

/// Instantiates the scenario once to read its user description, and checks it.
pub(crate) async fn describe(
    loaded: &LoadedScenario,
    ctx: &Arc<RunContext>,
    scenario: u16,
) -> Result<UserInfo, Failure> {
    let path = loaded.path.display();
    let identity = Identity::new(u32::MAX, scenario, ctx.seed);
    let mut vu = Vu::instantiate(loaded, Arc::clone(ctx), identity)
        .await
        .map_err(|err| {
            Failure::scenario(anyhow!(
                "{path} cannot be instantiated: {}",
                anyhow::Error::from(err)
            ))
        })?;
    let user = match vu.describe().await {
        Ok(user) => user,
        Err(trap) => {
            let reason = vu.explain_trap(&trap);
            return Err(Failure::scenario(anyhow!(
                "{path}: describe trapped: {reason}"
            )));
        }
    };
    engine::validate_user(&user).map_err(|err| Failure::scenario(anyhow!("{path}: {err}")))?;
    Ok(user)
}

/// Refuses to start a run against a host that does not accept connections.
async fn preflight(config: &RunConfig) -> Result<(), Failure> {
    let host = &config.host;
    let unreachable =
        |why: String| Failure::bad_input(anyhow!("cannot reach --host {host}: {why}"));
    let name = host.host_str().unwrap_or_default();
    let port = host.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        PREFLIGHT_TIMEOUT,
        tokio::net::lookup_host((name.trim_matches(['[', ']']), port)),
    )
    .await
    .map_err(|_| unreachable("name lookup timed out".into()))?
    .map_err(|err| unreachable(err.to_string()))?
    .collect();
    let mut last_error = String::from("the name has no addresses");
    for addr in addrs {
        match tokio::time::timeout(PREFLIGHT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(err)) => last_error = err.to_string(),
            Err(_) => last_error = format!("connecting to {addr} timed out"),
        }
    }
    Err(unreachable(last_error))
}

/// 3 when the scenario raised exceptions, `on_error` when requests failed, else 0.
pub fn exit_code_for(stats: &RunStats, on_error: u8) -> u8 {
    if stats.total_exceptions() > 0 {
        EXIT_SCENARIO_ERROR
    } else if stats.total().failures > 0 {
        on_error
    } else {
        EXIT_OK
    }
}
