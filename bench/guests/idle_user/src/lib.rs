//! `idle_user`: the memory benchmark's user, which runs one task and then waits ten minutes,
//! so a run of many of them measures what an idle user costs. With `CONNECT=1` the task makes
//! one request first, so each user also holds an open keep-alive connection.

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
    fn idle(&mut self, client: &Client) -> TaskResult {
        if env("CONNECT").as_deref() == Some("1") {
            client.get("/").send()?;
        }
        Ok(())
    }
}

export_user!(IdleUser);
