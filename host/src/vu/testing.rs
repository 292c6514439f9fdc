//! Test support: a user's Store state wired to a real broker and recorder, without a Store.

use std::sync::Arc;

use super::{Identity, RunContext, VuOptions, VuState};
use crate::broker::{BrokerOptions, HttpBroker};
use crate::metrics;

/// A state for user 0 of a run against `http://127.0.0.1:9` with `--env TENANT=acme`.
pub fn vu_state() -> VuState {
    let broker = BrokerOptions::new(url::Url::parse("http://127.0.0.1:9").expect("a URL"));
    let (recorder, _aggregator, _live) =
        metrics::channel(&[], metrics::DEFAULT_MAX_ROWS).expect("a valid layout");
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&broker).expect("broker"),
        recorder,
        options: VuOptions {
            env: [("TENANT".to_string(), "acme".to_string())].into(),
            seed: 1,
            vu_memory: 1 << 20,
            ..VuOptions::default()
        },
        data: crate::data::DataSets::default(),
        setup_results: super::SetupResults::default(),
    });
    VuState::new(ctx, Identity::new(0, 0, 1))
}
