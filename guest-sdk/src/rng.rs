//! Seeded randomness. Every value comes from the host's per-user generator
//! (the `runtime.random` import, seeded from `--seed`), so a run can be
//! reproduced exactly; nothing here uses an entropy source of its own.

use std::ops::{Range, RangeInclusive};

use crate::wit::wasmload::scenario::runtime;

/// The next raw value of this user's random generator.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let request_id = format!("{:016x}", random_u64());
/// ```
pub fn random_u64() -> u64 {
    runtime::random()
}

/// A float uniformly drawn from `[0, 1)`.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let jitter = Duration::from_secs_f64(0.5 * random_f64());
/// ```
pub fn random_f64() -> f64 {
    unit_f64(random_u64())
}

/// `true` with probability `p` (clamped to `[0, 1]`; NaN counts as 0). It
/// always draws exactly one value, whatever `p` is.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let email_notifications = random_bool(0.5); // like random.choice([True, False])
/// if random_bool(0.2) {
///     log_debug("the unlucky 20%");
/// }
/// ```
pub fn random_bool(p: f64) -> bool {
    random_f64() < p
}

/// An integer drawn uniformly from a range: `lo..=hi` (both ends included,
/// like Python's `random.randint(lo, hi)`) or `lo..hi`. Works for every
/// primitive integer type up to 64 bits.
///
/// # Panics
///
/// If the range is empty.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let customer_id = random_range(1000..=1500); // random.randint(1000, 1500)
/// let page: u8 = random_range(1..10);
/// ```
pub fn random_range<T, R>(range: R) -> T
where
    T: SampleInt,
    R: SampleRange<T>,
{
    let (lo, hi) = range.inclusive_bounds();
    sample_inclusive(lo, hi, &mut random_u64)
}

/// A uniformly chosen element of a non-empty slice, like Python's
/// `random.choice`.
///
/// # Panics
///
/// If `items` is empty.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let priority = choose(&["low", "medium", "high"]);
/// let (user, password) = choose(&[("loadtest1@example.com", "TestPass123!"), ("loadtest2@example.com", "TestPass123!")]);
/// ```
pub fn choose<T>(items: &[T]) -> &T {
    assert!(!items.is_empty(), "choose() needs a non-empty slice");
    let index = sample_inclusive(0usize, items.len() - 1, &mut random_u64);
    &items[index]
}

/// `len` random lowercase hexadecimal digits, for example an 8-digit suffix
/// like Python's `uuid.uuid4().hex[:8]`.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// let subject = format!("Payment issue {}", random_hex(8));
/// ```
pub fn random_hex(len: usize) -> String {
    hex_from(len, &mut random_u64)
}

/// An integer type that [`random_range`] can draw: every primitive integer up
/// to 64 bits. It cannot be implemented outside this crate.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
/// use wasmload_guest::SampleInt;
///
/// fn pick<T: SampleInt>(lo: T, hi: T) -> T {
///     random_range(lo..=hi)
/// }
/// let delta: i16 = pick(-5, 5);
/// ```
pub trait SampleInt: Copy + PartialOrd + sealed::Sealed {
    /// Maps to `u64` preserving order.
    #[doc(hidden)]
    fn to_ordered_u64(self) -> u64;
    /// The inverse of `to_ordered_u64`.
    #[doc(hidden)]
    fn from_ordered_u64(value: u64) -> Self;
}

