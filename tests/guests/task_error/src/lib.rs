//! `task_error` — an end-to-end test guest: its only task sends
//! `GET /health` and then returns the error "task said no" every time, so
//! the host can check that task errors are counted as exceptions without a
//! trap. The check "same instance" passes while the user's own count of its
//! tasks keeps up with the host's iteration count, which a restarted
//! instance (starting its count again) would not. With `REQUEST=no` the task
//! fails at once, without a request: it never waits on anything.

use wasmload_guest::prelude::*;

/// A user whose task always fails.
#[derive(Default)]
struct TaskError {
    /// Tasks this instance ran.
    tasks_run: u64,
}

impl User for TaskError {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("TaskError")
            .wait(no_wait())
            .task("always_errors", 1, Self::always_errors)
    }
}

impl TaskError {
    fn always_errors(&mut self, client: &Client) -> TaskResult {
        self.tasks_run += 1;
        check("same instance", self.tasks_run == iteration());
        if env_or("REQUEST", "yes") != "no" {
            client.get("/health").name("/health").send()?;
        }
        Err(Error::msg("task said no"))
    }
}

export_user!(TaskError);
