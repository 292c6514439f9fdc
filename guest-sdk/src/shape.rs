//! Custom load shapes, like Locust's `LoadTestShape`: the scenario tells the host how many
//! users to run at each moment of the test, and when the test ends.

use std::time::Duration;

use crate::wit::wasmload::scenario::types as wit;

/// A load shape: given the time since the test started, the users to run now (and how fast
/// to get there), or `None` to end the test. The host asks it about once a second.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// // Ten users for the first minute, then the test ends.
/// fn one_minute_of_ten(run_time: Duration) -> Option<ShapeStep> {
///     (run_time < Duration::from_secs(60)).then_some(ShapeStep::new(10, 2.0))
/// }
/// let shape: ShapeFn = one_minute_of_ten;
/// assert_eq!(shape(Duration::from_secs(5)), Some(ShapeStep::new(10, 2.0)));
/// assert_eq!(shape(Duration::from_secs(61)), None);
/// ```
pub type ShapeFn = fn(Duration) -> Option<ShapeStep>;

/// What a load shape asks for at one moment: a number of users, and how many to start or
/// stop per second until that number runs.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// let step = ShapeStep::new(50, 5.0);
/// assert_eq!((step.users, step.spawn_rate), (50, 5.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeStep {
    /// Users to run.
    pub users: u32,
    /// Users started or stopped per second on the way there.
    pub spawn_rate: f64,
}

impl ShapeStep {
    /// A step of `users` reached at `spawn_rate` users per second.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// assert_eq!(ShapeStep::new(0, 5.0).users, 0);
    /// ```
    pub const fn new(users: u32, spawn_rate: f64) -> Self {
        ShapeStep { users, spawn_rate }
    }

    pub(crate) fn to_wit(self) -> wit::ShapeStep {
        wit::ShapeStep {
            users: self.users,
            spawn_rate: self.spawn_rate,
        }
    }
}

/// One stage of a staged shape: hold `users` (reached at `spawn_rate` per second) for
/// `duration`, as in the stages list of a Locust `LoadTestShape`.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// let stage = Stage::new(30, 10, 2.0);
/// assert_eq!(stage.duration, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// Users to run during the stage.
    pub users: u32,
    /// Users started or stopped per second on the way to `users`.
    pub spawn_rate: f64,
}

impl Stage {
    /// A stage of `seconds` with `users` reached at `spawn_rate` per second.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// assert_eq!(Stage::new(60, 50, 5.0).users, 50);
    /// ```
    pub const fn new(seconds: u64, users: u32, spawn_rate: f64) -> Self {
        Stage {
            duration: Duration::from_secs(seconds),
            users,
            spawn_rate,
        }
    }
}

/// The step of `stages` that is current at `run_time`, or `None` once they are all over:
/// the body of a staged shape, exactly like the `tick` of Locust's stages example.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// const WAVE: [Stage; 6] = [
///     Stage::new(30, 10, 2.0),  // start with 10 users
///     Stage::new(60, 50, 5.0),  // ramp up to 50
///     Stage::new(30, 20, 2.0),  // drop to 20
///     Stage::new(40, 80, 10.0), // spike to 80
///     Stage::new(20, 30, 3.0),  // drop to 30
///     Stage::new(30, 0, 5.0),   // gradual shutdown
/// ];
/// fn wave(run_time: Duration) -> Option<ShapeStep> {
///     stage_at(&WAVE, run_time)
/// }
/// assert_eq!(wave(Duration::from_secs(0)), Some(ShapeStep::new(10, 2.0)));
/// assert_eq!(wave(Duration::from_secs(95)), Some(ShapeStep::new(20, 2.0)));
/// assert_eq!(wave(Duration::from_secs(209)), Some(ShapeStep::new(0, 5.0)));
/// assert_eq!(wave(Duration::from_secs(210)), None);
/// ```
pub fn stage_at(stages: &[Stage], run_time: Duration) -> Option<ShapeStep> {
    let mut remaining = run_time;
    for stage in stages {
        if remaining < stage.duration {
            return Some(ShapeStep::new(stage.users, stage.spawn_rate));
        }
        remaining -= stage.duration;
    }
    None
}
