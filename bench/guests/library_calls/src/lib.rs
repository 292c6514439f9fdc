//! `library_calls`: the benchmark's user with a library linked in (`echo_library`). It calls
//! the library once in `on_start`, then its task calls it `CALLS` times (none by default) and
//! waits ten minutes: many idle users measure what a library adds to each user's memory, and
//! one user with a large `CALLS` measures what one call into the library costs.

use wasmload_guest::prelude::*;

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod echo {
    wit_bindgen::generate!({ path: "../echo_library/wit", world: "client" });
}

use echo::bench::echo::echo::length;

/// The text every call passes: a short string, like a user name.
const TEXT: &str = "loadtest1@example.com";

/// A user that calls the library.
#[derive(Default)]
struct LibraryCalls;

impl User for LibraryCalls {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("LibraryCalls")
            .wait(constant(600))
            .task("calls", 1, Self::calls)
    }

    fn on_start(&mut self, _client: &Client) -> TaskResult {
        ensure!(length(TEXT) as usize == TEXT.len(), "the library measures");
        Ok(())
    }
}

impl LibraryCalls {
    fn calls(&mut self, _client: &Client) -> TaskResult {
        let calls: u64 = env_or("CALLS", "0").parse()?;
        let total: u64 = (0..calls).map(|_| u64::from(length(TEXT))).sum();
        ensure!(total == calls * TEXT.len() as u64, "every call answered");
        Ok(())
    }
}

export_user!(LibraryCalls);
