//! One load test from start to exit code, as a sequence of steps: load the scenarios, describe
//! them, check the target, start the views, run the plan, judge the thresholds, report.

mod coordinated;
mod hooks;
mod limits;

pub use limits::users_one_process_holds;
pub mod outputs;
mod views;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::anyhow;
use tokio::sync::watch;

use crate::bindings::UserInfo;
use crate::broker::{self, HttpBroker};
use crate::config::{HostSource, RunConfig};
use crate::data::DataSets;
use crate::engine::{self, EngineOptions};
use crate::error::{Failure, EXIT_BAD_INPUT, EXIT_OK, EXIT_SCENARIO_ERROR, EXIT_THRESHOLDS_FAILED};
use crate::metrics::{self, Aggregator, LiveStats, RunStats};
use crate::plan::Step;
use crate::report::summary_in::LibraryIn;
use crate::report::{self, RunReport, ScenarioLabel, LOCUST_PERCENTILES};
use crate::scenario_build::resolve_components;
use crate::scheduler::{
    self, Model, Plan, RunOutcome, ScenarioSlot, StopReason, StopSignals, Swarm, WarmUsers,
};
use crate::thresholds;
use crate::vu::{LoadedScenario, RunContext, SetupResults};
use views::Views;

/// The result of a finished run.
pub struct Finished {
    /// The measurements.
    pub stats: RunStats,
    /// How the run went.
    pub outcome: RunOutcome,
    /// The process exit code the run earned.
    pub exit_code: u8,
}

/// A run ready to start: its scenarios described, its model chosen, its target reachable.
struct Prepared {
    slots: Vec<ScenarioSlot>,
    labels: Vec<ScenarioLabel>,
    ctx: Arc<RunContext>,
    model: Model,
    users_control: Option<watch::Sender<Step>>,
    aggregator: Aggregator,
    live: LiveStats,
}

/// Runs `scenarios` (each a `.wasm` or a crate directory, with a weight) with `config`,
/// prints the report to stdout and returns the result.
pub async fn run_scenarios(
    scenarios: &[(PathBuf, u32)],
    mut config: RunConfig,
) -> Result<Finished, Failure> {
    let weights: Vec<u32> = scenarios.iter().map(|(_, weight)| *weight).collect();
    outputs::check(&config.outputs)?;
    let mut prepared = prepare(scenarios, &mut config).await?;
    let memory_baseline = scheduler::private_memory();
    let (mut joined, runs_hooks, warm) = set_up_and_join(&config, &mut prepared, &weights).await?;
    let mut signals = StopSignals::listen().map_err(|err| Failure::from(anyhow!(err)))?;
    let live = prepared.live;
    let users: Vec<String> = prepared.labels.iter().map(|l| l.user.clone()).collect();
    let (mut aggregator, exporter) =
        views::start_prometheus(&config, prepared.aggregator, &live, users.clone()).await?;
    if let Some(joined) = &mut joined {
        aggregator = joined.attach(aggregator);
        joined.wait_for_start().await;
    }
    let collecting = tokio::spawn(aggregator.run());
    let (slots, ctx, gauges) = (prepared.slots, prepared.ctx, Arc::clone(&live.gauges));
    let shard = config.shard;
    let swarm = Arc::new(Swarm::new(
        slots,
        &weights,
        ctx,
        config.iterations,
        gauges,
        shard,
        warm,
    ));
    let control = prepared.users_control;
    let uploading = joined.map(|joined| joined.upload(&swarm, control.clone()));
    let mut views = Views::start(&config, &live, &swarm, control, &mut signals).await?;
    let labels = prepared.labels;
    let plan = Plan {
        model: prepared.model,
        run_time: config.run_time,
        stop_timeout: config.stop_timeout,
        min_free_memory: config.min_free_memory,
        memory_baseline,
    };
    let outcome = scheduler::run(Arc::clone(&swarm), plan, &mut signals).await;
    if runs_hooks {
        hooks::teardown(&swarm.slots, &swarm.ctx, config.stop_timeout).await;
    }
    views.run_ended();
    let users_by_scenario = swarm.users_by_scenario(&outcome);
    drop(swarm);
    let stats = collecting
        .await
        .map_err(|err| Failure::from(anyhow!("the metrics aggregator failed: {err}")))?;
    if let Some(uploading) = uploading {
        uploading.finish(&outcome, &users_by_scenario, &stats).await;
    }
    let verdicts = thresholds::evaluate(&config.thresholds, &stats, outcome.elapsed, &users);
    let host = config.host.to_string();
    let report = RunReport {
        scenarios: &labels,
        users_by_scenario: &users_by_scenario,
        host: &host,
        host_from: config.host_source.map(HostSource::describe),
        seed: config.vu.seed,
        shard: config.shard,
        insecure: config.broker.tls.insecure,
        vu_memory: config.vu.vu_memory,
        outcome,
        stats: &stats,
    };
    print!("{}", report::render(&report));
    print!("{}", report::render_verdicts(&verdicts));
    let summary = outputs::summary_config(&config, &weights);
    outputs::write(&config.outputs, &summary, &report, &verdicts)?;
    views.shut_down(exporter, &config, &mut signals).await;
    let memory_ran_low = outcome.reason == StopReason::MemoryLow;
    let exit_code = run_exit_code(memory_ran_low, &verdicts, &stats, config.exit_code_on_error);
    Ok(Finished {
        stats,
        outcome,
        exit_code,
    })
}

