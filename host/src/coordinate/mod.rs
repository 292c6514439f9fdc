//! `wasmload coordinate`: one live run made by N shards (`wasmload run … --shard I/N
//! --coordinator URL`), on this machine or others. The coordinator waits until every shard
//! has loaded its scenarios, starts them together at one instant, takes every second of
//! every shard (exact histograms, none dropped when late), shows the whole run live, stops
//! every shard when a threshold fails under `--abort-on-fail`, names a shard that never
//! joined or went silent, and reports the whole run as one process would.

pub mod local;
mod room;
mod server;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use tokio_util::sync::CancellationToken;

use crate::config::Outputs;
use crate::error::{Failure, EXIT_SHARDS_LOST};
use crate::merge;
use crate::metrics::{self, LiveStats};
use crate::plan::Threshold;
use crate::report::live::{LiveView, Progress};
use crate::report::summary_in::OutcomeIn;
use crate::report::{self, LOCUST_PERCENTILES};
use crate::run::outputs;
use crate::scheduler::{StopReason, StopSignals};
use crate::shard_link::wire::DoneIn;
use crate::thresholds;
use room::{never_joined, Ended, Room};
use views::CoordinatorViews;

/// How often the coordinator looks at its shards.
const TICK: Duration = Duration::from_secs(1);

/// What `wasmload coordinate` was asked for.
#[derive(Debug, Clone)]
pub struct CoordinateOptions {
    /// The run's shards.
    pub shards: u32,
    /// Where shards reach the coordinator.
    pub listen: SocketAddr,
    /// The run's secret, which every shard's call must carry.
    pub secret: String,
    /// How long to wait for every shard to greet the coordinator.
    pub ready_timeout: Duration,
    /// How long a running shard may be silent before it counts as lost.
    pub shard_timeout: Duration,
    /// Thresholds to judge the whole run by; the shards' own when empty.
    pub thresholds: Vec<Threshold>,
    /// Stop every shard as soon as a threshold fails.
    pub abort_on_fail: bool,
    /// How long the run goes before thresholds may stop it.
    pub abort_grace: Duration,
    /// Exit code when requests failed.
    pub exit_code_on_error: Option<u8>,
    /// Files to write, and whether to show the live view.
    pub outputs: Outputs,
}

/// A coordinator listening for its shards.
pub struct Coordinator {
    room: Arc<Room>,
    /// Where shards reach it.
    pub addr: SocketAddr,
    server: server::Endpoint,
    views: CoordinatorViews,
}

impl Coordinator {
    /// Starts listening on `options.listen`.
    pub async fn listen(options: &CoordinateOptions) -> Result<Self, Failure> {
        outputs::check(&options.outputs)?;
        let (_, _, live) = metrics::channel(&LOCUST_PERCENTILES, usize::MAX)
            .map_err(|err| Failure::from(anyhow!("cannot set up the statistics: {err:?}")))?;
        let metrics = views::exporter_metrics(&options.outputs, &live)?;
        let room = Room::new(options.shards, &options.secret, live, metrics.clone());
        let room = Arc::new(room);
        let server = server::serve(options.listen, Arc::clone(&room))
            .await
            .map_err(Failure::bad_input)?;
        let addr = server.addr;
        let views = CoordinatorViews::start(&options.outputs, metrics, &room).await?;
        Ok(Self {
            room,
            addr,
            server,
            views,
        })
    }

    /// Runs the whole run: gathers the shards, starts them, watches them, and reports;
    /// returns the run's exit code. `gave_up` ends the wait for shards early (a local
    /// worker that failed), with its reason.
    pub async fn run(
        mut self,
        options: &CoordinateOptions,
        gave_up: impl std::future::Future<Output = Failure>,
    ) -> Result<u8, Failure> {
        let mut signals = StopSignals::listen().map_err(|err| Failure::from(anyhow!(err)))?;
        tracing::info!(
            "coordinator at http://{}: waiting for {} shards",
            self.addr,
            options.shards
        );
        let mut phase = self.room.phase();
        let started = phase.wait_for(|phase| matches!(phase, room::Phase::Started(_)));
        let given_up = tokio::select! {
            _ = started => None,
            () = tokio::time::sleep(options.ready_timeout) => {
                // The last shard may have joined as the time ran out: then the run is on.
                self.room.start().is_none().then(|| {
                    let missing = self.room.missing();
                    let error = never_joined(&missing, options.shards, options.ready_timeout);
                    (format!("{error:#}"), Failure::ShardsLost(error))
                })
            }
            failure = gave_up => Some((failure.to_string(), failure)),
            _ = signals.recv() => Some((
                "the coordinator was interrupted".to_string(),
                Failure::bad_input(anyhow!("interrupted before every shard joined")),
            )),
        };
        if let Some((why, failure)) = given_up {
            self.room.abandon(why);
            drop(phase);
            self.server.close().await;
            return Err(failure);
        }
        drop(phase);
        self.views.offer_users(&self.room);
        let (ended, interrupted) = self.watch(options, &mut signals).await;
        self.views.run_ended();
        self.server.close().await;
        let code = report_whole_run(options, ended, interrupted);
        self.views
            .shut_down(options.outputs.prometheus_linger)
            .await;
        code
    }

