//! `idle_user`: the memory benchmark's user, which runs one empty task and then waits ten
//! minutes, so a run of many of them measures what an idle user costs.

use wasmload_guest::prelude::*;

/// A user that does nothing and waits.
#[derive(Default)]
struct IdleUser;

impl User for IdleUser {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("IdleUser")
            .wait(constant(600))
            .task("idle", 1, Self::idle)
    }
}

impl IdleUser {
    fn idle(&mut self, _client: &Client) -> TaskResult {
        Ok(())
    }
}

export_user!(IdleUser);
