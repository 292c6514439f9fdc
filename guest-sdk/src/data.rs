//! Test data from `--data NAME=FILE` (Gatling's feeders, k6's `SharedArray`): the host reads
//! the file once, and a user asks it for a row by the data set's name and a strategy.
//! Declare each data set the user reads with [`UserSpec::data`](crate::UserSpec::data).
//!
//! A row deserialises into any `serde` type, or comes as a [`Row`] of fields. The values of
//! a CSV row are strings (deserialise them into `String` fields); a JSON Lines row keeps its
//! JSON types.
//!
//! # Example
//!
//! ```no_run
//! use serde::Deserialize;
//! use wasmload_guest::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct Account {
//!     username: String,
//!     password: String,
//! }
//!
//! // `wasmload run shop.wasm --data users=users.csv`: each account logs in once.
//! let account: Account = data::next("users")?;
//! # Ok::<(), Error>(())
//! ```

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::wit::wasmload::scenario::data as wit;

/// How a row is picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pick {
    /// The next row of one queue shared by all users (and shards): each row is handed out
    /// once, and when none is left the run stops (Gatling's `queue`).
    Next,
    /// The next row of one shared sequence that starts again after the last row
    /// (Gatling's `circular`).
    Circular,
    /// A row drawn with this user's seeded generator (Gatling's `random`); `--seed`
    /// repeats the draws.
    Random,
    /// The row whose index is this user's id: each user its own row.
    PerUser,
}

impl From<Pick> for wit::Pick {
    fn from(pick: Pick) -> Self {
        match pick {
            Pick::Next => wit::Pick::Next,
            Pick::Circular => wit::Pick::Circular,
            Pick::Random => wit::Pick::Random,
            Pick::PerUser => wit::Pick::PerUser,
        }
    }
}

/// One row: its fields by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(Map<String, Value>);

impl Row {
    /// The field `name` as text: a string as it is, any other JSON value as JSON.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::data::Row;
    ///
    /// let row = Row::parse(r#"{"sku": "A-1", "qty": 3}"#)?;
    /// assert_eq!(row.get("sku").as_deref(), Some("A-1"));
    /// assert_eq!(row.get("qty").as_deref(), Some("3"));
    /// assert_eq!(row.get("price"), None);
    /// # Ok::<(), wasmload_guest::Error>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }

    /// The field names and values.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The row as a `serde` type.
    pub fn to<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(Value::Object(self.0.clone()))
            .map_err(|err| Error::msg(format!("a data row does not fit: {err}")))
    }

    /// A row from the JSON object text the host sends.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match serde_json::from_str(text) {
            Ok(Value::Object(fields)) => Ok(Self(fields)),
            _ => Err(Error::msg(format!(
                "a data row is not a JSON object: {text}"
            ))),
        }
    }
}

/// A row of data set `name`, picked by `pick`. The error says why none came: a data set not
/// given, the queue empty (the run is stopping), or no row for this user.
pub fn row(name: &str, pick: Pick) -> Result<Row, Error> {
    match wit::row(name, pick.into()) {
        Ok(text) => Row::parse(&text),
        Err(wit::DataError::Unknown(message)) => Err(Error::msg(message)),
        Err(wit::DataError::Exhausted(message)) => Err(Error::msg(message)),
    }
}

/// The next row of `name`'s shared queue, each row once ([`Pick::Next`]), as `T`.
pub fn next<T: DeserializeOwned>(name: &str) -> Result<T, Error> {
    row(name, Pick::Next)?.to()
}

/// The next row of `name`'s shared, wrapping sequence ([`Pick::Circular`]), as `T`.
pub fn circular<T: DeserializeOwned>(name: &str) -> Result<T, Error> {
    row(name, Pick::Circular)?.to()
}

/// A row of `name` drawn with this user's seeded generator ([`Pick::Random`]), as `T`.
pub fn random<T: DeserializeOwned>(name: &str) -> Result<T, Error> {
    row(name, Pick::Random)?.to()
}

/// This user's own row of `name`, the one at its id ([`Pick::PerUser`]), as `T`.
pub fn per_user<T: DeserializeOwned>(name: &str) -> Result<T, Error> {
    row(name, Pick::PerUser)?.to()
}

/// How many rows data set `name` holds (this shard's share of them for the shared queue and
/// sequence); `None` if it was not given.
pub fn len(name: &str) -> Option<u64> {
    wit::len(name)
}

/// What the scenario's test-wide [`setup`](crate::UserSpec::setup) returned; `None` without
/// one.
pub fn setup_data() -> Option<Vec<u8>> {
    wit::setup_data()
}

/// What the scenario's test-wide setup returned, read as JSON into `T`.
///
/// # Example
///
/// ```no_run
/// use serde::Deserialize;
/// use wasmload_guest::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Shared {
///     access_token: String,
/// }
///
/// let shared: Shared = data::setup_json()?;
/// # Ok::<(), Error>(())
/// ```
pub fn setup_json<T: DeserializeOwned>() -> Result<T, Error> {
    let bytes = setup_data().ok_or_else(|| Error::msg("the scenario has no setup"))?;
    serde_json::from_slice(&bytes)
        .map_err(|err| Error::msg(format!("the setup's data is not the JSON expected: {err}")))
}