/// Runs the scenarios' setups and joins the coordinator, if any: in a coordinated run shard
/// 0 runs the hooks for the whole run and the others take what its setups returned; alone,
/// every process runs its own. A coordinated shard also creates its users before it greets
/// the coordinator, so the agreed start begins with requests. Says whether this process
/// runs the hooks, and gives the users made ahead.
async fn set_up_and_join(
    config: &RunConfig,
    prepared: &mut Prepared,
    weights: &[u32],
) -> Result<(Option<coordinated::Joined>, bool, WarmUsers), Failure> {
    let coordinated = config.coordinator.is_some();
    let runs_hooks = !coordinated || config.shard.index == 0;
    let mut setup = Vec::new();
    if runs_hooks {
        hooks::setup(&prepared.slots, &prepared.ctx).await?;
        if coordinated {
            setup = hooks::encoded(&prepared.ctx, prepared.slots.len());
        }
    }
    let warm = if coordinated {
        let ahead = prepared
            .model
            .users_ahead(config.max_users(), config.shard)
            .await;
        WarmUsers::create(&prepared.slots, &prepared.ctx, config.shard, weights, ahead).await
    } else {
        WarmUsers::default()
    };
    let users = prepared.users_control.as_ref().map(|users| *users.borrow());
    let labels = &prepared.labels;
    let joined = match coordinated::Joined::join(config, labels, weights, setup, users).await {
        Ok(joined) => joined,
        Err(failure) => {
            // The setup ran; what it made is undone even though the run never started.
            if runs_hooks {
                hooks::teardown(&prepared.slots, &prepared.ctx, config.stop_timeout).await;
            }
            return Err(failure);
        }
    };
    if let (Some(joined), false) = (&joined, runs_hooks) {
        hooks::adopt(&prepared.ctx, joined.setup())?;
    }
    Ok((joined, runs_hooks, warm))
}

