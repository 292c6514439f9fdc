//! The generated host side of the `wasmload:scenario` WIT contract; the only `bindgen!` call.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "scenario",
    imports: {
        "wasmload:scenario/http.send": async | trappable,
        "wasmload:scenario/runtime.sleep": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});

pub use self::wasmload::scenario::types::{
    HttpError, LogLevel, Method, Request, ShapeStep, UserInfo, WaitTime,
};
pub use self::wasmload::scenario::{http, runtime, session, types};

/// The WIT package and version this host implements, for error messages.
pub const CONTRACT: &str = "wasmload:scenario@0.1.0";
