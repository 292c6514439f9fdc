//! What a user does next: a weighted task pick and the wait after it, both drawn from the
//! user's seeded generator.

use std::time::Duration;

use rand::Rng;

use crate::bindings::{UserInfo, WaitTime};

/// Picks tasks in proportion to their weights.
#[derive(Debug, Clone)]
pub struct TaskPicker {
    /// Running totals of the weights, one per task.
    cumulative: Vec<u64>,
    names: Vec<String>,
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
        Self { cumulative, names }
    }

    /// The index of the next task.
    pub fn pick(&self, rng: &mut impl Rng) -> u32 {
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

/// How long to wait after a task that took `took`, under the user's wait policy.
pub fn wait_after(policy: &WaitTime, took: Duration, rng: &mut impl Rng) -> Duration {
    match *policy {
        WaitTime::None => Duration::ZERO,
        WaitTime::Constant(ms) => Duration::from_millis(u64::from(ms)),
        WaitTime::Between((min, max)) if min >= max => Duration::from_millis(u64::from(min)),
        WaitTime::Between((min, max)) => {
            Duration::from_millis(rng.random_range(u64::from(min)..=u64::from(max)))
        }
        WaitTime::ConstantPacing(ms) => Duration::from_millis(u64::from(ms)).saturating_sub(took),
        WaitTime::ConstantThroughput(per_second) => {
            Duration::from_secs_f64(1.0 / per_second).saturating_sub(took)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn user(weights: &[u32]) -> UserInfo {
        crate::test_support::user(weights, WaitTime::None)
    }

    #[test]
    fn picks_follow_the_weights() {
        let picker = TaskPicker::new(&user(&[4, 3, 2, 1]));
        let mut rng = SmallRng::seed_from_u64(1);
        let mut counts = [0u32; 4];
        for _ in 0..100_000 {
            counts[picker.pick(&mut rng) as usize] += 1;
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
        assert!((0..1000).all(|_| picker.pick(&mut rng) == 1));
        assert_eq!(picker.name(1), "t1");
    }

    #[test]
    fn the_same_seed_picks_the_same_tasks() {
        let picker = TaskPicker::new(&user(&[1, 1, 1]));
        let picks = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..50).map(|_| picker.pick(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(picks(9), picks(9));
        assert_ne!(picks(9), picks(10));
    }

    #[test]
    fn wait_policies_behave_like_locust() {
        let mut rng = SmallRng::seed_from_u64(3);
        let took = Duration::from_millis(300);
        assert_eq!(wait_after(&WaitTime::None, took, &mut rng), Duration::ZERO);
        assert_eq!(
            wait_after(&WaitTime::Constant(2000), took, &mut rng),
            Duration::from_secs(2)
        );
        for _ in 0..1000 {
            let wait = wait_after(&WaitTime::Between((1000, 3000)), took, &mut rng);
            assert!((Duration::from_secs(1)..=Duration::from_secs(3)).contains(&wait));
        }
        assert_eq!(
            wait_after(&WaitTime::ConstantPacing(1000), took, &mut rng),
            Duration::from_millis(700)
        );
        assert_eq!(
            wait_after(&WaitTime::ConstantPacing(100), took, &mut rng),
            Duration::ZERO
        );
        assert_eq!(
            wait_after(&WaitTime::ConstantThroughput(2.0), took, &mut rng),
            Duration::from_millis(200)
        );
    }
}