/// Loads and describes the scenarios, settles the host (a scenario may name it), reads the
/// test data, picks the model and checks that the target answers.
async fn prepare(
    scenarios: &[(PathBuf, u32)],
    config: &mut RunConfig,
) -> Result<Prepared, Failure> {
    let loaded = load_scenarios(scenarios, config)?;
    let (users, thresholds) = describe_all(&loaded, config).await?;
    config
        .adopt_scenario_thresholds(&thresholds)
        .map_err(Failure::bad_input)?;
    set_host_from(&users, config)?;
    let data = DataSets::load(&config.data, config.shard).map_err(Failure::bad_input)?;
    for user in &users {
        data.check_needs(&user.name, &user.data)
            .map_err(Failure::bad_input)?;
    }
    let (recorder, aggregator, live) = metrics::channel(&LOCUST_PERCENTILES, config.max_rows)
        .map_err(|err| Failure::from(anyhow!("cannot set up the statistics: {err}")))?;
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&config.broker).map_err(Failure::bad_input)?,
        recorder,
        options: config.vu.clone(),
        data,
        setup_results: SetupResults::new(users.len()),
    });
    let mut slots = Vec::with_capacity(loaded.len());
    let mut labels = Vec::with_capacity(loaded.len());
    for ((loaded, user), (given, _)) in loaded.into_iter().zip(users).zip(scenarios) {
        // A script is named as given; a crate by the component cargo built.
        let shown = if given.is_file() { given } else { &loaded.path };
        labels.push(ScenarioLabel {
            file: shown.display().to_string(),
            user: user.name.clone(),
            memories: loaded.needs.memories,
            libraries: loaded
                .library_code
                .iter()
                .map(|code| LibraryIn {
                    file: code.label.clone(),
                    sha256: code.sha256.clone(),
                })
                .collect(),
            sha256: loaded.sha256.clone(),
        });
        slots.push(ScenarioSlot::new(loaded, user));
    }
    // The dashboard's, or a coordinator's, user count.
    let adjustable = config.outputs.web.is_some() || config.coordinator.is_some();
    let (model, users_control) =
        scheduler::model_for(&config.model, &slots, &ctx, config.max_users(), adjustable).await?;
    let peak_users = model.peak_users(config.max_users());
    limits::check_open_files(config, peak_users)?;
    if let Some(slot) = slots.first() {
        let per_user = crate::vu::mappings_per_user(&slot.loaded, &ctx).await;
        limits::check_mappings_of_instances(peak_users, per_user)?;
    }
    let route = ctx.broker.route_of(&config.host);
    broker::preflight(&config.host, &route)
        .await
        .map_err(|why| Failure::bad_input(anyhow!("cannot reach --host {}: {why}", config.host)))?;
    Ok(Prepared {
        slots,
        labels,
        ctx,
        model,
        users_control,
        aggregator,
        live,
    })
}

/// Settles the host of a run that neither `--host` nor the plan gave one: the scenarios'
/// own default, read from an instance of each (`k8s render` hands it to every shard).
pub async fn settle_host(
    scenarios: &[(PathBuf, u32)],
    config: &mut RunConfig,
) -> Result<(), Failure> {
    if config.host_source.is_some() {
        return Ok(());
    }
    // Only described here: an engine for one user, however many the run has.
    let mut probe = config.clone();
    probe.engine.max_users = 1;
    let loaded = load_scenarios(scenarios, &probe)?;
    let (users, _) = describe_all(&loaded, &probe).await?;
    set_host_from(&users, config)
}

/// Sets the host from the scenarios' defaults when the run has none yet, and says so.
fn set_host_from(users: &[UserInfo], config: &mut RunConfig) -> Result<(), Failure> {
    let defaults: Vec<Option<String>> = users.iter().map(|user| user.host.clone()).collect();
    config.set_host(&defaults).map_err(Failure::bad_input)?;
    if config.host_source == Some(HostSource::Scenario) {
        tracing::info!(
            "requests go to {}, the scenario's default host (--host overrides it)",
            config.host
        );
    }
    Ok(())
}

