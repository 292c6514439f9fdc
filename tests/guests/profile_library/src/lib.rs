//! `profile_library`: a library that uses another library. It exports `test:profile/reader`,
//! logs in through `test:auth/login` (the `auth_library` component) and reads the profile
//! with the SDK's `Client`.

use wasmload_guest::prelude::*;

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../wit/0.1.0", "../auth_library/wit", "wit"],
        world: "test:profile/library@0.1.0",
        generate_all,
    });
}

/// The library's exports.
struct Profile;

impl bindings::exports::test::profile::reader::Guest for Profile {
    fn read_profile(username: String) -> Result<u16, String> {
        bindings::test::auth::login::login(&username, "TestPass123!")?;
        let response = Client::new()
            .get("/api/v1/users/me")
            .name("profile: me")
            .send()?;
        Ok(response.status())
    }
}

bindings::export!(Profile with_types_in bindings);
