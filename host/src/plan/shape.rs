//! Closed-model load shapes: how many users should run at each moment, and how fast the
//! scheduler may start or stop users to get there.

use std::time::Duration;

/// What a shape asks for at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Users to run.
    pub users: u32,
    /// Users started or stopped per second on the way there (infinite: at once).
    pub spawn_rate: f64,
}

/// One stage of `--stages` or a plan file: reach `users` and hold them for `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// Users to run during the stage.
    pub users: u32,
    /// Users started or stopped per second; `None` spreads the change evenly over the stage,
    /// as k6's ramping stages do.
    pub spawn_rate: Option<f64>,
}

/// A shape the host computes itself (a scenario's own shape is asked through its guest).
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `--users` started at `--spawn-rate`, held until the run stops.
    Fixed(Step),
    /// Stages one after the other; the run ends after the last.
    Stages(Vec<Stage>),
}

impl Shape {
    /// The step at `elapsed`, or `None` once the shape is over.
    pub fn step_at(&self, elapsed: Duration) -> Option<Step> {
        match self {
            Shape::Fixed(step) => Some(*step),
            Shape::Stages(stages) => stage_step_at(stages, elapsed),
        }
    }

    /// The most users the shape ever asks for.
    pub fn peak_users(&self) -> u32 {
        match self {
            Shape::Fixed(step) => step.users,
            Shape::Stages(stages) => stages.iter().map(|stage| stage.users).max().unwrap_or(0),
        }
    }

    /// How long the shape lasts, if it ends by itself.
    pub fn length(&self) -> Option<Duration> {
        match self {
            Shape::Fixed(_) => None,
            Shape::Stages(stages) => Some(stages.iter().map(|stage| stage.duration).sum()),
        }
    }
}

fn stage_step_at(stages: &[Stage], elapsed: Duration) -> Option<Step> {
    let mut remaining = elapsed;
    let mut previous_users = 0;
    for stage in stages {
        if remaining < stage.duration {
            let spawn_rate = stage.spawn_rate.unwrap_or_else(|| {
                let change = f64::from(stage.users.abs_diff(previous_users));
                let seconds = stage.duration.as_secs_f64();
                if change == 0.0 || seconds == 0.0 {
                    f64::INFINITY
                } else {
                    change / seconds
                }
            });
            return Some(Step {
                users: stage.users,
                spawn_rate,
            });
        }
        remaining -= stage.duration;
        previous_users = stage.users;
    }
    None
}

/// Parses `30s:10,1m:50:5,…`: stages of `duration:users[:spawn-rate]`.
pub fn parse_stages(text: &str) -> Result<Vec<Stage>, String> {
    let stages = text
        .split(',')
        .map(|part| {
            let fields: Vec<&str> = part.trim().split(':').collect();
            let (duration, users, spawn_rate) = match fields.as_slice() {
                [duration, users] => (duration, users, None),
                [duration, users, rate] => (duration, users, Some(rate)),
                _ => return Err(format!("`{part}` is not a stage like 30s:10 or 1m:50:5")),
            };
            let duration = super::text::parse_duration(duration)?;
            let users = users
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("`{users}` in `{part}` is not a number of users"))?;
            let spawn_rate = spawn_rate
                .map(|rate| super::text::parse_positive(rate.trim()))
                .transpose()?;
            Ok(Stage {
                duration,
                users,
                spawn_rate,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// The six-stage wave of the Locust guide.
    fn wave() -> Vec<Stage> {
        parse_stages("30s:10:2,60s:50:5,30s:20:2,40s:80:10,20s:30:3,30s:0:5").expect("valid")
    }

    #[test]
    fn stages_parse_with_and_without_a_spawn_rate() {
        let stages = parse_stages("30s:10, 1m:50:5").expect("valid");
        assert_eq!(
            stages,
            [
                Stage {
                    duration: secs(30),
                    users: 10,
                    spawn_rate: None
                },
                Stage {
                    duration: secs(60),
                    users: 50,
                    spawn_rate: Some(5.0)
                },
            ]
        );
        for bad in [
            "",
            "30s",
            "30s:x",
            "x:10",
            "30s:10:0",
            "30s:10:5:1",
            "30s:-1",
        ] {
            assert!(parse_stages(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn the_locust_wave_is_followed_stage_by_stage() {
        let shape = Shape::Stages(wave());
        let at = |s| {
            shape
                .step_at(secs(s))
                .map(|step| (step.users, step.spawn_rate))
        };
        assert_eq!(at(0), Some((10, 2.0)));
        assert_eq!(at(29), Some((10, 2.0)));
        assert_eq!(at(30), Some((50, 5.0)));
        assert_eq!(at(90), Some((20, 2.0)));
        assert_eq!(at(120), Some((80, 10.0)));
        assert_eq!(at(160), Some((30, 3.0)));
        assert_eq!(at(180), Some((0, 5.0)));
        assert_eq!(at(210), None);
        assert_eq!(shape.peak_users(), 80);
        assert_eq!(shape.length(), Some(secs(210)));
    }

    #[test]
    fn a_stage_without_a_rate_ramps_over_its_whole_duration() {
        let shape = Shape::Stages(parse_stages("10s:20,10s:20,5s:0").expect("valid"));
        assert_eq!(shape.step_at(secs(1)).map(|s| s.spawn_rate), Some(2.0));
        assert_eq!(
            shape.step_at(secs(12)).map(|s| s.spawn_rate),
            Some(f64::INFINITY)
        );
        assert_eq!(shape.step_at(secs(21)).map(|s| s.spawn_rate), Some(4.0));
    }

    #[test]
    fn a_fixed_shape_never_ends() {
        let step = Step {
            users: 5,
            spawn_rate: 1.0,
        };
        let shape = Shape::Fixed(step);
        assert_eq!(shape.step_at(secs(1_000_000)), Some(step));
        assert_eq!(shape.length(), None);
    }
}
