//! Shards: one run split across processes or machines so that together they make exactly
//! the load of one process. Shard `index` of `count` takes every `count`-th user and
//! iteration of the whole run, starting at `index` (user ids and arrival-rate iterations
//! `g` with `g mod count == index`), so every split sums to the whole, ids and seeds stay
//! those of a single process, and a shard's users start when they would have in one.

use super::shape::{Shape, Stage, Step};

/// The environment variable Kubernetes' Indexed Jobs set to the pod's completion index.
pub const SHARD_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// Which part of a run this process makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// How many shards the run has.
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Self::WHOLE
    }
}

impl Shard {
    /// The whole run in one process.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether this process makes the whole run.
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// This shard's part of `total` users or iterations: those numbered `index`,
    /// `index + count`, … below `total`.
    pub fn share(self, total: u64) -> u64 {
        let (index, count) = (u64::from(self.index), u64::from(self.count));
        total.saturating_sub(index).div_ceil(count)
    }

    /// [`share`](Self::share) of a user count.
    pub fn share_users(self, total: u32) -> u32 {
        u32::try_from(self.share(u64::from(total))).unwrap_or(u32::MAX)
    }

    /// This shard's part of a rate (users started, iterations, per second).
    pub fn rate(self, rate: f64) -> f64 {
        rate / f64::from(self.count)
    }

    /// The run-wide number of this shard's `local`-th user or iteration.
    pub fn global(self, local: u64) -> u64 {
        local * u64::from(self.count) + u64::from(self.index)
    }

    /// When this shard's first user starts, given the shard's own `interval` between users:
    /// user `index` of a single process starts `index` run-wide intervals after the first.
    pub fn first_start(self, interval: std::time::Duration) -> std::time::Duration {
        interval * self.index / self.count
    }

    /// The run-wide id of this shard's `local`-th user: ids, and so seeds and scenarios,
    /// are those the user has in a single process.
    pub fn user_id(self, local: u32) -> u32 {
        u32::try_from(self.global(u64::from(local))).unwrap_or(u32::MAX)
    }

    /// This shard's part of a step of a closed-model shape.
    pub fn step(self, step: Step) -> Step {
        Step {
            users: self.share_users(step.users),
            spawn_rate: self.rate(step.spawn_rate),
        }
    }

    /// This shard's part of a host-computed shape, stage by stage.
    pub fn shape(self, shape: &Shape) -> Shape {
        match shape {
            Shape::Fixed(step) => Shape::Fixed(self.step(*step)),
            Shape::Stages(stages) => Shape::Stages(
                stages
                    .iter()
                    .map(|stage| Stage {
                        users: self.share_users(stage.users),
                        spawn_rate: stage.spawn_rate.map(|rate| self.rate(rate)),
                        ..*stage
                    })
                    .collect(),
            ),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shard {} of {}", self.index, self.count)
    }
}

/// Parses `--shard`: `I/N` (shard I of N, from 0), or `N` with the index taken from
/// `JOB_COMPLETION_INDEX`, as a Kubernetes Indexed Job sets it.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let (index, count) = match text.split_once('/') {
        Some((index, count)) => (index.trim().to_string(), count),
        None => {
            let index = std::env::var(SHARD_INDEX_ENV).map_err(|_| {
                format!("`{text}` gives no shard index and {SHARD_INDEX_ENV} is not set: write I/N (e.g. 0/{text})")
            })?;
            (index, text)
        }
    };
    let count: u32 = count
        .trim()
        .parse()
        .ok()
        .filter(|&count| count >= 1)
        .ok_or_else(|| format!("`{text}`: the shard count must be a whole number from 1"))?;
    let index: u32 = index
        .parse()
        .ok()
        .filter(|&index| index < count)
        .ok_or_else(|| {
            format!(
                "`{text}`: the shard index must be a whole number from 0 to {}",
                count - 1
            )
        })?;
    Ok(Shard { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shares_of_any_split_sum_to_the_whole_and_number_every_user_once() {
        for count in 1..=7u32 {
            for total in 0..=40u64 {
                let shards = (0..count).map(|index| Shard { index, count });
                let mut ids: Vec<u64> = shards
                    .flat_map(|shard| (0..shard.share(total)).map(move |local| shard.global(local)))
                    .collect();
                ids.sort_unstable();
                assert_eq!(
                    ids,
                    (0..total).collect::<Vec<_>>(),
                    "{total} split {count} ways"
                );
            }
        }
    }

    #[test]
    fn rates_and_stages_split_so_that_they_sum_to_the_whole() {
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        let stages = Shape::Stages(vec![
            Stage {
                duration: std::time::Duration::from_secs(10),
                users: 10,
                spawn_rate: Some(6.0),
            },
            Stage {
                duration: std::time::Duration::from_secs(5),
                users: 2,
                spawn_rate: None,
            },
        ]);
        let parts: Vec<Shape> = shards.iter().map(|shard| shard.shape(&stages)).collect();
        for (stage, users) in [(0, 10), (1, 2)] {
            let sum: u32 = parts
                .iter()
                .map(|part| match part {
                    Shape::Stages(stages) => stages[stage].users,
                    Shape::Fixed(_) => 0,
                })
                .sum();
            assert_eq!(sum, users);
        }
        let rates: f64 = shards.iter().map(|shard| shard.rate(6.0)).sum();
        assert!((rates - 6.0).abs() < 1e-9);
    }

    #[test]
    fn each_shard_starts_its_first_user_when_one_process_would() {
        // 10 users a second in one process: user k starts at k × 100 ms. Shard 2 of 4
        // starts a user every 400 ms, the first (user 2) at 200 ms.
        let shard = Shard { index: 2, count: 4 };
        let interval = std::time::Duration::from_secs_f64(1.0 / shard.rate(10.0));
        assert_eq!(
            shard.first_start(interval),
            std::time::Duration::from_millis(200)
        );
        assert_eq!(
            Shard::WHOLE.first_start(interval),
            std::time::Duration::ZERO
        );
    }

    #[test]
    fn shard_flags_parse_and_bad_ones_say_what_to_write() {
        assert_eq!(parse_shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(parse_shard("4/4").unwrap_err().contains("from 0 to 3"));
        assert!(parse_shard("1/0").unwrap_err().contains("from 1"));
        assert!(parse_shard("x/2").is_err());
    }
}
