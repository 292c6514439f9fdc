//! `forbidden_host` — an end-to-end test guest: one task requests the run's
//! host, the other an absolute URL on another origin
//! (`http://forbidden.invalid:9/`) that the host must refuse. The task
//! ignores the refusal: counting it is the host's job.

use wasmload_guest::prelude::*;

/// A user that tries to leave the allowed origin half of the time.
#[derive(Default)]
struct ForbiddenHost;

impl User for ForbiddenHost {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("ForbiddenHost")
            .wait(no_wait())
            .task("allowed", 1, Self::allowed)
            .task("forbidden", 1, Self::forbidden)
    }
}

impl ForbiddenHost {
    fn allowed(&mut self, client: &Client) -> TaskResult {
        client.get("/health").name("/health").send()?;
        Ok(())
    }

    fn forbidden(&mut self, client: &Client) -> TaskResult {
        // Expected: Err(HttpError) of kind Refused, already recorded by the host.
        let _ = client.get("http://forbidden.invalid:9/").send();
        Ok(())
    }
}

export_user!(ForbiddenHost);
