//! `log_flood`: each task writes a thousand log lines and a thousand stdout lines around one
//! request of `/`, to show that a noisy guest slows only itself.

use wasmload_guest::prelude::*;

/// A user that never stops talking.
#[derive(Default)]
struct LogFlood;

impl User for LogFlood {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("LogFlood").task("shout", 1, Self::shout)
    }
}

impl LogFlood {
    fn shout(&mut self, client: &Client) -> TaskResult {
        for line in 0..1000 {
            log_info(format!("log line {line}"));
            println!("stdout line {line}");
        }
        client.get("/").send()?;
        Ok(())
    }
}

export_user!(LogFlood);
