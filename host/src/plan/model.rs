//! The load model of a run: a closed model (a number of users, fixed or staged) or an open one
//! (iterations arriving on a schedule, run by a bounded pool of users).

use super::rate::RateSchedule;
use super::shape::Shape;

/// How the run drives its users.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadModel {
    /// Closed model: a fixed or staged number of users. `from_flags` tells whether the shape
    /// was asked for (stages), so a scenario's own shape does not replace it.
    Closed {
        /// The host-computed shape.
        shape: Shape,
        /// True when `--stages` (or plan-file stages) set the shape.
        from_flags: bool,
    },
    /// Open model: iterations at a rate.
    Open(OpenPlan),
}

impl LoadModel {
    /// `closed` or `open`, as reports name the model.
    pub fn name(&self) -> &'static str {
        match self {
            LoadModel::Closed { .. } => "closed",
            LoadModel::Open(_) => "open",
        }
    }

    /// How long the shape lasts, if it ends by itself.
    pub fn length(&self) -> Option<std::time::Duration> {
        match self {
            LoadModel::Closed { shape, .. } => shape.length(),
            LoadModel::Open(_) => None,
        }
    }
}

/// The arrival-rate plan of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPlan {
    /// When iterations are due.
    pub schedule: RateSchedule,
    /// The most users in the pool.
    pub max_users: u32,
    /// Users started before the first iteration (each runs `on-start` when it joins).
    pub pre_allocated: u32,
    /// Iterations that may wait for a busy pool before further ones are dropped.
    pub max_queue: usize,
}
