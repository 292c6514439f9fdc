//! What shows a coordinated run while it goes on, besides the live terminal view: the
//! Prometheus endpoint (every shard's rows, labelled by scenario and shard) and the web
//! dashboard, whose Stop button stops every shard and whose user count, when every shard's
//! may change, sets the whole run's.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::room::Room;
use crate::config::Outputs;
use crate::error::Failure;
use crate::metrics::LiveStats;
use crate::report::prometheus::{self, PrometheusMetrics};
use crate::shard_link::wire::UsersStep;
use crate::web::{Dashboard, UsersControl};

/// The endpoint's metrics, when `--prometheus` asks for them; the room feeds them.
pub fn exporter_metrics(
    outputs: &Outputs,
    live: &LiveStats,
) -> Result<Option<Arc<PrometheusMetrics>>, Failure> {
    if outputs.prometheus.is_none() {
        return Ok(None);
    }
    let metrics = PrometheusMetrics::new(Arc::clone(&live.gauges), Vec::new(), 0);
    Ok(Some(Arc::new(metrics.map_err(Failure::from)?)))
}

/// The coordinator's views.
pub struct CoordinatorViews {
    exporter: Option<JoinHandle<()>>,
    dashboard: Option<Dashboard>,
    /// Carry the dashboard's Stop and user counts to the room.
    relays: Vec<JoinHandle<()>>,
}

impl CoordinatorViews {
    /// Serves `/metrics` with `metrics` and the dashboard, as `outputs` ask.
    pub async fn start(
        outputs: &Outputs,
        metrics: Option<Arc<PrometheusMetrics>>,
        room: &Arc<Room>,
    ) -> Result<Self, Failure> {
        let exporter = match (outputs.prometheus, metrics) {
            (Some(addr), Some(metrics)) => {
                let (bound, task) = prometheus::serve(addr, metrics)
                    .await
                    .map_err(Failure::bad_input)?;
                tracing::info!("Prometheus metrics at http://{bound}/metrics");
                Some(task)
            }
            _ => None,
        };
        let (dashboard, relays) = match outputs.web {
            Some(addr) => {
                let stop = CancellationToken::new();
                let auth = outputs.web_auth.as_deref();
                let live = room.live.clone();
                let dashboard = Dashboard::start(addr, auth, live, None, stop.clone())
                    .await
                    .map_err(Failure::bad_input)?;
                tracing::info!("live dashboard at http://{}/", dashboard.addr);
                let room = Arc::clone(room);
                let relay = tokio::spawn(async move {
                    stop.cancelled().await;
                    room.order_stop("stopped");
                });
                (Some(dashboard), vec![relay])
            }
            None => (None, Vec::new()),
        };
        Ok(Self {
            exporter,
            dashboard,
            relays,
        })
    }

    /// Once every shard has joined: lets the dashboard change the whole run's user count,
    /// if every shard's may change; each change reaches the shards with their next answer.
    pub fn offer_users(&mut self, room: &Arc<Room>) {
        let (Some(dashboard), Some(offer)) = (&self.dashboard, room.users_offer()) else {
            return;
        };
        let (users, mut changes) = watch::channel(offer.step.step());
        dashboard.offer_users(UsersControl {
            users,
            max_users: offer.max_users,
        });
        let room = Arc::clone(room);
        self.relays.push(tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                let step = *changes.borrow_and_update();
                tracing::info!("the dashboard asks for {} users in all", step.users);
                room.order_users(UsersStep::of(step));
            }
        }));
    }

    /// The run has ended: the dashboard shows it as finished.
    pub fn run_ended(&self) {
        if let Some(dashboard) = &self.dashboard {
            dashboard.finished();
        }
        for relay in &self.relays {
            relay.abort();
        }
    }

    /// After the report: stops the dashboard, and the endpoint once `linger` has passed.
    pub async fn shut_down(self, linger: std::time::Duration) {
        if let Some(dashboard) = self.dashboard {
            dashboard.shut_down();
        }
        if let Some(exporter) = self.exporter {
            tokio::time::sleep(linger).await;
            exporter.abort();
        }
    }
}
