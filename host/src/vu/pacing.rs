//! How long a user waits between tasks (and between the steps of a sequence), under its
//! wait policy, drawn from its seeded generator.

use std::time::Duration;

use rand::Rng;

use crate::bindings::WaitTime;

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
