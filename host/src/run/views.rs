//! What watches a run while it goes on: the Prometheus endpoint, the web dashboard (which may
//! hold the start until its Start button), the live terminal view, and the thresholds'
//! `--abort-on-fail` watcher. Each starts with the run and stops with it.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::RunConfig;
use crate::error::Failure;
use crate::metrics::{Aggregator, LiveStats};
use crate::plan::Step;
use crate::report::live::{LiveView, Progress};
use crate::report::prometheus::{self, PrometheusMetrics};
use crate::scheduler::{StopSignals, Swarm};
use crate::thresholds;
use crate::web::{Dashboard, UsersControl};

/// Starts `/metrics` when `--prometheus` asks for it, fed by `aggregator`, its `scenario`
/// label naming `scenarios`; returns the aggregator to run and the endpoint's task.
pub async fn start_prometheus(
    config: &RunConfig,
    aggregator: Aggregator,
    live: &LiveStats,
    scenarios: Vec<String>,
) -> Result<(Aggregator, Option<JoinHandle<()>>), Failure> {
    let Some(addr) = config.outputs.prometheus else {
        return Ok((aggregator, None));
    };
    let gauges = Arc::clone(&live.gauges);
    let metrics = PrometheusMetrics::new(gauges, scenarios, config.shard.index);
    let metrics = Arc::new(metrics.map_err(Failure::from)?);
    let (bound, task) = prometheus::serve(addr, Arc::clone(&metrics))
        .await
        .map_err(Failure::bad_input)?;
    tracing::info!("Prometheus metrics at http://{bound}/metrics");
    Ok((aggregator.with_observer(metrics), Some(task)))
}

/// The views of a running run.
pub struct Views {
    dashboard: Option<Dashboard>,
    live_view: Option<LiveView>,
    watcher: Option<JoinHandle<()>>,
}

impl Views {
    /// Starts the dashboard (and, without `--run-time`, waits for its Start button or a
    /// signal), the live view and the abort watcher.
    pub async fn start(
        config: &RunConfig,
        live: &LiveStats,
        swarm: &Swarm,
        users_control: Option<watch::Sender<Step>>,
        signals: &mut StopSignals,
    ) -> Result<Self, Failure> {
        let dashboard = match config.outputs.web {
            Some(addr) => {
                let halt = swarm.halt.clone();
                let auth = config.outputs.web_auth.as_deref();
                let control = users_control.map(|users| UsersControl {
                    users,
                    max_users: config.max_users(),
                });
                let dashboard = Dashboard::start(addr, auth, live.clone(), control, halt)
                    .await
                    .map_err(Failure::bad_input)?;
                tracing::info!("live dashboard at http://{}/", dashboard.addr);
                if config.run_time.is_none() {
                    wait_for_start(&dashboard, swarm, signals).await;
                }
                Some(dashboard)
            }
            None => None,
        };
        let live_view =
            (!config.outputs.quiet).then(|| LiveView::start(live.clone(), progress(config)));
        let watcher = config.abort_on_fail.then(|| {
            let users = swarm.slots.iter().map(|slot| slot.user.name.clone());
            tokio::spawn(thresholds::abort_on_failure(
                config.thresholds.clone(),
                users.collect(),
                live.clone(),
                config.abort_grace,
                swarm.abort.clone(),
            ))
        });
        Ok(Self {
            dashboard,
            live_view,
            watcher,
        })
    }

    /// The run has ended: the live view prints its last line, the dashboard shows the run as
    /// finished, and thresholds are no longer watched.
    pub fn run_ended(&mut self) {
        if let Some(view) = self.live_view.take() {
            view.stop();
        }
        if let Some(dashboard) = &self.dashboard {
            dashboard.finished();
        }
        if let Some(watcher) = self.watcher.take() {
            watcher.abort();
        }
    }

    /// After the report: stops the dashboard, and the Prometheus `exporter` once
    /// `--prometheus-linger` has passed (or a signal came).
    pub async fn shut_down(
        self,
        exporter: Option<JoinHandle<()>>,
        config: &RunConfig,
        signals: &mut StopSignals,
    ) {
        if let Some(dashboard) = self.dashboard {
            dashboard.shut_down();
        }
        let Some(exporter) = exporter else {
            return;
        };
        let linger = config.outputs.prometheus_linger;
        if !linger.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(linger) => {}
                _ = signals.recv() => {}
            }
        }
        exporter.abort();
    }
}

/// Shows the run as waiting until Start is pressed; a signal, or Stop, ends the run before it
/// begins.
async fn wait_for_start(dashboard: &Dashboard, swarm: &Swarm, signals: &mut StopSignals) {
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

/// What the live view's progress bar counts towards.
fn progress(config: &RunConfig) -> Progress {
    match (config.run_time.or(config.model.length()), config.iterations) {
        (Some(run_time), _) => Progress::Time(run_time),
        (None, Some(iterations)) => Progress::Iterations(iterations),
        (None, None) => Progress::Open,
    }
}
