//! The memory left to the run, watched while it goes: users who fill the machine stop the
//! run, which then reports, instead of the kernel killing the process and its results with
//! it; if the users still take memory while they finish, they are cancelled.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::memory_room::{private_memory, MemoryRoom};
use crate::metrics::Gauges;
use crate::plan::display_size;

/// How often the room is read while a run goes: users starting by thousands a second
/// take memory fast.
const WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// Watches the memory room while a run goes. Below the floor it says so in one line and
/// cancels `low`, which stops the run; below half the floor, `critical`, which cancels the
/// users still finishing.
pub struct MemoryWatch {
    low: CancellationToken,
    critical: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl MemoryWatch {
    /// Starts watching for the room to fall below `floor` bytes (`None`: the default floor,
    /// `Some(0)`: no watch). `baseline` is this process's private memory before its first
    /// user; `gauges` tell how many users hold what it took since.
    pub fn start(floor: Option<u64>, baseline: Option<u64>, gauges: Arc<Gauges>) -> Self {
        let (low, critical) = (CancellationToken::new(), CancellationToken::new());
        let start = MemoryRoom::now();
        let floor = floor.or_else(|| start.as_ref().map(MemoryRoom::default_floor));
        let task = match (start, floor) {
            (Some(start), Some(floor)) if floor > 0 => {
                let watching = Watching {
                    start,
                    floor,
                    baseline,
                    gauges,
                };
                Some(tokio::spawn(watching.run(low.clone(), critical.clone())))
            }
            _ => None,
        };
        Self {
            low,
            critical,
            task,
        }
    }

    /// Cancelled when the room has fallen below the floor.
    pub fn low(&self) -> CancellationToken {
        self.low.clone()
    }

    /// Cancelled when the room has fallen below half the floor.
    pub fn critical(&self) -> CancellationToken {
        self.critical.clone()
    }
}

impl Drop for MemoryWatch {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What the watch knows of the run.
struct Watching {
    start: MemoryRoom,
    floor: u64,
    baseline: Option<u64>,
    gauges: Arc<Gauges>,
}

impl Watching {
    async fn run(self, low: CancellationToken, critical: CancellationToken) {
        let held_at_start = private_memory();
        let Some(room) = fell_below(self.floor).await else {
            return;
        };
        let held_now = private_memory();
        let taken = held_now.zip(self.baseline.or(held_at_start));
        let taken = taken.map(|(now, before)| now.saturating_sub(before));
        // What the room lost since the start that this process did not take.
        let ours = held_now
            .zip(held_at_start)
            .map(|(now, then)| now.saturating_sub(then));
        let lost = self.start.bytes.saturating_sub(room.bytes);
        let others_took_most = ours.is_some_and(|ours| ours.saturating_mul(2) < lost);
        let users = self.gauges.users();
        let line = match taken {
            Some(taken) if !others_took_most => low_memory_line(&room, self.floor, taken, users),
            _ => taken_by_others_line(&room, self.floor, users),
        };
        tracing::error!("{line}");
        low.cancel();
        if fell_below(self.floor / 2).await.is_some() {
            tracing::error!("memory is still running out as the users finish: cancelling them");
            critical.cancel();
        }
    }
}

/// Resolves with the room once it has fallen below `floor` bytes; `None` if the room
/// cannot be read. The files are read on tokio's blocking pool, off the threads that drive
/// the users' connections.
async fn fell_below(floor: u64) -> Option<MemoryRoom> {
    let mut ticks = tokio::time::interval(WATCH_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let room = tokio::task::spawn_blocking(MemoryRoom::now)
            .await
            .ok()
            .flatten()?;
        if room.bytes < floor {
            return Some(room);
        }
    }
}

/// What to say when `users`, having taken `taken` bytes, left `room`, below `floor`: what
/// each holds, and how many such users what they took and what is left above the floor
/// would hold.
fn low_memory_line(room: &MemoryRoom, floor: u64, taken: u64, users: u32) -> String {
    let each = taken / u64::from(users.max(1));
    let holds = (taken + room.bytes).saturating_sub(floor) / each.max(1);
    format!(
        "memory ran low: {} left to {} with {users} users running, about {} each, below \
         --min-free-memory {}; stopping the run. This process holds about {holds} such users: \
         run at most that many, or spread them over more machines (wasmload k8s render)",
        display_size(room.bytes),
        room.whose,
        display_size(each),
        display_size(floor),
    )
}

/// What to say when the room fell below `floor` mostly through other processes' memory.
fn taken_by_others_line(room: &MemoryRoom, floor: u64, users: u32) -> String {
    format!(
        "memory ran low: {} left to {} with {users} users running, below --min-free-memory \
         {}, most of it taken by other processes; stopping the run: free memory, or give a \
         smaller --min-free-memory (0 never stops the run)",
        display_size(room.bytes),
        room.whose,
        display_size(floor),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_low_memory_line_says_what_each_user_holds_and_how_many_fit() {
        let room = MemoryRoom {
            bytes: 90 << 20,
            total: 2048 << 20,
            whose: "this machine",
        };
        let line = low_memory_line(&room, 100 << 20, 1010 << 20, 505);
        assert_eq!(
            line,
            "memory ran low: 90.0 MiB left to this machine with 505 users running, about \
             2.0 MiB each, below --min-free-memory 100.0 MiB; stopping the run. This process \
             holds about 500 such users: run at most that many, or spread them over more \
             machines (wasmload k8s render)"
        );
        let others = taken_by_others_line(&room, 100 << 20, 505);
        assert!(
            others.contains("most of it taken by other processes"),
            "{others}"
        );
    }
}
