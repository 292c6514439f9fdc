//! End-to-end tests: the `wasmload` binary runs real scenario components against the demo API
//! on 127.0.0.1, and the tests compare what it reports with what the server saw.

// Test code: an expectation that does not hold is a failed test.
#![allow(clippy::expect_used)]

mod support;
mod targets;

mod accounting;
mod arrival_rate;
mod bad_input;
mod batch;
mod browser;
mod budgets;
mod contract;
mod coordinator;
mod custom_metrics;
mod faults;
mod hooks;
mod inspect;
mod isolation;
mod javascript;
mod k8s;
mod libraries;
mod lifecycle;
mod load_shapes;
mod measurement;
mod merge;
mod mixed;
mod network;
mod new_crates;
mod outputs;
mod prometheus;
mod python;
mod redirects;
mod reproducibility;
mod scenarios;
mod shards;
mod test_data;
mod thresholds;
mod web;
