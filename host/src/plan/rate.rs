//! Arrival-rate schedules: when each iteration of an open-model run is due, for a constant
//! rate or rates that ramp linearly from stage to stage (as k6's arrival-rate executors do).

use std::time::Duration;

/// One stage of `--rate-stages`: ramp linearly to `rate` iterations/s over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStage {
    /// How long the ramp lasts.
    pub duration: Duration,
    /// Iterations per second at the end of the stage.
    pub rate: f64,
}

/// When iterations are due: stages from a start rate, then optionally a constant rate for
/// ever.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSchedule {
    start_rate: f64,
    stages: Vec<RateStage>,
    then: Option<f64>,
}

impl RateSchedule {
    /// `rate` iterations per second until the run stops (`--rate`).
    pub fn constant(rate: f64) -> Self {
        Self {
            start_rate: rate,
            stages: Vec::new(),
            then: Some(rate),
        }
    }

    /// Ramps from `start_rate` through `stages`; the schedule ends after the last stage.
    pub fn ramping(start_rate: f64, stages: Vec<RateStage>) -> Self {
        Self {
            start_rate,
            stages,
            then: None,
        }
    }

    /// The highest rate the schedule reaches.
    pub fn peak_rate(&self) -> f64 {
        self.stages
            .iter()
            .map(|stage| stage.rate)
            .chain([self.start_rate])
            .chain(self.then)
            .fold(0.0, f64::max)
    }

    /// When iteration `index` (from 0) is due, from the start of the run; `None` if the
    /// schedule ends first.
    pub fn due(&self, index: u64) -> Option<Duration> {
        let mut remaining = index as f64;
        let mut offset = 0.0;
        let mut from = self.start_rate;
        for stage in &self.stages {
            let seconds = stage.duration.as_secs_f64();
            let count = (from + stage.rate) / 2.0 * seconds;
            if remaining < count {
                return Some(Duration::from_secs_f64(
                    offset + time_within_ramp(from, stage.rate, seconds, remaining),
                ));
            }
            remaining -= count;
            offset += seconds;
            from = stage.rate;
        }
        match self.then {
            Some(rate) if rate > 0.0 => Some(Duration::from_secs_f64(offset + remaining / rate)),
            _ => None,
        }
    }
}

/// The time into a linear ramp from `from` to `to` iterations/s over `seconds` at which
/// `count` iterations have become due: the root of `from·t + (to − from)·t²/(2·seconds)`.
fn time_within_ramp(from: f64, to: f64, seconds: f64, count: f64) -> f64 {
    let slope = (to - from) / seconds;
    if slope.abs() < 1e-12 {
        return count / from;
    }
    let half = slope / 2.0;
    let discriminant = (from * from + 4.0 * half * count).max(0.0);
    (-from + discriminant.sqrt()) / (2.0 * half)
}

/// Parses `--rate`: `500`, `500/s`, `30000/m` or `10/1s`, as iterations per second.
pub fn parse_rate_per_second(text: &str) -> Result<f64, String> {
    let error = || format!("`{text}` is not a rate like 500/s, 30000/m or 500");
    let (count, per) = match text.trim().split_once('/') {
        Some((count, unit)) => (count, unit.trim()),
        None => (text.trim(), "s"),
    };
    let count: f64 = count.trim().parse().map_err(|_| error())?;
    let per_seconds = match per {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => super::text::parse_duration(other)
            .map_err(|_| error())?
            .as_secs_f64(),
    };
    let rate = count / per_seconds;
    if rate.is_finite() && rate >= 0.0 && per_seconds > 0.0 {
        Ok(rate)
    } else {
        Err(error())
    }
}

/// Parses `--rate-stages`: `30s:100,1m:500,30s:0` (duration:iterations-per-second).
pub fn parse_rate_stages(text: &str) -> Result<Vec<RateStage>, String> {
    text.split(',')
        .map(|part| {
            let (duration, rate) = part
                .trim()
                .split_once(':')
                .ok_or_else(|| format!("`{part}` is not a rate stage like 30s:100 or 1m:50/s"))?;
            Ok(RateStage {
                duration: super::text::parse_duration(duration.trim())?,
                rate: parse_rate_per_second(rate)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: Option<Duration>, expected_secs: f64) -> bool {
        actual.is_some_and(|d| (d.as_secs_f64() - expected_secs).abs() < 1e-6)
    }

    #[test]
    fn a_constant_rate_spaces_iterations_evenly() {
        let schedule = RateSchedule::constant(200.0);
        assert!(close(schedule.due(0), 0.0));
        assert!(close(schedule.due(1), 0.005));
        assert!(close(schedule.due(1000), 5.0));
    }

    #[test]
    fn a_ramp_makes_iterations_due_faster_and_faster() {
        // 0 → 100/s over 10 s: 500 iterations, the n-th due at sqrt(n / 5) s.
        let schedule = RateSchedule::ramping(
            0.0,
            vec![RateStage {
                duration: Duration::from_secs(10),
                rate: 100.0,
            }],
        );
        assert!(close(schedule.due(0), 0.0));
        assert!(close(schedule.due(125), 5.0));
        assert!(close(schedule.due(499), (499.0f64 / 5.0).sqrt()));
        assert_eq!(schedule.due(500), None);
    }

    #[test]
    fn stages_follow_each_other_and_can_ramp_down() {
        let stages = parse_rate_stages("2s:100,2s:100,2s:0").expect("valid");
        let schedule = RateSchedule::ramping(0.0, stages);
        // 100 in the first ramp, 200 while holding, 100 in the ramp down.
        assert!(close(schedule.due(100), 2.0));
        assert!(close(schedule.due(300), 4.0));
        assert!(schedule
            .due(399)
            .is_some_and(|d| d < Duration::from_secs(6)));
        assert_eq!(schedule.due(400), None);
        assert_eq!(schedule.peak_rate(), 100.0);
    }

    #[test]
    fn rates_parse_with_units() {
        assert_eq!(parse_rate_per_second("500/s"), Ok(500.0));
        assert_eq!(parse_rate_per_second("500"), Ok(500.0));
        assert_eq!(parse_rate_per_second("30000/m"), Ok(500.0));
        assert_eq!(parse_rate_per_second("10/2s"), Ok(5.0));
        for bad in ["", "x/s", "5/x", "-1/s", "5/0s"] {
            assert!(parse_rate_per_second(bad).is_err(), "{bad:?}");
        }
        assert!(parse_rate_stages("30s").is_err());
    }
}