    /// Watches the running shards until each is done or lost, with the live view and the
    /// thresholds' watcher; a signal stops every shard. Also says whether a signal did.
    async fn watch(&self, options: &CoordinateOptions, signals: &mut StopSignals) -> (Ended, bool) {
        let live: LiveStats = self.room.live.clone();
        let live_view =
            (!options.outputs.quiet).then(|| LiveView::start(live.clone(), Progress::Open));
        let abort = CancellationToken::new();
        // The thresholds given here, else the shards' own, as the report judges them.
        let first = self.room.first_hello();
        let judged = first
            .as_ref()
            .and_then(|first| merge::thresholds_of(&options.thresholds, &first.config).ok())
            .unwrap_or_else(|| options.thresholds.clone());
        let users = first.map_or_else(Vec::new, |first| merge::user_names(&first.scenarios));
        let watcher = options.abort_on_fail.then(|| {
            tokio::spawn(thresholds::abort_on_failure(
                judged,
                users,
                live.clone(),
                options.abort_grace,
                abort.clone(),
            ))
        });
        let mut ticks = tokio::time::interval(TICK);
        let mut interrupted = false;
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    if self.room.tick(options.shard_timeout) {
                        break;
                    }
                }
                () = abort.cancelled(), if !abort.is_cancelled() => {}
                _ = signals.recv() => {
                    tracing::warn!("stopping every shard");
                    interrupted = true;
                    self.room.order_stop("stopped");
                }
            }
            if abort.is_cancelled() {
                self.room.order_stop("aborted");
            }
        }
        if let Some(view) = live_view {
            view.stop();
        }
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        (self.room.end(), interrupted)
    }
}

/// `wasmload coordinate`: listens, runs the whole run, reports it.
pub async fn coordinate(options: &CoordinateOptions) -> Result<u8, Failure> {
    let coordinator = Coordinator::listen(options).await?;
    coordinator.run(options, std::future::pending()).await
}

/// Prints the report of the whole run, writes its files and returns its exit code;
/// `interrupted` when the coordinator's own Ctrl-C stopped the shards.
fn report_whole_run(
    options: &CoordinateOptions,
    ended: Ended,
    interrupted: bool,
) -> Result<u8, Failure> {
    let Ended {
        stats,
        hellos,
        done,
        lost,
    } = ended;
    let first = hellos
        .first()
        .ok_or_else(|| Failure::from(anyhow!("no shard greeted the coordinator")))?;
    let outcomes: Vec<&OutcomeIn> = done.iter().map(|done| &done.outcome).collect();
    let mut outcome = merge::merged_outcome(&outcomes, first.config.model == "open");
    if interrupted {
        outcome.reason = StopReason::Interrupted;
    }
    let thresholds = merge::thresholds_of(&options.thresholds, &first.config)?;
    let users = merge::user_names(&first.scenarios);
    let verdicts = thresholds::evaluate(&thresholds, &stats, outcome.elapsed, &users);
    let labels = merge::labels_of(&first.scenarios);
    let started: Vec<Vec<u32>> = done.iter().map(|d| d.users_by_scenario.clone()).collect();
    let users_by_scenario = merge::added_up(labels.len(), &started);
    let run = room::identity(first);
    let memory_ran_low = merge::any_ran_low(&outcomes);
    let report = merge::whole_run_report(&labels, &users_by_scenario, run, outcome, &stats);
    println!("{}", skew_line(&done, hellos.len()));
    print!("{}", report::render(&report));
    print!("{}", report::render_verdicts(&verdicts));
    for (_, message) in &lost {
        println!("{message}");
    }
    let iterations = hellos.iter().map(|hello| hello.config.iterations).sum();
    let summary = merge::whole_run_config(&first.config, iterations, &thresholds);
    outputs::write(&options.outputs, &summary, &report, &verdicts)?;
    if !lost.is_empty() {
        return Ok(EXIT_SHARDS_LOST);
    }
    Ok(merge::exit_code(
        memory_ran_low,
        &verdicts,
        &stats,
        options.exit_code_on_error,
        thresholds.is_empty(),
    ))
}

/// One line on how the shards started: how many, and the latest start after the agreed
/// instant.
fn skew_line(done: &[DoneIn], shards: usize) -> String {
    let latest = done
        .iter()
        .max_by(|a, b| a.start_skew_ms.total_cmp(&b.start_skew_ms));
    match latest {
        Some(latest) => format!(
            "coordinated {shards} shards of one run, started together: the latest started {:.1} ms after the agreed instant (shard {})",
            latest.start_skew_ms, latest.shard
        ),
        None => format!("coordinated {shards} shards of one run; none finished"),
    }
}
