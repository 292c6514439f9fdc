//! `slow_calls`: one call of `/slow` per iteration, which stalls for `STALL_MS` (default 1000)
//! on every `EVERY`-th call (default 100).

use wasmload_guest::prelude::*;

/// A user that calls the stalling endpoint.
#[derive(Default)]
struct SlowCalls;

impl User for SlowCalls {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("SlowCalls").task("call_slow", 1, Self::call_slow)
    }
}

impl SlowCalls {
    fn call_slow(&mut self, client: &Client) -> TaskResult {
        let every = env_or("EVERY", "100");
        let stall_ms = env_or("STALL_MS", "1000");
        client
            .get("/slow")
            .query(&[("every", every.as_str()), ("stall_ms", stall_ms.as_str())])
            .name("/slow")
            .send()?;
        Ok(())
    }
}

export_user!(SlowCalls);
