//! `paced_health`: a well-behaved user that calls `/health` once every 100 ms (constant
//! pacing), so its request count over a run says whether anything held it back.

use wasmload_guest::prelude::*;

/// A user that keeps a steady pace.
#[derive(Default)]
struct Paced;

impl User for Paced {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("Paced")
            .wait(constant_pacing(0.1))
            .task("health", 1, Self::health)
    }
}

impl Paced {
    fn health(&mut self, client: &Client) -> TaskResult {
        client.get("/health").name("/health").send()?;
        Ok(())
    }
}

export_user!(Paced);
