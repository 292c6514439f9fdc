//! What a user does next: a weighted task pick drawn from the user's seeded generator, or
//! the next task of a sequence; and the wait after it.

use rand::Rng;

use crate::bindings::{TaskOrder, UserInfo};

/// Picks tasks in proportion to their weights, or in order.
#[derive(Debug, Clone)]
pub struct TaskPicker {
    /// Running totals of the weights, one per task.
    cumulative: Vec<u64>,
    names: Vec<String>,
    /// Tasks run in the order listed, whatever their weights.
    sequential: bool,
}

impl TaskPicker {
    /// A picker for a validated user (at least one task with a weight above 0).
    pub fn new(user: &UserInfo) -> Self {
        let mut total = 0;
        let cumulative = user
            .tasks
            .iter()
            .map(|task| {
                total += u64::from(task.weight);
                total
            })
            .collect();
        let names = user.tasks.iter().map(|task| task.name.clone()).collect();
        let sequential = user.order == TaskOrder::Sequential;
        Self {
            cumulative,
            names,
            sequential,
        }
    }

    /// The index of the next task of a user that has started `started` tasks.
    pub fn pick(&self, started: u64, rng: &mut impl Rng) -> u32 {
        if self.sequential {
            let tasks = self.names.len().max(1) as u64;
            return (started % tasks) as u32;
        }
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let ticket = rng.random_range(0..total);
        self.cumulative.partition_point(|&upto| upto <= ticket) as u32
    }

    /// The name of task `index`.
    pub fn name(&self, index: u32) -> &str {
        self.names
            .get(index as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }
}

pub use crate::vu::wait_after;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn user(weights: &[u32]) -> UserInfo {
        crate::test_support::user(weights, crate::bindings::WaitTime::None)
    }

    #[test]
    fn picks_follow_the_weights() {
        let picker = TaskPicker::new(&user(&[4, 3, 2, 1]));
        let mut rng = SmallRng::seed_from_u64(1);
        let mut counts = [0u32; 4];
        for _ in 0..100_000 {
            counts[picker.pick(0, &mut rng) as usize] += 1;
        }
        for (i, expected) in [40_000.0, 30_000.0, 20_000.0, 10_000.0].iter().enumerate() {
            let share = f64::from(counts[i]);
            assert!((share - expected).abs() < expected * 0.03, "{counts:?}");
        }
    }

    #[test]
    fn zero_weight_tasks_are_never_picked() {
        let picker = TaskPicker::new(&user(&[0, 1, 0]));
        let mut rng = SmallRng::seed_from_u64(2);
        assert!((0..1000).all(|_| picker.pick(0, &mut rng) == 1));
        assert_eq!(picker.name(1), "t1");
    }

    #[test]
    fn the_same_seed_picks_the_same_tasks() {
        let picker = TaskPicker::new(&user(&[1, 1, 1]));
        let picks = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..50)
                .map(|_| picker.pick(0, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(picks(9), picks(9));
        assert_ne!(picks(9), picks(10));
    }

    #[test]
    fn a_sequence_runs_its_tasks_in_order_whatever_their_weights() {
        let mut sequence = user(&[5, 0, 1]);
        sequence.order = TaskOrder::Sequential;
        let picker = TaskPicker::new(&sequence);
        let mut rng = SmallRng::seed_from_u64(4);
        let picks: Vec<u32> = (0..7)
            .map(|started| picker.pick(started, &mut rng))
            .collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
    }
}
