//! `uses_auth`: a scenario that imports `test:auth/login` from a library component and then
//! reads its profile with the token the library set. `USERNAME` picks the account (`trap`
//! makes the library trap).

use wasmload_guest::prelude::*;

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod auth {
    wit_bindgen::generate!({
        path: ["../../../wit/0.1.0", "../auth_library/wit"],
        world: "test:auth/client@0.1.0",
    });
}

/// A user that logs in through the library once, then reads its profile.
#[derive(Default)]
struct UsesAuth;

impl User for UsesAuth {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("UsesAuth")
            .wait(no_wait())
            .task("get_profile", 1, Self::get_profile)
    }

    fn on_start(&mut self, _client: &Client) -> TaskResult {
        let username = env_or("USERNAME", "loadtest1@example.com");
        auth::test::auth::login::login(&username, "TestPass123!")
            .map_err(|message| Error::msg(format!("login: {message}")))
    }
}

impl UsesAuth {
    fn get_profile(&mut self, client: &Client) -> TaskResult {
        let response = client.get("/api/v1/users/me").send()?;
        check("profile is readable", response.status() == 200);
        Ok(())
    }
}

export_user!(UsesAuth);
