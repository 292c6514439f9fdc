//! `staged_user`: pings `/health` every 100 ms, counts each `on_stop` as a check, and brings a
//! short wave as its own load shape (4 users, then 8, then none).

use wasmload_guest::prelude::*;

/// The scenario's own shape, used when no `--stages` or rate is given.
const WAVE: [Stage; 3] = [
    Stage::new(2, 4, 4.0),
    Stage::new(2, 8, 8.0),
    Stage::new(2, 0, 8.0),
];

fn wave(run_time: Duration) -> Option<ShapeStep> {
    stage_at(&WAVE, run_time)
}

/// A user that checks the service's health.
#[derive(Default)]
struct StagedUser;

impl User for StagedUser {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("StagedUser")
            .wait(constant(0.1))
            .task("ping", 1, Self::ping)
            .shape(wave)
    }

    fn on_stop(&mut self, _client: &Client) {
        check("on_stop ran", true);
    }
}

impl StagedUser {
    fn ping(&mut self, client: &Client) -> TaskResult {
        client.get("/health").send()?;
        Ok(())
    }
}

export_user!(StagedUser);
