//! Several scenarios in one run: `path[:weight]` arguments, and the interleaving that splits
//! users between them by weight, as Locust splits users across User classes.

use std::path::PathBuf;

/// Parses a scenario argument: `login_flow.wasm`, or `login_flow.wasm:3` for a weight of 3.
pub fn parse_scenario_arg(text: &str) -> Result<(PathBuf, u32), String> {
    if let Some((path, weight)) = text.rsplit_once(':') {
        if !weight.is_empty() && weight.chars().all(|c| c.is_ascii_digit()) {
            let weight: u32 = weight
                .parse()
                .map_err(|_| format!("`{weight}` in `{text}` is too large a weight"))?;
            if weight == 0 {
                return Err(format!("`{text}`: a scenario's weight must be at least 1"));
            }
            if path.is_empty() {
                return Err(format!("`{text}` names no scenario"));
            }
            return Ok((PathBuf::from(path), weight));
        }
    }
    Ok((PathBuf::from(text), 1))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_a_colon() {
        assert_eq!(
            parse_scenario_arg("a.wasm:3"),
            Ok((PathBuf::from("a.wasm"), 3))
        );
        assert_eq!(
            parse_scenario_arg("a.wasm"),
            Ok((PathBuf::from("a.wasm"), 1))
        );
        assert_eq!(
            parse_scenario_arg("dir:name/a.wasm"),
            Ok((PathBuf::from("dir:name/a.wasm"), 1))
        );
        assert!(parse_scenario_arg("a.wasm:0").is_err());
        assert!(parse_scenario_arg(":3").is_err());
    }

    #[test]
    fn users_are_split_by_weight_in_every_prefix() {
        let pattern = weighted_pattern(&[3, 1]);
        assert_eq!(pattern, [0, 0, 1, 0]);
        let pattern = weighted_pattern(&[1, 2, 1]);
        assert_eq!(pattern.len(), 4);
        assert_eq!(pattern.iter().filter(|&&s| s == 1).count(), 2);
        assert_eq!(weighted_pattern(&[1]), [0]);
    }
}
