//! `trap_random` — an end-to-end test guest: each task sends `GET /health`,
//! then traps (panics with "deliberate trap") with probability
//! `TRAP_PROBABILITY` (default 0.2), drawn from the host's seeded per-user
//! RNG, so the host's trap handling can be tested reproducibly. It waits `WAIT_S` seconds
//! (default 0) between tasks.

use wasmload_guest::prelude::*;

/// A user that sometimes traps.
#[derive(Default)]
struct TrapRandom;

impl User for TrapRandom {
    fn spec() -> UserSpec<Self> {
        let wait: f64 = env_or("WAIT_S", "0").parse().unwrap_or(0.0);
        UserSpec::new("TrapRandom")
            .wait(constant(wait))
            .task("maybe_trap", 1, Self::maybe_trap)
    }
}

impl TrapRandom {
    fn maybe_trap(&mut self, client: &Client) -> TaskResult {
        // The response is dropped (and so recorded) before any trap.
        client.get("/health").name("/health").send()?;
        let probability = env_or("TRAP_PROBABILITY", "0.2").parse().unwrap_or(0.2);
        if random_bool(probability) {
            panic!("deliberate trap");
        }
        Ok(())
    }
}

export_user!(TrapRandom);
