//! The scenario's own metrics, as k6 has them: a [`trend`] (percentiles, mean and extremes of
//! values), a [`counter`], a [`rate`] (the share of trues) and a [`gauge`] (the last value,
//! and the least and greatest). The host keeps them with the same exact histograms as
//! requests, shows them in every report, and judges them with thresholds such as
//! `--threshold trend:cart_value:p95<300` or `--threshold rate:cache_hit:rate>=90%`.
//!
//! # Example
//!
//! ```no_run
//! use wasmload_guest::prelude::*;
//!
//! metrics::trend("cart_value", 129.95);
//! metrics::counter("items_added", 3);
//! metrics::rate("cache_hit", true);
//! metrics::gauge("queue_depth", 12.0);
//! ```

use crate::wit::wasmload::scenario::metrics as wit;

/// Records `value` in trend `name` (k6's `Trend`). Values keep three decimals, from 0 to
/// about 3.6 million; a negative one counts as 0, and one that is not a number is dropped.
pub fn trend(name: &str, value: f64) {
    wit::trend(name, value);
}

/// Adds `n` to counter `name` (k6's `Counter`).
pub fn counter(name: &str, n: u64) {
    wit::counter(name, n);
}

/// Records whether something happened, for the share of trues of rate `name` (k6's `Rate`).
pub fn rate(name: &str, happened: bool) {
    wit::rate(name, happened);
}

/// Sets gauge `name` to `value` (k6's `Gauge`).
pub fn gauge(name: &str, value: f64) {
    wit::gauge(name, value);
}