/// Each scenario's user, as it describes itself, in an instance of a run of its own (the
/// run's host may not be known yet: a scenario may name it); and the thresholds the
/// scenarios' own options ask for.
async fn describe_all(
    loaded: &[LoadedScenario],
    config: &RunConfig,
) -> Result<(Vec<UserInfo>, Vec<String>), Failure> {
    let (recorder, _, _) = metrics::channel(&[], 1)
        .map_err(|err| Failure::from(anyhow!("cannot set up the statistics: {err}")))?;
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&config.broker).map_err(Failure::bad_input)?,
        recorder,
        options: config.vu.clone(),
        data: DataSets::default(),
        setup_results: SetupResults::default(),
    });
    let mut users = Vec::with_capacity(loaded.len());
    let mut thresholds = Vec::new();
    for (index, loaded) in (0u16..).zip(loaded) {
        users.push(loaded.describe(&ctx, index).await?);
        let own = loaded.thresholds(&ctx).await.map_err(|err| {
            Failure::scenario(anyhow!(
                "{}: its options cannot be read: {err:#}",
                loaded.path.display()
            ))
        })?;
        thresholds.extend(own);
    }
    Ok((users, thresholds))
}

/// Builds or reads each scenario, then compiles and links it on one engine sized for the run.
fn load_scenarios(
    scenarios: &[(PathBuf, u32)],
    config: &RunConfig,
) -> Result<Vec<LoadedScenario>, Failure> {
    if scenarios.is_empty() || scenarios.len() > usize::from(u16::MAX) {
        return Err(Failure::bad_input(anyhow!(
            "give between 1 and 65535 scenarios"
        )));
    }
    let paths: Vec<PathBuf> = scenarios.iter().map(|(path, _)| path.clone()).collect();
    let components = resolve_components(&paths, &config.libraries)?;
    let libraries = engine::read_libraries(&components.libraries)?;
    let prepared = components
        .scenarios
        .iter()
        .map(|component| engine::prepare(component, &libraries))
        .collect::<Result<Vec<_>, _>>()?;
    limits::check_mappings_before_engine(config.max_users())?;
    limits::check_memory_floor(config.min_free_memory)?;
    let options = EngineOptions {
        per_user: engine::needs_of(&prepared),
        ..config.engine
    };
    let engine = engine::build_engine(options).map_err(Failure::bad_input)?;
    let loaded = prepared
        .into_iter()
        .map(|prepared| LoadedScenario::link(engine::compile(&engine, prepared)?))
        .collect::<Result<Vec<_>, _>>()?;
    warn_of_unused_exports(&libraries, &loaded);
    Ok(loaded)
}

/// Warns of each library export that no scenario imports: a library given by mistake, or
/// one built against another version of the interface.
fn warn_of_unused_exports(libraries: &[engine::Library], loaded: &[LoadedScenario]) {
    for (index, library) in libraries.iter().enumerate() {
        for export in &library.exports {
            let used = loaded.iter().any(|scenario| {
                scenario
                    .links()
                    .iter()
                    .any(|link| link.library == index && link.export == *export)
            });
            if !used {
                tracing::warn!(
                    "the library {} exports `{export}`, which no scenario imports",
                    library.label()
                );
            }
        }
    }
}

/// A finished run's exit code (a single process's, or the whole of a sharded one): 2 when
/// memory ran low (a limit of the machine), 4 when a threshold failed, else by its
/// exceptions and failed requests (`on_error` for those).
pub fn run_exit_code(
    memory_ran_low: bool,
    verdicts: &[thresholds::Verdict],
    stats: &RunStats,
    on_error: u8,
) -> u8 {
    if memory_ran_low {
        EXIT_BAD_INPUT
    } else if thresholds::all_passed(verdicts) {
        exit_code_for(stats, on_error)
    } else {
        EXIT_THRESHOLDS_FAILED
    }
}

/// 3 when the scenario raised exceptions, `on_error` when requests failed, else 0.
fn exit_code_for(stats: &RunStats, on_error: u8) -> u8 {
    if stats.total_exceptions() > 0 {
        EXIT_SCENARIO_ERROR
    } else if stats.total().failures > 0 {
        on_error
    } else {
        EXIT_OK
    }
}
