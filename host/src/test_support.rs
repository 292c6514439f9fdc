//! Builders the unit tests of several rooms share: a user description and request events.

use crate::bindings::types::Task;
use crate::bindings::{UserInfo, WaitTime};
use crate::metrics::{Event, Sample};

/// A user `U` with tasks `t0`, `t1`, … of these weights, waiting as `wait`.
pub fn user(weights: &[u32], wait: WaitTime) -> UserInfo {
    UserInfo {
        name: "U".into(),
        tasks: weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| Task {
                name: format!("t{i}"),
                weight,
            })
            .collect(),
        wait,
        custom_shape: false,
        host: None,
        order: crate::bindings::TaskOrder::Weighted,
        data: Vec::new(),
        hooks: crate::bindings::Hooks::empty(),
    }
}

/// A finished request of `latency_ms` with 10 body bytes, failed with `HTTP 500` unless `ok`.
pub fn request(method: &'static str, name: &str, latency_ms: u64, ok: bool) -> Event {
    Event::Request(Sample {
        method: method.into(),
        name: name.into(),
        latency_us: latency_ms * 1000,
        bytes: 10,
        failure: (!ok).then(|| "HTTP 500".to_string()),
        tag: Default::default(),
    })
}

/// A directory of its own under the system's temporary one, removed when dropped.
pub struct ScratchDir(pub std::path::PathBuf);

impl ScratchDir {
    /// A new, empty directory whose name starts with `purpose`.
    pub fn new(purpose: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "wasmload-{purpose}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
