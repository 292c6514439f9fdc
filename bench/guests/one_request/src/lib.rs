//! `one_request`: the throughput benchmark's user, one `GET /` per task and no wait, so the
//! generator's own cost per request is what limits it.

use wasmload_guest::prelude::*;

/// A user that requests `/` as fast as it can.
#[derive(Default)]
struct OneRequest;

impl User for OneRequest {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("OneRequest")
            .wait(no_wait())
            .task("get_root", 1, Self::get_root)
    }
}

impl OneRequest {
    fn get_root(&mut self, client: &Client) -> TaskResult {
        client.get("/").send()?;
        Ok(())
    }
}

export_user!(OneRequest);
