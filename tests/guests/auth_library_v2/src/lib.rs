//! `auth_library_v2`: `auth_library` exporting `test:auth/login@0.2.0`, a version scenarios
//! built against 0.1 cannot use.

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../wit/0.1.0", "wit"],
        world: "test:auth/library@0.2.0",
        generate_all,
    });
}

include!("../../auth_library/src/login.rs");