/// A range that [`random_range`] accepts: `lo..hi` or `lo..=hi`.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
/// use wasmload_guest::{SampleInt, SampleRange};
///
/// fn roll<R: SampleRange<u8>>(range: R) -> u8 {
///     random_range(range)
/// }
/// let a = roll(1..=6);
/// let b = roll(1..7);
/// ```
pub trait SampleRange<T: SampleInt>: sealed::Sealed {
    /// Both ends, inclusive; panics if the range is empty.
    #[doc(hidden)]
    fn inclusive_bounds(self) -> (T, T);
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! sample_int {
    (unsigned: $($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl SampleInt for $t {
            fn to_ordered_u64(self) -> u64 {
                self as u64
            }
            fn from_ordered_u64(value: u64) -> Self {
                value as $t
            }
        }
    )*};
    (signed: $($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl SampleInt for $t {
            fn to_ordered_u64(self) -> u64 {
                (self as i64 as u64) ^ (1 << 63)
            }
            fn from_ordered_u64(value: u64) -> Self {
                (value ^ (1 << 63)) as i64 as $t
            }
        }
    )*};
}

sample_int!(unsigned: u8, u16, u32, u64, usize);
sample_int!(signed: i8, i16, i32, i64, isize);

impl<T: SampleInt> sealed::Sealed for RangeInclusive<T> {}
impl<T: SampleInt> SampleRange<T> for RangeInclusive<T> {
    fn inclusive_bounds(self) -> (T, T) {
        let (lo, hi) = self.into_inner();
        assert!(lo <= hi, "random_range() needs a non-empty range");
        (lo, hi)
    }
}

impl<T: SampleInt> sealed::Sealed for Range<T> {}
impl<T: SampleInt> SampleRange<T> for Range<T> {
    fn inclusive_bounds(self) -> (T, T) {
        assert!(
            self.start < self.end,
            "random_range() needs a non-empty range"
        );
        let hi = T::from_ordered_u64(self.end.to_ordered_u64() - 1);
        (self.start, hi)
    }
}

/// 53 random bits as a float in `[0, 1)`.
fn unit_f64(raw: u64) -> f64 {
    (raw >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform in `[lo, hi]` without modulo bias (Lemire's multiply-and-reject).
fn sample_inclusive<T: SampleInt>(lo: T, hi: T, next: &mut impl FnMut() -> u64) -> T {
    let lo_u = lo.to_ordered_u64();
    let span = hi.to_ordered_u64().wrapping_sub(lo_u).wrapping_add(1);
    if span == 0 {
        // The whole 64-bit range.
        return T::from_ordered_u64(next());
    }
    let threshold = span.wrapping_neg() % span;
    loop {
        let product = u128::from(next()) * u128::from(span);
        if (product as u64) >= threshold {
            let offset = (product >> 64) as u64;
            return T::from_ordered_u64(lo_u.wrapping_add(offset));
        }
    }
}

fn hex_from(len: usize, next: &mut impl FnMut() -> u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(len);
    let mut bits = 0u64;
    for i in 0..len {
        if i % 16 == 0 {
            bits = next();
        }
        out.push(char::from(DIGITS[(bits & 0xf) as usize]));
        bits >>= 4;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64, standing in for the host's generator.
    fn splitmix(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn inclusive_ranges_cover_both_ends() {
        let mut next = splitmix(1);
        let mut seen = [false; 501];
        for _ in 0..20_000 {
            let v: i32 = sample_inclusive(1000, 1500, &mut next);
            assert!((1000..=1500).contains(&v));
            seen[(v - 1000) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn signed_and_extreme_ranges() {
        let mut next = splitmix(2);
        for _ in 0..1000 {
            let v: i8 = sample_inclusive(-3, 3, &mut next);
            assert!((-3..=3).contains(&v));
        }
        let v: i64 = sample_inclusive(i64::MIN, i64::MAX, &mut next);
        let _ = v;
        assert_eq!(sample_inclusive(7u8, 7u8, &mut next), 7);
        assert_eq!((5u32..6).inclusive_bounds(), (5, 5));
        assert_eq!((-2i32..0).inclusive_bounds(), (-2, -1));
    }

    #[test]
    #[should_panic(expected = "non-empty range")]
    fn empty_range_panics() {
        let _ = (3u8..3).inclusive_bounds();
    }

    #[test]
    fn unit_floats_stay_below_one() {
        assert_eq!(unit_f64(0), 0.0);
        assert!(unit_f64(u64::MAX) < 1.0);
    }

    #[test]
    fn hex_digits() {
        let mut next = splitmix(3);
        let hex = hex_from(40, &mut next);
        assert_eq!(hex.len(), 40);
        assert!(hex
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(hex_from(0, &mut next), "");
        let mut fixed = || 0x0123_4567_89ab_cdef_u64;
        assert_eq!(hex_from(4, &mut fixed), "fedc");
    }
}
