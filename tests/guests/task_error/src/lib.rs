//! `task_error` — an end-to-end test guest: its only task sends
//! `GET /health` and then returns the error "task said no" every time, so
//! the host can check that task errors are counted as exceptions without a
//! trap.

use wasmload_guest::prelude::*;

/// A user whose task always fails.
#[derive(Default)]
struct TaskError;

impl User for TaskError {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("TaskError")
            .wait(no_wait())
            .task("always_errors", 1, Self::always_errors)
    }
}

impl TaskError {
    fn always_errors(&mut self, client: &Client) -> TaskResult {
        client.get("/health").name("/health").send()?;
        Err(Error::msg("task said no"))
    }
}

export_user!(TaskError);
