//! `uses_profile`: a scenario that imports only `test:profile/reader`; the profile library it
//! comes from imports `test:auth/login` from a third component, so the run links a chain.

use wasmload_guest::prelude::*;

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod profile {
    wit_bindgen::generate!({
        path: ["../../../wit/0.1.0", "../auth_library/wit", "../profile_library/wit"],
        world: "test:profile/client@0.1.0",
    });
}

/// A user that reads its profile through the library once per task.
#[derive(Default)]
struct UsesProfile;

impl User for UsesProfile {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("UsesProfile")
            .wait(no_wait())
            .task("read_profile", 1, Self::read_profile)
    }
}

impl UsesProfile {
    fn read_profile(&mut self, _client: &Client) -> TaskResult {
        let status = profile::test::profile::reader::read_profile("loadtest1@example.com")
            .map_err(Error::msg)?;
        check("the profile reads 200", status == 200);
        Ok(())
    }
}

export_user!(UsesProfile);
