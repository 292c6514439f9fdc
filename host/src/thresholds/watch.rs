//! `--abort-on-fail`: judges the thresholds every second while the run goes on, and asks the
//! run to stop as soon as one fails on what it measured ("no data" is judged at the end).

use std::time::Duration;

use tokio::time::{interval, sleep, Instant};
use tokio_util::sync::CancellationToken;

use super::{evaluate, NO_DATA};
use crate::metrics::LiveStats;
use crate::plan::Threshold;

/// How often the thresholds are judged.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Checks `thresholds` every second once `grace` has passed (`users`: the scenarios' user
/// names, as [`evaluate`] takes them), and cancels `abort` when one fails; run it as a task and abort the task when the run ends.
pub async fn abort_on_failure(
    thresholds: Vec<Threshold>,
    users: Vec<String>,
    live: LiveStats,
    grace: Duration,
    abort: CancellationToken,
) {
    let started = Instant::now();
    sleep(grace).await;
    let mut ticks = interval(CHECK_INTERVAL);
    loop {
        ticks.tick().await;
        let verdicts = {
            let stats = live.lock();
            evaluate(&thresholds, &stats, started.elapsed(), &users)
        };
        // A scope with no data yet may still get some (a row later in the journey): only the
        // end of the run judges it.
        let failed = verdicts
            .iter()
            .find(|verdict| !verdict.passed && verdict.measured != NO_DATA);
        if let Some(failed) = failed {
            tracing::warn!(
                "threshold {} failed (measured {}): stopping the run (--abort-on-fail)",
                failed.threshold,
                failed.measured
            );
            abort.cancel();
            return;
        }
    }
}
