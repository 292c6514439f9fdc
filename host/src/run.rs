//! One load test from start to exit code: resolve, load, describe, check the target, run,
//! report.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;

use crate::bindings::UserInfo;
use crate::broker::HttpBroker;
use crate::config::RunConfig;
use crate::engine::{self, EngineOptions, LoadedScenario};
use crate::error::{Failure, EXIT_OK, EXIT_SCENARIO_ERROR};
use crate::metrics::{self, RunStats};
use crate::report::{self, RunReport};
use crate::run_context::RunContext;
use crate::scheduler::{self, Plan, RunOutcome, StopSignals, Swarm};
use crate::vu::{Identity, Vu};

/// Linear memory each user may grow to.
const DEFAULT_VU_MEMORY: usize = 256 << 20;
/// How long the pre-flight connection to `--host` may take.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(5);

/// The result of a finished run.
pub struct Finished {
    /// The measurements.
    pub stats: RunStats,
    /// How the run went.
    pub outcome: RunOutcome,
    /// The process exit code the run earned.
    pub exit_code: u8,
}

/// Runs `scenario` (a `.wasm` or a crate directory) with `config`, prints the report to
/// stdout and returns the result.
pub async fn run_scenario(scenario: &Path, config: RunConfig) -> Result<Finished, Failure> {
    let component = crate::scenario_build::resolve_scenario(scenario)?;
    let engine = engine::build_engine(EngineOptions {
        max_users: config.users,
        vu_memory: DEFAULT_VU_MEMORY,
    })
    .map_err(Failure::from)?;
    let loaded = engine::load_component(&engine, &component)?;
    let (recorder, aggregator) = metrics::channel();
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&config).map_err(Failure::bad_input)?,
        recorder,
        env: config.env.clone(),
        seed: config.seed,
        task_timeout: config.task_timeout,
        vu_memory: DEFAULT_VU_MEMORY,
    });
    let user = describe(&loaded, &ctx).await?;
    preflight(&config).await?;
    let mut signals = StopSignals::listen().map_err(|err| Failure::from(anyhow!(err)))?;

    let collecting = tokio::spawn(aggregator.run());
    let swarm = Arc::new(Swarm::new(loaded, ctx, user.clone(), config.iterations));
    let plan = Plan {
        users: config.users,
        spawn_rate: config.spawn_rate,
        run_time: config.run_time,
        stop_timeout: config.stop_timeout,
    };
    let outcome = scheduler::run(swarm, plan, &mut signals).await;
    let stats = collecting
        .await
        .map_err(|err| Failure::from(anyhow!("the metrics aggregator failed: {err}")))?;

    let scenario_name = component.display().to_string();
    let host = config.host.to_string();
    let report = RunReport {
        scenario: &scenario_name,
        user: &user.name,
        host: &host,
        users: config.users,
        seed: config.seed,
        outcome,
        stats: &stats,
    };
    print!("{}", report::render(&report));
    let exit_code = exit_code_for(&stats, config.exit_code_on_error);
    Ok(Finished {
        stats,
        outcome,
        exit_code,
    })
}

/// Instantiates the scenario once to read its user description, and checks it.
async fn describe(loaded: &LoadedScenario, ctx: &Arc<RunContext>) -> Result<UserInfo, Failure> {
    let path = loaded.path.display();
    let mut vu = Vu::instantiate(loaded, Arc::clone(ctx), Identity::new(u32::MAX, ctx.seed))
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
