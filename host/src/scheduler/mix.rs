//! Several scenarios in one run: the interleaving that splits users between them by weight, as
//! Locust splits users across User classes.

/// The order in which scenarios take turns, one entry per unit of weight: smooth weighted
/// round-robin, so `3:1` gives `0, 0, 1, 0` rather than `0, 0, 0, 1`.
pub fn weighted_pattern(weights: &[u32]) -> Vec<u16> {
    let total: i64 = weights.iter().map(|&w| i64::from(w)).sum();
    let mut current = vec![0i64; weights.len()];
    let mut pattern = Vec::with_capacity(total.max(0) as usize);
    for _ in 0..total {
        for (credit, &weight) in current.iter_mut().zip(weights) {
            *credit += i64::from(weight);
        }
        let Some((best, _)) = current
            .iter()
            .enumerate()
            .max_by_key(|&(index, &credit)| (credit, std::cmp::Reverse(index)))
        else {
            break;
        };
        current[best] -= total;
        pattern.push(best as u16);
    }
    pattern
}

/// The scenario whose turn the `nth` user (or iteration) is, in `pattern`.
pub fn turn(pattern: &[u16], nth: u64) -> u16 {
    let len = pattern.len().max(1) as u64;
    pattern.get((nth % len) as usize).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_split_by_weight_in_every_prefix() {
        assert_eq!(weighted_pattern(&[3, 1]), [0, 0, 1, 0]);
        assert_eq!(weighted_pattern(&[1]), [0]);
        for weights in [&[3, 1][..], &[1, 2, 1], &[5, 3, 2], &[1, 1, 1, 7], &[10, 1]] {
            let pattern = weighted_pattern(weights);
            let total: u32 = weights.iter().sum();
            assert_eq!(pattern.len(), total as usize);
            for prefix in 1..=pattern.len() {
                for (scenario, &weight) in weights.iter().enumerate() {
                    let taken = pattern[..prefix]
                        .iter()
                        .filter(|&&s| usize::from(s) == scenario)
                        .count() as f64;
                    let share = prefix as f64 * f64::from(weight) / f64::from(total);
                    assert!(
                        (taken - share).abs() < 1.0 + 1e-9,
                        "{weights:?}: scenario {scenario} has {taken} of the first {prefix}, share {share}"
                    );
                }
            }
        }
    }
}
