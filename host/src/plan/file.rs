//! Plan files (`--plan plan.toml`): the load shape and the thresholds of a run kept beside
//! the scenario, with the same names as the flags. A flag given on the command line wins.
//!
//! ```toml
//! run-time = "3m"
//! thresholds = ["p95<300ms", "error_rate<1%"]
//!
//! [[stages]]
//! duration = "30s"
//! users = 10
//! spawn-rate = 2
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;

use super::rate::{parse_rate_per_second, RateStage};
use super::shape::Stage;

/// What a plan file may set; everything is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PlanFile {
    /// `--host`, which the flag overrides.
    pub host: Option<String>,
    /// `--users`.
    pub users: Option<u32>,
    /// `--spawn-rate`.
    pub spawn_rate: Option<f64>,
    /// `--run-time`, e.g. `"5m"`.
    pub run_time: Option<String>,
    /// `--stages`, one table per stage.
    #[serde(default)]
    pub stages: Vec<StageEntry>,
    /// `--rate`, e.g. `"500/s"`.
    pub rate: Option<String>,
    /// `--rate-stages`, one table per stage.
    #[serde(default)]
    pub rate_stages: Vec<RateStageEntry>,
    /// `--max-users`.
    pub max_users: Option<u32>,
    /// `--max-queue`.
    pub max_queue: Option<usize>,
    /// `--threshold`, one string each.
    #[serde(default)]
    pub thresholds: Vec<String>,
    /// `--abort-on-fail`.
    pub abort_on_fail: Option<bool>,
    /// `--data NAME=FILE`, as `[data]` `NAME = "FILE"`; relative paths are the plan
    /// file's neighbours.
    #[serde(default)]
    pub data: BTreeMap<String, PathBuf>,
}

/// A `[[stages]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StageEntry {
    /// How long the stage lasts, e.g. `"30s"`.
    pub duration: String,
    /// Users during the stage.
    pub users: u32,
    /// Users started or stopped per second; absent: spread over the stage.
    pub spawn_rate: Option<f64>,
}

/// A `[[rate-stages]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RateStageEntry {
    /// How long the ramp lasts, e.g. `"1m"`.
    pub duration: String,
    /// The rate at the end of the stage, e.g. `"500/s"`.
    pub rate: String,
}

impl PlanFile {
    /// Reads and checks a plan file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read plan file {}", path.display()))?;
        let mut plan =
            Self::parse(&text).map_err(|err| anyhow!("plan file {}: {err}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for file in plan.data.values_mut() {
            if file.is_relative() {
                *file = dir.join(&*file);
            }
        }
        Ok(plan)
    }

    /// Parses plan-file text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let plan: PlanFile = toml::from_str(text).map_err(|err| anyhow!("{}", one_line(&err)))?;
        plan.stages()?;
        plan.rate_stages()?;
        plan.run_time()?;
        plan.check_counts()?;
        Ok(plan)
    }

    /// The checks the command line makes of the same values: at least one user, a positive
    /// spawn rate, and no user count beside stages that set it.
    fn check_counts(&self) -> anyhow::Result<()> {
        if self.users == Some(0) {
            bail!("users must be at least 1");
        }
        if self.max_users == Some(0) {
            bail!("max-users must be at least 1");
        }
        if self.spawn_rate.is_some_and(|rate| !positive(rate)) {
            bail!("spawn-rate must be a positive number");
        }
        if self.users.is_some() && !self.stages.is_empty() {
            bail!("users and [[stages]] cannot be combined: the stages set the users");
        }
        Ok(())
    }

    /// The stages, checked.
    pub fn stages(&self) -> anyhow::Result<Vec<Stage>> {
        self.stages
            .iter()
            .map(|entry| {
                if entry.spawn_rate.is_some_and(|rate| !positive(rate)) {
                    return Err(anyhow!("a stage's spawn-rate must be a positive number"));
                }
                Ok(Stage {
                    duration: duration(&entry.duration)?,
                    users: entry.users,
                    spawn_rate: entry.spawn_rate,
                })
            })
            .collect()
    }

    /// The rate stages, checked.
    pub fn rate_stages(&self) -> anyhow::Result<Vec<RateStage>> {
        self.rate_stages
            .iter()
            .map(|entry| {
                Ok(RateStage {
                    duration: duration(&entry.duration)?,
                    rate: parse_rate_per_second(&entry.rate).map_err(|err| anyhow!(err))?,
                })
            })
            .collect()
    }

    /// The run time, checked.
    pub fn run_time(&self) -> anyhow::Result<Option<Duration>> {
        self.run_time
            .as_deref()
            .map(|text| {
                super::text::parse_nonzero_duration(text).map_err(|err| anyhow!("run-time: {err}"))
            })
            .transpose()
    }
}

