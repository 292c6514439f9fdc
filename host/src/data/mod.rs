//! Test data for scenarios (Gatling's feeders, k6's `SharedArray`): files given with
//! `--data NAME=FILE`, read once in the host, and handed to users a row at a time by the
//! strategy each call names. The guest sees rows, never files.
//!
//! `next` and `circular` share one sequence across all users; across shards, shard `I` of
//! `N` hands out rows `I`, `I + N`, … so each row still goes out once in the whole run.

mod load;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::plan::Shard;

/// How a row is picked (the WIT `data.pick`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Each row once, from one shared queue; the run stops when it is empty.
    Next,
    /// One shared sequence that wraps around.
    Circular,
    /// Drawn with the user's seeded generator.
    Random,
    /// The row of the user's id.
    PerUser,
}

/// Why no row came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRow {
    /// No data set of this name.
    Unknown(String),
    /// The queue is empty, or the user has no row.
    Exhausted(String),
}

/// One data file's rows and its shared position.
#[derive(Debug)]
struct DataSet {
    rows: Vec<Box<str>>,
    /// Rows handed out by `next` and `circular` so far (this shard's).
    taken: AtomicU64,
}

/// The data sets of a run.
#[derive(Debug, Default)]
pub struct DataSets {
    sets: BTreeMap<String, DataSet>,
    shard: Shard,
    /// Cancelled when a `next` queue runs out: the run stops.
    exhausted: CancellationToken,
}

impl DataSets {
    /// Reads every `NAME=FILE`; refused in one line when a file is missing, unreadable or
    /// malformed, or a name is given twice.
    pub fn load(files: &[(String, PathBuf)], shard: Shard) -> anyhow::Result<Self> {
        let mut sets = BTreeMap::new();
        for (name, path) in files {
            let rows = load::read_rows(name, path)?;
            let set = DataSet {
                rows,
                taken: AtomicU64::new(0),
            };
            if sets.insert(name.clone(), set).is_some() {
                anyhow::bail!("--data {name} is given twice: give each data set one file");
            }
        }
        Ok(Self {
            sets,
            shard,
            exhausted: CancellationToken::new(),
        })
    }

