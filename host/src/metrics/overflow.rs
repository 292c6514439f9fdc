//! A cap on distinct request rows: a scenario that puts ids in its URLs without `.name()`
//! would otherwise make a row, and a histogram, per URL until the generator runs out of
//! memory. Past the cap, new names are counted under one overflow row, and the first of them
//! are kept to say which.

use std::collections::BTreeMap;

use super::{RequestKey, RequestStats};

/// `--max-rows` when not given.
pub const DEFAULT_MAX_ROWS: usize = 1000;
/// The name requests get once the cap is reached.
pub const OVERFLOW_ROW: &str = "(other names)";
/// How many of the names past the cap are kept as examples.
const EXAMPLES: usize = 5;

/// Names that found no row of their own.
#[derive(Debug, Clone, Default)]
pub struct Overflow {
    /// The cap on distinct rows.
    pub max_rows: usize,
    /// Requests counted under [`OVERFLOW_ROW`].
    pub requests: u64,
    /// The first names that did not fit.
    pub examples: Vec<String>,
}

impl Overflow {
    /// No overflow yet, under a cap of `max_rows`.
    pub fn new(max_rows: usize) -> Self {
        Self {
            max_rows,
            ..Self::default()
        }
    }

    /// Counts one request of `name` that another's cap sent to the overflow row.
    pub fn note(&mut self, name: String) {
        self.requests += 1;
        if self.examples.len() < EXAMPLES && !self.examples.contains(&name) {
            self.examples.push(name);
        }
    }

    /// Adds what another part of the run (a shard) counted past its cap.
    pub fn absorb(&mut self, other: &Overflow) {
        self.requests += other.requests;
        for name in &other.examples {
            if self.examples.len() < EXAMPLES && !self.examples.contains(name) {
                self.examples.push(name.clone());
            }
        }
    }

    /// The key a request of `key` is counted under: its own, or the overflow row's when
    /// `rows` already holds `max_rows` others.
    pub fn admit(
        &mut self,
        rows: &BTreeMap<RequestKey, RequestStats>,
        key: RequestKey,
    ) -> RequestKey {
        if rows.len() < self.max_rows || key.name == OVERFLOW_ROW || rows.contains_key(&key) {
            return key;
        }
        if self.requests == 0 {
            tracing::warn!(
                "more than {} request names (--max-rows): `{}` and later new names are counted under `{OVERFLOW_ROW}`; \
                 give requests whose URLs carry ids one name, like .name(\"/api/v1/products/:id\")",
                self.max_rows,
                key.name
            );
        }
        self.requests += 1;
        if self.examples.len() < EXAMPLES && !self.examples.contains(&key.name) {
            self.examples.push(key.name.clone());
        }
        RequestKey {
            name: OVERFLOW_ROW.to_string(),
            ..key
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> RequestKey {
        RequestKey {
            scenario: 0,
            name: name.into(),
            method: "GET".into(),
        }
    }

    #[test]
    fn names_past_the_cap_share_one_row() {
        let mut rows = BTreeMap::new();
        let mut overflow = Overflow::new(2);
        for name in ["/a", "/b", "/c", "/a", "/d", "/c"] {
            let admitted = overflow.admit(&rows, key(name));
            rows.entry(admitted)
                .or_insert_with(|| RequestStats::new().expect("a valid layout"))
                .record(1, 0, false);
        }
        let names: Vec<&str> = rows.keys().map(|key| key.name.as_str()).collect();
        assert_eq!(names, ["(other names)", "/a", "/b"]);
        assert_eq!(overflow.requests, 3);
        assert_eq!(overflow.examples, ["/c", "/d"]);
    }
}