/// Whether a spawn rate is a positive, finite number.
fn positive(rate: f64) -> bool {
    rate > 0.0 && rate.is_finite()
}

fn duration(text: &str) -> anyhow::Result<Duration> {
    super::text::parse_duration(text).map_err(|err| anyhow!(err))
}

fn one_line(err: &toml::de::Error) -> String {
    err.to_string()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locust_wave_reads_from_a_plan_file() {
        let text = r#"
            thresholds = ["p95<300ms"]
            [[stages]]
            duration = "30s"
            users = 10
            spawn-rate = 2
            [[stages]]
            duration = "1m"
            users = 50
        "#;
        let plan = PlanFile::parse(text).expect("valid plan");
        let stages = plan.stages().expect("valid stages");
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0].spawn_rate, Some(2.0));
        assert_eq!(stages[1].duration, Duration::from_secs(60));
        assert_eq!(stages[1].spawn_rate, None);
        assert_eq!(plan.thresholds, ["p95<300ms"]);
    }

    #[test]
    fn the_example_wave_plan_matches_the_wave_as_flags() {
        let text = include_str!("../../../examples/plans/locust_wave.toml");
        let plan = PlanFile::parse(text).expect("the example plan is valid");
        let flags =
            crate::plan::parse_stages("30s:10:2,60s:50:5,30s:20:2,40s:80:10,20s:30:3,30s:0:5")
                .expect("valid stages");
        assert_eq!(plan.stages().expect("valid stages"), flags);
        assert_eq!(plan.thresholds, ["p95<300ms", "error_rate<1%"]);
    }

    #[test]
    fn mistakes_are_named() {
        let unknown = PlanFile::parse("userz = 3").expect_err("unknown key");
        assert!(unknown.to_string().contains("userz"), "{unknown}");
        let bad_duration = PlanFile::parse("run-time = \"5 parsecs\"").expect_err("bad duration");
        assert!(
            bad_duration.to_string().contains("5 parsecs"),
            "{bad_duration}"
        );
        let bad_rate = PlanFile::parse("[[rate-stages]]\nduration = \"1s\"\nrate = \"x\"")
            .expect_err("bad rate");
        assert!(bad_rate.to_string().contains("`x`"), "{bad_rate}");
    }

    #[test]
    fn values_the_command_line_refuses_are_refused_here_too() {
        for (text, says) in [
            ("users = 0", "users must be at least 1"),
            ("max-users = 0", "max-users must be at least 1"),
            ("spawn-rate = 0", "spawn-rate must be a positive number"),
            ("spawn-rate = -2.5", "spawn-rate must be a positive number"),
            ("run-time = \"0s\"", "is zero"),
            (
                "users = 3\n[[stages]]\nduration = \"1s\"\nusers = 2",
                "cannot be combined",
            ),
        ] {
            let err = PlanFile::parse(text).expect_err(text);
            assert!(err.to_string().contains(says), "{text}: {err}");
        }
        assert!(PlanFile::parse("users = 1\nspawn-rate = 0.5").is_ok());
    }
}
