//! A row's latency distribution. Its first samples are kept as they are, so a row seen a few
//! times (a URL with an id in it, say) costs a few hundred bytes; past them they go into an
//! HDR histogram that grows with the slowest sample. Both answer percentiles the same way.

use std::borrow::Cow;
use std::sync::LazyLock;

use hdrhistogram::{CreationError, Histogram};

/// Samples kept as they are before a row switches to a histogram (1 KiB of them).
const FEW: usize = 256;
/// The range a new histogram covers before it grows: it grows on demand, so a row costs
/// memory in proportion to its slowest request, not to the hour it could track.
const INITIAL_HIGH_US: u64 = 2;
/// Significant decimal digits kept by the histogram (0.1% relative error).
const SIGNIFICANT_DIGITS: u8 = 3;

/// The layout every row's histogram has (an error only if hdrhistogram refused it).
static LAYOUT: LazyLock<Result<Histogram<u64>, CreationError>> = LazyLock::new(|| {
    let mut layout = Histogram::new_with_bounds(1, INITIAL_HIGH_US, SIGNIFICANT_DIGITS)?;
    layout.auto(true);
    Ok(layout)
});

/// Latencies in microseconds, each at least 1 and at most `u32::MAX`.
#[derive(Debug, Clone)]
pub enum Latencies {
    /// The samples themselves.
    Few(Vec<u32>),
    /// A histogram of them.
    Many(Histogram<u64>),
}

impl Latencies {
    /// No samples; refused only if the histogram layout is.
    pub fn new() -> Result<Self, CreationError> {
        LAYOUT.as_ref().map_err(Clone::clone)?;
        Ok(Self::Few(Vec::new()))
    }

    /// Latencies given as `(value, count)` pairs (as [`recorded`](Self::recorded) lists them):
    /// kept as they are when few, else in a histogram.
    pub fn from_recorded(pairs: &[(u64, u64)]) -> Result<Self, CreationError> {
        let total = pairs
            .iter()
            .try_fold(0u64, |total, &(_, count)| total.checked_add(count))
            .unwrap_or(u64::MAX);
        let clamp = |value: u64| value.clamp(1, u64::from(u32::MAX)) as u32;
        if total <= FEW as u64 {
            let samples = pairs
                .iter()
                .flat_map(|&(value, count)| std::iter::repeat_n(clamp(value), count as usize))
                .collect();
            return Ok(Self::Few(samples));
        }
        let mut histogram = histogram_of(&[])?;
        for &(value, count) in pairs {
            record(&mut histogram, clamp(value), count);
        }
        Ok(Self::Many(histogram))
    }

    /// Every latency with how often it was recorded, smallest first: exact values while
    /// they are few, each histogram bucket's highest value after.
    pub fn recorded(&self) -> Vec<(u64, u64)> {
        match self {
            Self::Few(samples) => {
                let mut sorted = samples.clone();
                sorted.sort_unstable();
                let mut pairs: Vec<(u64, u64)> = Vec::new();
                for micros in sorted {
                    match pairs.last_mut() {
                        Some((value, count)) if *value == u64::from(micros) => *count += 1,
                        _ => pairs.push((u64::from(micros), 1)),
                    }
                }
                pairs
            }
            Self::Many(histogram) => histogram
                .iter_recorded()
                .map(|value| (value.value_iterated_to(), value.count_at_value()))
                .collect(),
        }
    }

    /// Records one latency (already clamped to the tracked range).
    pub fn record(&mut self, micros: u32) {
        match self {
            Self::Few(samples) if samples.len() < FEW => samples.push(micros),
            Self::Few(samples) => match histogram_of(samples) {
                Ok(mut histogram) => {
                    record(&mut histogram, micros, 1);
                    *self = Self::Many(histogram);
                }
                Err(_) => samples.push(micros),
            },
            Self::Many(histogram) => record(histogram, micros, 1),
        }
    }

    /// Adds `other`'s samples, exactly.
    pub fn merge(&mut self, other: &Latencies) {
        match other {
            Self::Few(theirs) => theirs.iter().for_each(|&micros| self.record(micros)),
            Self::Many(theirs) => {
                if let Self::Few(samples) = self {
                    match histogram_of(samples) {
                        Ok(histogram) => *self = Self::Many(histogram),
                        Err(_) => return,
                    }
                }
                if let Self::Many(histogram) = self {
                    if histogram.add(theirs).is_err() {
                        for value in theirs.iter_recorded() {
                            let micros = value.value_iterated_to().min(u64::from(u32::MAX));
                            record(histogram, micros as u32, value.count_at_value());
                        }
                    }
                }
            }
        }
    }

