//! How much more memory this process may take (the machine's available memory, or less
//! where a cgroup limit, a container's or a Kubernetes pod's, leaves less), watched while
//! the run goes: users who fill the machine stop the run, which then reports, instead of
//! the kernel killing the process and its results with it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::metrics::Gauges;
use crate::plan::display_size;

/// How often the room is read while a run goes: users starting by thousands a second
/// take memory fast.
const WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// A cgroup v1 limit at or past this is no limit.
const NO_LIMIT: u64 = 1 << 60;

/// The default floor: this share of all the memory the process may use...
const DEFAULT_FLOOR_SHARE: f64 = 0.05;
/// ...but at least this much.
const MIN_DEFAULT_FLOOR: u64 = 64 << 20;

/// Memory this process may still take, and what sets it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRoom {
    /// Bytes it may still take.
    pub bytes: u64,
    /// Bytes it may use in all: the machine's memory, or the cgroup's limit.
    pub total: u64,
    /// What sets it, for messages: "this machine".
    pub whose: &'static str,
}

impl MemoryRoom {
    /// The room now, or `None` where `/proc/meminfo` does not tell.
    pub fn now() -> Option<Self> {
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let machine = MemoryRoom {
            bytes: kib_field(&meminfo, "MemAvailable:")? * 1024,
            total: kib_field(&meminfo, "MemTotal:")? * 1024,
            whose: "this machine",
        };
        Some(match cgroup_room(Path::new("/sys/fs/cgroup")) {
            Some((left, limit)) if left < machine.bytes => MemoryRoom {
                bytes: left,
                total: limit,
                whose: "this container's memory limit (cgroup)",
            },
            _ => machine,
        })
    }

    /// The floor a run keeps free when `--min-free-memory` is not given.
    pub fn default_floor(&self) -> u64 {
        ((self.total as f64 * DEFAULT_FLOOR_SHARE) as u64).max(MIN_DEFAULT_FLOOR)
    }
}

