//! `fault_paths`: each task calls one path of the tests' fault-injecting server (a healthy
//! answer, a reset mid-body, broken chunked encoding, a stall past the timeout, a 503), or
//! `TLS_URL`, a plain-HTTP port spoken to over TLS.

use wasmload_guest::prelude::*;

/// A user that meets every kind of failing target.
#[derive(Default)]
struct FaultPaths;

impl User for FaultPaths {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("FaultPaths")
            .wait(constant(0.01))
            .task("ok", 2, |_, client| call(client, "/ok"))
            .task("reset", 1, |_, client| call(client, "/reset"))
            .task("bad_chunked", 1, |_, client| call(client, "/bad-chunked"))
            .task("stall", 1, |_, client| call(client, "/stall"))
            .task("error", 1, |_, client| call(client, "/error"))
            .task("tls", 1, |_, client| {
                call(client, &env_or("TLS_URL", "/tls"))
            })
    }
}

/// One request; a transport error is recorded by the host, so the task goes on.
fn call(client: &Client, url: &str) -> TaskResult {
    let _ = client.get(url).name(url).send();
    Ok(())
}

export_user!(FaultPaths);