    /// The names given, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sets.keys().map(String::as_str)
    }

    /// Refuses a scenario that reads a data set nobody gave, naming the flag.
    pub fn check_needs(&self, user: &str, needs: &[String]) -> anyhow::Result<()> {
        match needs.iter().find(|name| !self.sets.contains_key(*name)) {
            Some(name) => anyhow::bail!(
                "user `{user}` reads the data set `{name}`: give it with --data {name}=FILE (a .csv with a header row, or .jsonl), or `[data] {name} = \"FILE\"` in the plan"
            ),
            None => Ok(()),
        }
    }

    /// Resolves once a `next` queue has run out.
    pub fn exhausted(&self) -> CancellationToken {
        self.exhausted.clone()
    }

    /// How many rows `name` holds: this shard's share for the shared sequences.
    pub fn len(&self, name: &str) -> Option<u64> {
        let set = self.sets.get(name)?;
        Some(self.shard.share(set.rows.len() as u64))
    }

    /// A row of `name` for user `vu_id`, picked by `pick`.
    pub fn row(
        &self,
        name: &str,
        pick: Pick,
        vu_id: u32,
        rng: &mut impl Rng,
    ) -> Result<&str, NoRow> {
        let Some(set) = self.sets.get(name) else {
            return Err(NoRow::Unknown(format!(
                "no data set `{name}`: give it with --data {name}=FILE and declare it with the user's data"
            )));
        };
        let total = set.rows.len() as u64;
        let index = match pick {
            Pick::Random => rng.random_range(0..total),
            Pick::PerUser if u64::from(vu_id) < total => u64::from(vu_id),
            Pick::PerUser => {
                return Err(NoRow::Exhausted(format!(
                    "data set `{name}` has {total} rows, none for user {vu_id}: give a row per user"
                )))
            }
            Pick::Next | Pick::Circular => {
                let share = self.shard.share(total);
                let taken = set.taken.fetch_add(1, Ordering::Relaxed);
                if pick == Pick::Next && taken >= share {
                    self.exhausted.cancel();
                    return Err(NoRow::Exhausted(format!(
                        "data set `{name}` ran out: its {total} rows were all handed out"
                    )));
                }
                if share == 0 {
                    // More shards than rows: this shard's stripe is empty, so it wraps over
                    // the whole set.
                    taken % total
                } else {
                    u64::from(self.shard.index) + taken % share * u64::from(self.shard.count)
                }
            }
        };
        Ok(&set.rows[index as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn sets(rows: usize, shard: Shard) -> DataSets {
        let rows = (0..rows).map(|i| format!("{{\"i\":{i}}}").into()).collect();
        let mut sets = BTreeMap::new();
        sets.insert(
            "d".to_string(),
            DataSet {
                rows,
                taken: AtomicU64::new(0),
            },
        );
        DataSets {
            sets,
            shard,
            exhausted: CancellationToken::new(),
        }
    }

    fn index_of(row: &str) -> u64 {
        let value: serde_json::Value = serde_json::from_str(row).expect("JSON");
        value["i"].as_u64().expect("an index")
    }

    #[test]
    fn next_hands_each_row_out_once_across_shards_then_stops_the_run() {
        let mut rng = SmallRng::seed_from_u64(1);
        let mut seen = Vec::new();
        for index in 0..3 {
            let shard = Shard { index, count: 3 };
            let sets = sets(10, shard);
            while let Ok(row) = sets.row("d", Pick::Next, 0, &mut rng) {
                seen.push(index_of(row));
            }
            assert!(
                sets.exhausted().is_cancelled(),
                "the empty queue stops the run"
            );
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn circular_wraps_and_per_user_follows_the_id() {
        let mut rng = SmallRng::seed_from_u64(2);
        let sets = sets(3, Shard::WHOLE);
        let circular: Vec<u64> = (0..7)
            .map(|_| index_of(sets.row("d", Pick::Circular, 0, &mut rng).expect("a row")))
            .collect();
        assert_eq!(circular, [0, 1, 2, 0, 1, 2, 0]);
        assert!(!sets.exhausted().is_cancelled());
        let second = sets.row("d", Pick::PerUser, 2, &mut rng).expect("a row");
        assert_eq!(index_of(second), 2);
        assert!(matches!(
            sets.row("d", Pick::PerUser, 3, &mut rng),
            Err(NoRow::Exhausted(_))
        ));
        assert!(matches!(
            sets.row("other", Pick::Random, 0, &mut rng),
            Err(NoRow::Unknown(_))
        ));
    }

    #[test]
    fn a_shard_without_rows_of_its_own_wraps_over_the_whole_set() {
        let mut rng = SmallRng::seed_from_u64(3);
        let sets = sets(2, Shard { index: 4, count: 5 });
        let rows: Vec<u64> = (0..3)
            .map(|_| index_of(sets.row("d", Pick::Circular, 0, &mut rng).expect("a row")))
            .collect();
        assert_eq!(rows, [0, 1, 0]);
        assert!(
            sets.row("d", Pick::Next, 0, &mut rng).is_err(),
            "no row of its own"
        );
    }

    #[test]
    fn random_rows_follow_the_seed() {
        let sets = sets(50, Shard::WHOLE);
        let draws = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..20)
                .map(|_| index_of(sets.row("d", Pick::Random, 0, &mut rng).expect("a row")))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(5), draws(5));
        assert_ne!(draws(5), draws(6));
    }

    #[test]
    fn a_scenario_that_reads_a_missing_set_is_refused() {
        let sets = sets(1, Shard::WHOLE);
        assert!(sets.check_needs("U", &["d".into()]).is_ok());
        let err = sets
            .check_needs("U", &["users".into()])
            .expect_err("missing");
        assert!(err.to_string().contains("--data users=FILE"), "{err}");
    }
}