    /// The latency at `percentile` (0..=100) as the histogram reports it: the highest value
    /// its bucket holds; zero when empty.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let samples = match self {
            Self::Many(histogram) => return histogram.value_at_percentile(percentile),
            Self::Few(samples) if samples.is_empty() => return 0,
            Self::Few(samples) => samples,
        };
        let quantile = (percentile / 100.0).min(1.0);
        let rank = ((quantile * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        let mut sorted = samples.clone();
        let (_, value, _) = sorted.select_nth_unstable(rank - 1);
        let value = u64::from(*value);
        match LAYOUT.as_ref() {
            Ok(layout) if quantile == 0.0 => layout.lowest_equivalent(value),
            Ok(layout) => layout.highest_equivalent(value),
            Err(_) => value,
        }
    }

    /// The samples as a histogram, for exports that serialize it.
    pub fn histogram(&self) -> Result<Cow<'_, Histogram<u64>>, CreationError> {
        Ok(match self {
            Self::Many(histogram) => Cow::Borrowed(histogram),
            Self::Few(samples) => Cow::Owned(histogram_of(samples)?),
        })
    }

    /// Heap bytes the samples take.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Few(samples) => samples.capacity() * std::mem::size_of::<u32>(),
            Self::Many(histogram) => histogram.distinct_values() * std::mem::size_of::<u64>(),
        }
    }
}

/// A histogram of the row's layout holding `samples`.
fn histogram_of(samples: &[u32]) -> Result<Histogram<u64>, CreationError> {
    let mut histogram = Histogram::new_from(LAYOUT.as_ref().map_err(Clone::clone)?);
    histogram.auto(true);
    for &micros in samples {
        record(&mut histogram, micros, 1);
    }
    Ok(histogram)
}

fn record(histogram: &mut Histogram<u64>, micros: u32, count: u64) {
    let value = u64::from(micros);
    if histogram.record_n(value, count).is_err() {
        histogram.saturating_record_n(value, count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn few(values: &[u32]) -> Latencies {
        let mut latencies = Latencies::new().expect("a valid layout");
        values.iter().for_each(|&value| latencies.record(value));
        latencies
    }

    #[test]
    fn samples_kept_as_they_are_report_what_a_histogram_would() {
        let values: Vec<u32> = (0..200u32)
            .map(|i| 1 + i.wrapping_mul(2_654_435_761) % 5_000_000)
            .collect();
        let kept = few(&values);
        assert!(matches!(kept, Latencies::Few(_)));
        let histogram = kept.histogram().expect("a histogram").into_owned();
        for percentile in [0.0, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0] {
            assert_eq!(
                kept.value_at_percentile(percentile),
                histogram.value_at_percentile(percentile),
                "p{percentile}"
            );
        }
    }

    #[test]
    fn a_row_seen_a_few_times_costs_a_few_hundred_bytes_and_a_busy_one_a_histogram() {
        let rare = few(&[150, 900, 4_000, 12_000]);
        assert!(rare.heap_bytes() <= 64, "{} bytes", rare.heap_bytes());
        let full = few(&[1_000; FEW]);
        assert!(full.heap_bytes() <= 1 << 10, "{} bytes", full.heap_bytes());
        let busy = few(&[1_000; FEW + 1]);
        assert!(matches!(busy, Latencies::Many(_)));
        assert_eq!(busy.histogram().expect("a histogram").len(), FEW as u64 + 1);
    }

    #[test]
    fn merging_mixes_kept_samples_and_histograms_exactly() {
        let many: Vec<u32> = (1..=1_000).collect();
        let mut merged = few(&[5, 70_000]);
        merged.merge(&few(&many));
        let mut other_way = few(&many);
        other_way.merge(&few(&[5, 70_000]));
        let mut all = many.clone();
        all.extend([5, 70_000]);
        let all = few(&all);
        for percentile in [50.0, 99.0, 100.0] {
            let expected = all.value_at_percentile(percentile);
            assert_eq!(merged.value_at_percentile(percentile), expected);
            assert_eq!(other_way.value_at_percentile(percentile), expected);
        }
        assert_eq!(merged.histogram().expect("a histogram").len(), 1_002);
    }
}
