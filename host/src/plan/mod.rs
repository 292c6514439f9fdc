//! The plan of a run as plain data, and every parser of the text users write: durations,
//! sizes, rates, stages, thresholds, plan files. The bottom room: it imports no other room,
//! so the command line, the configuration and the scheduler all build on it.

pub mod args;
mod file;
mod model;
mod network;
mod rate;
mod shape;
mod shard;
mod text;
pub mod threshold;

pub use file::PlanFile;
pub use model::{LoadModel, OpenPlan};
pub use network::{
    parse_connection_mode, parse_resolve, ConnectionMode, HttpVersion, ResolveEntry,
};
pub use rate::{parse_rate_per_second, parse_rate_stages, RateSchedule, RateStage};
pub use shape::{parse_stages, Shape, Stage, Step};
pub use shard::{parse_shard, Shard, SHARD_INDEX_ENV};
pub use text::{
    display_size, parse_core_share, parse_duration, parse_host, parse_key_value,
    parse_nonzero_duration, parse_positive, parse_scenario_arg, parse_size,
};
pub use threshold::Threshold;
