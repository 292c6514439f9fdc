//! `future_contract`: a minimal scenario built against `wasmload:scenario@0.9.0`, a contract
//! version this host does not offer: it imports `http@0.9.0`, so loading it must fail and
//! name that import.

#[cfg(target_arch = "wasm32")]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "scenario" });

    use exports::wasmload::scenario::user::Guest;
    use wasmload::scenario::http;
    use wasmload::scenario::types::{Method, Request, ShapeStep, Task, UserInfo, WaitTime};

    struct Future;

    impl Guest for Future {
        fn describe() -> UserInfo {
            UserInfo {
                name: "Future".into(),
                tasks: vec![Task {
                    name: "noop".into(),
                    weight: 1,
                }],
                wait: WaitTime::None,
                custom_shape: false,
            }
        }

        fn on_start() -> Result<(), String> {
            Ok(())
        }

        fn run_task(_index: u32) -> Result<(), String> {
            let request = Request {
                method: Method::Get,
                url: "/".into(),
                query: Vec::new(),
                headers: Vec::new(),
                body: None,
                name: None,
                timeout_ms: None,
            };
            http::send(&request)
                .map(drop)
                .map_err(|err| format!("{err:?}"))
        }

        fn on_stop() {}

        fn shape(_elapsed_ms: u64) -> Option<ShapeStep> {
            None
        }
    }

    export!(Future);
}
