//! Test support: a user's Store state wired to a real broker and recorder, without a Store.

use std::sync::Arc;
use std::time::Duration;

use super::{Identity, VuState};
use crate::broker::HttpBroker;
use crate::cli::LoadArgs;
use crate::config::{LoadDefaults, RunConfig};
use crate::metrics;
use crate::run_context::RunContext;

/// A state for user 0 of a run against `http://127.0.0.1:9` with `--env TENANT=acme`.
pub fn vu_state() -> VuState {
    let load = LoadArgs {
        env: vec![("TENANT".into(), "acme".into())],
        ..LoadArgs::default()
    };
    let defaults = LoadDefaults {
        users: 1,
        spawn_rate: None,
        run_time: None,
    };
    let config = RunConfig::resolve("http://127.0.0.1:9", &load, defaults).expect("config");
    let (recorder, _aggregator, _live) = metrics::channel();
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&config).expect("broker"),
        recorder,
        env: config.env.clone(),
        seed: 1,
        task_timeout: Duration::from_secs(30),
        vu_memory: 1 << 20,
        budgets: true,
    });
    VuState::new(ctx, Identity::new(0, 0, 1))
}
