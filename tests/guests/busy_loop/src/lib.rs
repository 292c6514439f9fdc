//! `busy_loop` — an end-to-end test guest: its one task sends `GET /health`, then computes
//! forever without calling the host, so the host's task timeout must interrupt it.

use wasmload_guest::prelude::*;

/// A user stuck in a loop.
#[derive(Default)]
struct BusyLoop;

impl User for BusyLoop {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("BusyLoop")
            .wait(no_wait())
            .task("spin", 1, Self::spin)
    }
}

impl BusyLoop {
    fn spin(&mut self, client: &Client) -> TaskResult {
        client.get("/health").name("/health").send()?;
        let mut counter = 0u64;
        loop {
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
    }
}

export_user!(BusyLoop);
