//! A shard's part in a coordinated run (`--coordinator URL`): greet the coordinator once the
//! scenarios are loaded, start at the instant it gives, send every second on, and say how
//! the run went.

use std::time::SystemTime;

use anyhow::anyhow;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::RunConfig;
use crate::error::Failure;
use crate::metrics::{Aggregator, Interval, RunStats};
use crate::plan::Step;
use crate::report::json_summary::outcome_entry;
use crate::report::summary_in::ScenarioIn;
use crate::report::ScenarioLabel;
use crate::scheduler::{RunOutcome, Swarm};
use crate::shard_link::wire::{DoneOut, Hello, UsersOffer, UsersStep, SECRET_ENV};
use crate::shard_link::{skew_ms, Orders, ShardLink};

use super::outputs;

/// A shard that has joined its coordinator and knows when to start.
pub struct Joined {
    link: ShardLink,
    start: SystemTime,
    /// What the run's setups returned (shard 0 ran them), in base64.
    setup: Vec<Option<String>>,
    seconds: Option<mpsc::UnboundedReceiver<Interval>>,
    skew_ms: f64,
}

/// A shard whose run goes on, sending its seconds.
pub struct Uploading {
    task: JoinHandle<(ShardLink, u32)>,
    skew_ms: f64,
}

impl Joined {
    /// Greets the coordinator `config` names, if any, and waits until every shard has; the
    /// scenarios are described by `labels` and weighed by `weights`, `setup` is what their
    /// setups returned on this shard (shard 0's go to every shard), and `users` the shard's
    /// user count if it may change.
    pub async fn join(
        config: &RunConfig,
        labels: &[ScenarioLabel],
        weights: &[u32],
        setup: Vec<Option<String>>,
        users: Option<Step>,
    ) -> Result<Option<Self>, Failure> {
        let Some(url) = &config.coordinator else {
            return Ok(None);
        };
        let secret = std::env::var(SECRET_ENV).map_err(|_| {
            Failure::bad_input(anyhow!(
                "--coordinator needs the run's secret in {SECRET_ENV}, the same as the coordinator's"
            ))
        })?;
        let link = ShardLink::new(url, secret, config.shard.index).map_err(Failure::bad_input)?;
        let scenarios = labels
            .iter()
            .zip(weights)
            .map(|(label, &weight)| ScenarioIn {
                file: label.file.clone(),
                user: label.user.clone(),
                weight,
                users_started: None,
                memories: label.memories,
                sha256: label.sha256.clone(),
                libraries: label.libraries.clone(),
            })
            .collect();
        let summary = outputs::summary_config(config, weights);
        let mut hello = Hello::new(config.vu.seed, config.host.to_string(), scenarios, &summary)
            .map_err(Failure::from)?;
        hello.setup = setup;
        hello.adjustable = users.map(|step| UsersOffer {
            step: UsersStep::of(step),
            max_users: config.max_users(),
        });
        tracing::info!("waiting for every shard to join the coordinator at {url}");
        let (start, setup) = link.join(&hello).await.map_err(Failure::bad_input)?;
        Ok(Some(Self {
            link,
            start,
            setup,
            seconds: None,
            skew_ms: 0.0,
        }))
    }

    /// What the run's setups returned, in base64, by scenario.
    pub fn setup(&self) -> &[Option<String>] {
        &self.setup
    }

    /// Has `aggregator` send every second to the coordinator.
    pub fn attach(&mut self, aggregator: Aggregator) -> Aggregator {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.seconds = Some(receiver);
        aggregator.with_intervals(sender)
    }

    /// Waits for the agreed start, and notes how late this shard is for it.
    pub async fn wait_for_start(&mut self) {
        if let Ok(wait) = self.start.duration_since(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
        self.skew_ms = skew_ms(self.start, SystemTime::now());
    }

    /// Starts sending seconds; the coordinator's stop orders stop `swarm`, and its user
    /// counts go to `users`, if this shard's count may change.
    pub fn upload(self, swarm: &Swarm, users: Option<watch::Sender<Step>>) -> Uploading {
        let orders = Orders {
            halt: swarm.halt.clone(),
            abort: swarm.abort.clone(),
            users: users.map(|users| (users, swarm.shard)),
        };
        let (link, seconds) = (self.link, self.seconds);
        let task = tokio::spawn(async move {
            let sent = match seconds {
                Some(seconds) => link.upload(seconds, orders).await,
                None => 0,
            };
            (link, sent)
        });
        Uploading {
            task,
            skew_ms: self.skew_ms,
        }
    }
}

impl Uploading {
    /// Once the last second is sent, says how the run went.
    pub async fn finish(self, outcome: &RunOutcome, users_by_scenario: &[u32], stats: &RunStats) {
        let Ok((link, seconds)) = self.task.await else {
            return;
        };
        let done = DoneOut {
            shard: link.shard(),
            outcome: outcome_entry(outcome, stats.total_tasks_cut_short()),
            users_by_scenario,
            start_skew_ms: self.skew_ms,
            seconds,
        };
        if let Err(err) = link.done(&done).await {
            tracing::warn!("cannot tell the coordinator this shard has finished: {err:#}");
        }
    }
}
