//! The generated host side of the `wasmload:scenario` WIT contract, one module per released
//! version; the only `bindgen!` calls. The host implements the newest version, and serves
//! components of an older one through `vu::contract_v1`.
#![allow(missing_docs)]

/// `wasmload:scenario@0.1.0`, frozen: components built against it keep loading.
pub mod v1 {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.0",
        world: "scenario",
        imports: {
            "wasmload:scenario/http.send": async | trappable,
            "wasmload:scenario/runtime.sleep": async | trappable,
            default: trappable,
        },
        exports: { default: async },
    });
}

/// `wasmload:scenario@0.2.0`, the version the host implements.
pub mod v2 {
    wasmtime::component::bindgen!({
        path: "../wit/0.2.0",
        world: "scenario",
        imports: {
            "wasmload:scenario/http.send": async | trappable,
            "wasmload:scenario/http.send-batch": async | trappable,
            "wasmload:scenario/runtime.sleep": async | trappable,
            "wasmload:scenario/runtime.wait": async | trappable,
            default: trappable,
        },
        exports: { default: async },
    });
}

pub use self::v2::wasmload::scenario::types::{
    Hooks, HttpError, LogLevel, Method, Request, ShapeStep, TaskOrder, UserInfo, WaitTime,
};
pub use self::v2::wasmload::scenario::{data, http, metrics, runtime, session, types};

/// The WIT package this host implements, for error messages.
pub const CONTRACT: &str = "wasmload:scenario";
/// The versions of it this host runs, oldest first.
pub const VERSIONS: [&str; 2] = ["0.1.0", "0.2.0"];

/// The run options a scenario may export beside the contract (`wit/options`), read through
/// the component's exports rather than generated bindings, since the export is optional.
pub const OPTIONS_INTERFACE: &str = "wasmload:options/options@0.1.0";