/// Watches the memory room while a run goes; once it falls below the floor it says so in
/// one line and cancels its token, which stops the run.
pub struct MemoryWatch {
    low: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl MemoryWatch {
    /// Starts watching for the room to fall below `floor` bytes (`None`: the default floor,
    /// `Some(0)`: no watch); `gauges` tell how many users hold the memory.
    pub fn start(floor: Option<u64>, gauges: Arc<Gauges>) -> Self {
        let low = CancellationToken::new();
        let start = MemoryRoom::now();
        let floor = floor.or_else(|| start.as_ref().map(MemoryRoom::default_floor));
        let task = match (start, floor) {
            (Some(start), Some(floor)) if floor > 0 => {
                Some(tokio::spawn(watch(start, floor, gauges, low.clone())))
            }
            _ => None,
        };
        Self { low, task }
    }

    /// Cancelled when the room has fallen below the floor.
    pub fn low(&self) -> CancellationToken {
        self.low.clone()
    }
}

impl Drop for MemoryWatch {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn watch(start: MemoryRoom, floor: u64, gauges: Arc<Gauges>, low: CancellationToken) {
    let held_at_start = private_memory();
    let mut ticks = tokio::time::interval(WATCH_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let room = loop {
        ticks.tick().await;
        match MemoryRoom::now() {
            Some(room) if room.bytes < floor => break room,
            Some(_) => {}
            None => return,
        }
    };
    // What this process took since the start, or, where that is not told, what the room
    // lost (which counts other processes' memory too).
    let taken = match (held_at_start, private_memory()) {
        (Some(before), Some(now)) => now.saturating_sub(before),
        _ => start.bytes.saturating_sub(room.bytes),
    };
    let line = low_memory_line(&start, &room, floor, taken, gauges.users());
    tracing::error!("{line}");
    low.cancel();
}

/// This process's private resident memory (`RssAnon`), in bytes: the pages it wrote, which
/// the users' shared pages (their component's initial memory) are not.
fn private_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(kib_field(&status, "RssAnon:")? * 1024)
}

/// What to say when `users`, having taken `taken` bytes, left `room` of the `start` room,
/// below `floor`.
fn low_memory_line(
    start: &MemoryRoom,
    room: &MemoryRoom,
    floor: u64,
    taken: u64,
    users: u32,
) -> String {
    let each = taken / u64::from(users.max(1));
    let holds = start.bytes.saturating_sub(floor) / each.max(1);
    format!(
        "memory ran low: {} left to {} with {users} users running, about {} each, below \
         --min-free-memory {}; stopping the run. The memory there was at the start holds \
         about {holds} such users: run at most that many, or spread them over more machines \
         (wasmload k8s render)",
        display_size(room.bytes),
        room.whose,
        display_size(each),
        display_size(floor),
    )
}

/// The value of `name` (`Name: 123 kB`) in `text`.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What the cgroup mounted at `root` (v2, or v1's memory controller) lets its processes
/// take beyond what they hold now, counting reclaimable file pages as free, as the kernel
/// does before it kills, and its limit; `None` without a limit.
fn cgroup_room(root: &Path) -> Option<(u64, u64)> {
    let read = |path: &Path| std::fs::read_to_string(path).ok();
    let number = |text: String| text.trim().parse::<u64>().ok();
    let (limit, usage, stat) = match read(&root.join("memory.max")) {
        Some(max) => (
            number(max)?,
            number(read(&root.join("memory.current"))?)?,
            read(&root.join("memory.stat")).unwrap_or_default(),
        ),
        None => {
            let v1 = root.join("memory");
            (
                number(read(&v1.join("memory.limit_in_bytes"))?)?,
                number(read(&v1.join("memory.usage_in_bytes"))?)?,
                read(&v1.join("memory.stat")).unwrap_or_default(),
            )
        }
    };
    if limit >= NO_LIMIT {
        return None;
    }
    let inactive_file = stat_field(&stat, "total_inactive_file")
        .or_else(|| stat_field(&stat, "inactive_file"))
        .unwrap_or(0);
    Some((
        limit.saturating_sub(usage.saturating_sub(inactive_file)),
        limit,
    ))
}

/// The value of `name` in a cgroup's `memory.stat` (`name 123` lines).
fn stat_field(stat: &str, name: &str) -> Option<u64> {
    stat.lines().find_map(|line| {
        let (key, value) = line.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ScratchDir;

    /// A cgroup directory with `files`.
    fn cgroup(files: &[(&str, &str)]) -> ScratchDir {
        let dir = ScratchDir::new("cgroup");
        for (name, text) in files {
            let path = dir.0.join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
            std::fs::write(path, text).expect("a file");
        }
        dir
    }

    #[test]
    fn a_v2_limit_leaves_its_room_with_reclaimable_pages_counted_free() {
        let dir = cgroup(&[
            ("memory.max", "1000\n"),
            ("memory.current", "700\n"),
            ("memory.stat", "anon 500\ninactive_file 100\n"),
        ]);
        assert_eq!(cgroup_room(&dir.0), Some((400, 1000)));
    }

    #[test]
    fn a_v2_cgroup_without_a_limit_leaves_the_machine_to_say() {
        let dir = cgroup(&[("memory.max", "max\n"), ("memory.current", "700\n")]);
        assert_eq!(cgroup_room(&dir.0), None);
    }

    #[test]
    fn a_v1_limit_is_read_from_the_memory_controller() {
        let dir = cgroup(&[
            ("memory/memory.limit_in_bytes", "2000\n"),
            ("memory/memory.usage_in_bytes", "1500\n"),
            ("memory/memory.stat", "cache 600\ntotal_inactive_file 300\n"),
        ]);
        assert_eq!(cgroup_room(&dir.0), Some((800, 2000)));
        let unlimited = cgroup(&[
            ("memory/memory.limit_in_bytes", "9223372036854771712\n"),
            ("memory/memory.usage_in_bytes", "1500\n"),
        ]);
        assert_eq!(cgroup_room(&unlimited.0), None);
    }

    #[test]
    fn the_low_memory_line_says_what_each_user_holds_and_how_many_fit() {
        let start = MemoryRoom {
            bytes: 1100 << 20,
            total: 2048 << 20,
            whose: "this machine",
        };
        let room = MemoryRoom {
            bytes: 90 << 20,
            ..start.clone()
        };
        let line = low_memory_line(&start, &room, 100 << 20, 1010 << 20, 505);
        assert!(
            line.starts_with(
                "memory ran low: 90.0 MiB left to this machine with 505 users running, about \
                 2.0 MiB each, below --min-free-memory 100.0 MiB; stopping the run. The \
                 memory there was at the start holds about 500 such users"
            ),
            "{line}"
        );
        assert_eq!(start.default_floor(), (2048 << 20) / 20, "5% of the total");
        let small = MemoryRoom {
            total: 512 << 20,
            ..start
        };
        assert_eq!(small.default_floor(), 64 << 20, "at least 64 MiB");
    }
}
