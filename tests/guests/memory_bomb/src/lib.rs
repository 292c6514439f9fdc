//! `memory_bomb`: each task sends one request and then leaks another MiB, so the user runs
//! into `--vu-memory` after a few tasks, traps, and goes on in a fresh instance.

use wasmload_guest::prelude::*;

/// A user whose memory only grows.
#[derive(Default)]
struct MemoryBomb {
    hoard: Vec<Vec<u8>>,
}

impl User for MemoryBomb {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("MemoryBomb").task("grow", 1, Self::grow)
    }
}

impl MemoryBomb {
    fn grow(&mut self, client: &Client) -> TaskResult {
        client.get("/health").send()?;
        self.hoard.push(vec![1u8; 1 << 20]);
        Ok(())
    }
}

export_user!(MemoryBomb);
