//! Whether summaries are the shards of one run, each once: the same plan (seed, host,
//! scenarios and their components' SHA-256, parameters), the same shard count, and every
//! index from 0 to N−1.

use anyhow::bail;

use crate::report::summary_in::{SummaryFile, SummaryIn};

/// The first summary, once every summary is known to be a different shard of the same run
/// and none is missing; else one line naming the files and what differs.
pub fn one_whole_run(files: &[SummaryFile]) -> anyhow::Result<&SummaryIn> {
    let Some(first) = files.first() else {
        bail!("give the JSON summaries of every shard of the run");
    };
    for other in &files[1..] {
        if let Some(difference) = difference(&first.summary, &other.summary) {
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

/// What tells two summaries apart as runs, if anything (the shard index and the shard's
/// share of the iterations may differ).
fn difference(a: &SummaryIn, b: &SummaryIn) -> Option<String> {
    let differs = |what: &str, x: String, y: String| {
        (x != y).then(|| format!("their {what} differ ({x} and {y})"))
    };
    let scenarios = |summary: &SummaryIn| {
        summary
            .scenarios
            .iter()
            .map(|scenario| {
                format!(
                    "{}:{} ({})",
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
    differs(
        "shard counts",
        a.config.shard.count.to_string(),
        b.config.shard.count.to_string(),
    )
    .or_else(|| differs("seeds", a.seed.to_string(), b.seed.to_string()))
    .or_else(|| differs("scenarios", scenarios(a), scenarios(b)))
    .or_else(|| differs("hosts", a.host.clone(), b.host.clone()))
    .or_else(|| {
        differs(
            "parameters",
            format!("{config_a:?}"),
            format!("{config_b:?}"),
        )
    })
}
