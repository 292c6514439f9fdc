//! The `runtime` and `types` imports: sleep and waits, logs, identity, parameters, checks and
//! seeded randomness.

use std::time::{Duration, Instant};

use rand::RngCore;

use super::state::VuState;
use crate::bindings::{runtime, types, LogLevel};

impl types::Host for VuState {}

impl runtime::Host for VuState {
    async fn sleep(&mut self, ms: u64) -> wasmtime::Result<()> {
        self.leave_guest();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.guest_since = Instant::now();
        Ok(())
    }

    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        let vu = self.identity.vu_id;
        match level {
            LogLevel::Trace => tracing::trace!(target: "guest", "[vu {vu}] {message}"),
            LogLevel::Debug => tracing::debug!(target: "guest", "[vu {vu}] {message}"),
            LogLevel::Info => tracing::info!(target: "guest", "[vu {vu}] {message}"),
            LogLevel::Warn => tracing::warn!(target: "guest", "[vu {vu}] {message}"),
            LogLevel::Error => tracing::error!(target: "guest", "[vu {vu}] {message}"),
        }
        Ok(())
    }

    fn vu_id(&mut self) -> wasmtime::Result<u32> {
        Ok(self.identity.vu_id)
    }

    fn iteration(&mut self) -> wasmtime::Result<u64> {
        Ok(self.identity.iteration)
    }

    fn env(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.ctx.options.env.get(&key).cloned())
    }

    fn check(&mut self, name: String, passed: bool) -> wasmtime::Result<()> {
        self.ctx.recorder.check(name, passed);
        Ok(())
    }

    fn random(&mut self) -> wasmtime::Result<u64> {
        Ok(self.identity.rng.next_u64())
    }

    async fn wait(&mut self) -> wasmtime::Result<()> {
        let took = self.step_since.elapsed();
        let pause = super::pacing::wait_after(&self.wait, took, &mut self.identity.rng);
        self.leave_guest();
        match self.wait_cut_short.clone() {
            // A user told to leave finishes its task without the waits left in it.
            Some(cut_short) => tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = cut_short.cancelled() => {}
            },
            None => tokio::time::sleep(pause).await,
        }
        self.guest_since = Instant::now();
        self.step_since = Instant::now();
        Ok(())
    }
}
