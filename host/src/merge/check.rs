//! Whether summaries are the shards of one run, each once: the same plan (seed, host,
//! scenarios and their components' SHA-256, parameters), the same shard count, and every
//! index from 0 to N−1.

use anyhow::bail;

use crate::report::summary_in::{ConfigIn, ScenarioIn, SummaryFile, SummaryIn};

/// What makes a run the run it is, as its summaries (or its shards' greetings) record it.
#[derive(Debug, Clone, Copy)]
pub struct RunIdentity<'a> {
    /// `--seed`.
    pub seed: u64,
    /// `--host`.
    pub host: &'a str,
    /// The scenarios, with their components' SHA-256.
    pub scenarios: &'a [ScenarioIn],
    /// The run's parameters.
    pub config: &'a ConfigIn,
}

impl<'a> RunIdentity<'a> {
    /// The identity a summary records.
    pub fn of(summary: &'a SummaryIn) -> Self {
        Self {
            seed: summary.seed,
            host: &summary.host,
            scenarios: &summary.scenarios,
            config: &summary.config,
        }
    }
}

/// The first summary, once every summary is known to be a different shard of the same run
/// and none is missing; else one line naming the files and what differs.
pub fn one_whole_run(files: &[SummaryFile]) -> anyhow::Result<&SummaryIn> {
    let Some(first) = files.first() else {
        bail!("give the JSON summaries of every shard of the run");
    };
    for other in &files[1..] {
        let (a, b) = (&first.summary, &other.summary);
        if let Some(difference) = difference(RunIdentity::of(a), RunIdentity::of(b)) {
            bail!(
                "{} and {} are not shards of one run: {difference}",
                first.path.display(),
                other.path.display()
            );
        }
    }
    let count = first.summary.config.shard.count;
    for index in 0..count {
        let holders: Vec<String> = files
            .iter()
            .filter(|file| file.summary.config.shard.index == index)
            .map(|file| file.path.display().to_string())
            .collect();
        match holders.len() {
            1 => {}
            0 => bail!(
                "shard {index} of {count} is missing: give the summaries of all {count} shards"
            ),
            _ => bail!(
                "shard {index} of {count} is given twice ({}): give each shard once",
                holders.join(", ")
            ),
        }
    }
    Ok(&first.summary)
}

/// What tells two shards apart as runs, if anything (the shard index and the shard's share
/// of the iterations may differ).
pub fn difference(a: RunIdentity<'_>, b: RunIdentity<'_>) -> Option<String> {
    let differs = |what: &str, x: String, y: String| {
        (x != y).then(|| format!("their {what} differ ({x} and {y})"))
    };
    let scenarios = |run: RunIdentity<'_>| {
        run.scenarios
            .iter()
            .map(|scenario| {
                let libraries: String = scenario
                    .libraries
                    .iter()
                    .map(|library| format!(" with {} ({})", library.file, library.sha256))
                    .collect();
                format!(
                    "{}:{} ({}){libraries}",
                    scenario.user, scenario.weight, scenario.sha256
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut config_a = a.config.clone();
    let mut config_b = b.config.clone();
    for config in [&mut config_a, &mut config_b] {
        config.iterations = None;
        config.shard.index = 0;
    }
    let run_id = |run: RunIdentity<'_>| run.config.run_id.clone().unwrap_or_else(|| "none".into());
    differs("run ids", run_id(a), run_id(b))
        .or_else(|| {
            differs(
                "shard counts",
                a.config.shard.count.to_string(),
                b.config.shard.count.to_string(),
            )
        })
        .or_else(|| differs("seeds", a.seed.to_string(), b.seed.to_string()))
        .or_else(|| differs("scenarios", scenarios(a), scenarios(b)))
        .or_else(|| differs("hosts", a.host.to_string(), b.host.to_string()))
        .or_else(|| {
            differs(
                "parameters",
                format!("{config_a:?}"),
                format!("{config_b:?}"),
            )
        })
}
