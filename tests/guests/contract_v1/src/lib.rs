//! `contract_v1`: a scenario built against `wasmload:scenario@0.1.0` with raw bindings, as a
//! component compiled before 0.2.0 was released is. Each task reads `/api/v1/products`,
//! checks the status, reads a header and the body, and sleeps a millisecond; `on-start`
//! sets a default header and logs.

#[cfg(target_arch = "wasm32")]
mod bindings {
    wit_bindgen::generate!({ path: "../../../wit/0.1.0", world: "scenario" });

    use exports::wasmload::scenario::user::Guest;
    use wasmload::scenario::types::{
        LogLevel, Method, Request, ShapeStep, Task, UserInfo, WaitTime,
    };
    use wasmload::scenario::{http, runtime, session};

    struct ContractV1;

    impl Guest for ContractV1 {
        fn describe() -> UserInfo {
            UserInfo {
                name: "ContractV1".into(),
                tasks: vec![Task {
                    name: "list_products".into(),
                    weight: 1,
                }],
                wait: WaitTime::Constant(1),
                custom_shape: false,
            }
        }

        fn on_start() -> Result<(), String> {
            session::set_header("x-contract", "0.1.0");
            runtime::log(LogLevel::Info, "a 0.1.0 user starts");
            Ok(())
        }

        fn run_task(_index: u32) -> Result<(), String> {
            let request = Request {
                method: Method::Get,
                url: "/api/v1/products".into(),
                query: vec![("limit".into(), "5".into())],
                headers: Vec::new(),
                body: None,
                name: Some("products".into()),
                timeout_ms: None,
            };
            let response = http::send(&request).map_err(|err| format!("{err:?}"))?;
            let typed = response.header("content-type").unwrap_or_default();
            runtime::check(
                "products are JSON",
                response.status() == 200 && typed.contains("json") && !response.body().is_empty(),
            );
            drop(response);
            runtime::sleep(1);
            Ok(())
        }

        fn on_stop() {}

        fn shape(_elapsed_ms: u64) -> Option<ShapeStep> {
            None
        }
    }

    export!(ContractV1);
}
