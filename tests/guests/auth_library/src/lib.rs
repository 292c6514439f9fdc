//! `auth_library`: a library component, not a scenario. It exports `test:auth/login@0.1.0`
//! and makes its request through wasmload's own `http` import, so the request is brokered,
//! timed and recorded under its name like a scenario's.

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../wit/0.1.0", "wit"],
        world: "test:auth/library@0.1.0",
        generate_all,
    });
}

include!("login.rs");
