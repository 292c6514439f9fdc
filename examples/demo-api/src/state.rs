//! Shared application state: configuration, JWT keys, seeded data and the mutable stores.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::auth::{self, Jwt};
use crate::catalog::{self, Product};
use crate::customers::{self, Customer};
use crate::imports::ImportRecord;
use crate::reports::Report;
use crate::tickets::TicketStore;
use crate::traffic::Traffic;
use crate::users::{self, Notification, Order, Preferences};
use crate::DemoConfig;

/// The state every handler receives; cheap to clone.
pub(crate) type AppState = Arc<Shared>;

/// Everything the service knows, seeded at start-up and mutated by requests.
pub(crate) struct Shared {
    /// The configuration the router was built with.
    pub config: DemoConfig,
    /// Token signing and verification.
    pub jwt: Jwt,
    /// The product catalog, ordered by id.
    pub products: Vec<Product>,
    /// The customer directory, ordered by id.
    pub customers: Vec<Customer>,
    /// Seeded orders, by user id, newest first.
    pub orders: HashMap<u64, Vec<Order>>,
    /// Seeded notifications, by user id, newest first.
    pub notifications: HashMap<u64, Vec<Notification>>,
    /// Each user's editable preferences, by user id.
    pub preferences: RwLock<HashMap<u64, Preferences>>,
    /// Support tickets created through the API.
    pub tickets: Mutex<TicketStore>,
    /// Customer imports, by import id.
    pub imports: Mutex<HashMap<String, ImportRecord>>,
    /// Sales reports, by report id.
    pub reports: Mutex<HashMap<String, Report>>,
    /// What the server has seen (shared with the counting middleware).
    pub traffic: Arc<Traffic>,
    /// Calls of `GET /slow` so far, to stall every N-th.
    pub slow_calls: AtomicU64,
    /// Randomness for ids and report delays.
    pub rng: Mutex<SmallRng>,
}

impl Shared {
    /// Seeds every store and generates a fresh signing secret.
    pub fn new(config: DemoConfig, traffic: Arc<Traffic>) -> AppState {
        let seed = auth::os_random_u64();
        let accounts = auth::ACCOUNTS;
        Arc::new(Shared {
            jwt: Jwt::new(config.token_ttl),
            products: catalog::seed(),
            customers: customers::seed(),
            orders: accounts
                .iter()
                .map(|a| (a.id, users::seed_orders(a.id)))
                .collect(),
            notifications: accounts
                .iter()
                .map(|a| (a.id, users::seed_notifications(a.id)))
                .collect(),
            preferences: RwLock::new(
                accounts
                    .iter()
                    .map(|a| (a.id, Preferences::default()))
                    .collect(),
            ),
            tickets: Mutex::new(TicketStore::default()),
            imports: Mutex::new(HashMap::new()),
            reports: Mutex::new(HashMap::new()),
            slow_calls: AtomicU64::new(0),
            rng: Mutex::new(SmallRng::seed_from_u64(seed)),
            traffic,
            config,
        })
    }

    /// A random identifier such as `rpt_3f9c0d2a61b4e7f0`.
    pub fn new_id(&self, prefix: &str) -> String {
        let n: u64 = lock(&self.rng).random();
        format!("{prefix}_{n:016x}")
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks an `RwLock`, recovering from poisoning.
pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks an `RwLock`, recovering from poisoning.
pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}
