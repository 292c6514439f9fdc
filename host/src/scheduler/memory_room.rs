//! How much more memory this process may take: the machine's available memory, or less
//! where a cgroup limit (a container's, a Kubernetes pod's, a systemd unit's) leaves less.

use std::path::{Path, PathBuf};

use crate::metrics::kib_field;

/// A cgroup limit at or past this is no limit (v1 writes about 2^63 for none).
const NO_LIMIT: u64 = 1 << 60;

/// The default floor: this share of all the memory the process may use...
const DEFAULT_FLOOR_SHARE: f64 = 0.05;
/// ...but at least this much...
const MIN_DEFAULT_FLOOR: u64 = 64 << 20;
/// ...and at most this share of the room at the start, so that a small container still
/// has room to run in.
const MAX_DEFAULT_FLOOR_OF_ROOM: f64 = 0.5;

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
        let tightest = own_cgroups()
            .iter()
            .filter_map(|dir| cgroup_room(dir))
            .min_by_key(|&(left, _)| left);
        Some(match tightest {
            Some((left, limit)) if left < machine.bytes => MemoryRoom {
                bytes: left,
                total: limit,
                whose: "this process's memory limit (cgroup)",
            },
            _ => machine,
        })
    }

    /// The floor a run keeps free when `--min-free-memory` is not given: 5% of the total,
    /// at least 64 MiB, at most half of this room.
    pub fn default_floor(&self) -> u64 {
        let share = (self.total as f64 * DEFAULT_FLOOR_SHARE) as u64;
        let most = (self.bytes as f64 * MAX_DEFAULT_FLOOR_OF_ROOM) as u64;
        share.max(MIN_DEFAULT_FLOOR).min(most)
    }
}

/// This process's private resident memory (`RssAnon`), in bytes: the pages it wrote, which
/// the users' shared pages (their component's initial memory) are not.
pub fn private_memory() -> Option<u64> {
    crate::metrics::process_status_bytes("RssAnon:")
}

/// The cgroup directories whose memory limits bind this process, as `/proc/self/cgroup`
/// names them: its own and its ancestors', in v2's hierarchy and v1's memory controller,
/// those that are mounted where they are looked for.
fn own_cgroups() -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string("/proc/self/cgroup") else {
        return Vec::new();
    };
    cgroup_dirs(&text, Path::new("/sys/fs/cgroup"))
}

/// [`own_cgroups`] from `/proc/self/cgroup`'s `text`, with the hierarchies mounted at `mount`.
fn cgroup_dirs(text: &str, mount: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for line in text.lines() {
        let mut fields = line.splitn(3, ':').skip(1);
        let (Some(controllers), Some(path)) = (fields.next(), fields.next()) else {
            continue;
        };
        let root = match controllers {
            "" => mount.to_path_buf(),
            _ if controllers.split(',').any(|c| c == "memory") => mount.join("memory"),
            _ => continue,
        };
        let mut dir = root.join(path.trim_start_matches('/'));
        loop {
            if dir.is_dir() {
                dirs.push(dir.clone());
            }
            if dir == root || !dir.pop() {
                break;
            }
        }
    }
    dirs
}

/// What the cgroup at `dir` (v2, or v1's memory controller) lets its processes take beyond
/// what they hold now, counting inactive file pages as free (as Kubernetes counts a pod's
/// working set), and its limit; `None` without a limit or its files.
fn cgroup_room(dir: &Path) -> Option<(u64, u64)> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let number = |text: String| text.trim().parse::<u64>().ok();
    let (limit, usage) = match read("memory.max") {
        Some(max) => (number(max)?, number(read("memory.current")?)?),
        None => (
            number(read("memory.limit_in_bytes")?)?,
            number(read("memory.usage_in_bytes")?)?,
        ),
    };
    if limit >= NO_LIMIT {
        return None;
    }
    let stat = read("memory.stat").unwrap_or_default();
    let inactive_file = stat_field(&stat, "total_inactive_file")
        .or_else(|| stat_field(&stat, "inactive_file"))
        .unwrap_or(0);
    let used = usage.saturating_sub(inactive_file);
    Some((limit.saturating_sub(used), limit))
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

    /// A directory with `files`.
    fn with_files(files: &[(&str, &str)]) -> ScratchDir {
        let dir = ScratchDir::new("cgroup");
        for (name, text) in files {
            let path = dir.0.join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
            std::fs::write(path, text).expect("a file");
        }
        dir
    }

    #[test]
    fn a_v2_limit_leaves_its_room_with_inactive_file_pages_counted_free() {
        let dir = with_files(&[
            ("memory.max", "1000\n"),
            ("memory.current", "700\n"),
            ("memory.stat", "anon 500\ninactive_file 100\n"),
        ]);
        assert_eq!(cgroup_room(&dir.0), Some((400, 1000)));
        let unlimited = with_files(&[("memory.max", "max\n"), ("memory.current", "700\n")]);
        assert_eq!(cgroup_room(&unlimited.0), None);
    }

    #[test]
    fn a_v1_limit_is_read_from_its_own_files() {
        let dir = with_files(&[
            ("memory.limit_in_bytes", "2000\n"),
            ("memory.usage_in_bytes", "1500\n"),
            ("memory.stat", "cache 600\ntotal_inactive_file 300\n"),
        ]);
        assert_eq!(cgroup_room(&dir.0), Some((800, 2000)));
        let unlimited = with_files(&[
            ("memory.limit_in_bytes", "9223372036854771712\n"),
            ("memory.usage_in_bytes", "1500\n"),
        ]);
        assert_eq!(cgroup_room(&unlimited.0), None);
    }

    #[test]
    fn the_process_cgroup_and_its_ancestors_are_found_in_both_hierarchies() {
        let mount = with_files(&[
            ("pod/app/memory.max", "1000\n"),
            ("memory/system/unit/memory.limit_in_bytes", "2000\n"),
        ]);
        let m = &mount.0;
        let text = "12:cpu,cpuacct:/ignored\n4:memory:/system/unit\n0::/pod/app\n";
        assert_eq!(
            cgroup_dirs(text, m),
            [
                m.join("memory/system/unit"),
                m.join("memory/system"),
                m.join("memory"),
                m.join("pod/app"),
                m.join("pod"),
                m.to_path_buf(),
            ]
        );
        // A namespaced mount shows the process's own cgroup as the root.
        assert_eq!(
            cgroup_dirs("4:memory:/not/mounted/here\n", m),
            [m.join("memory")]
        );
    }

    #[test]
    fn the_default_floor_is_a_twentieth_of_the_memory_within_bounds() {
        let room = |bytes: u64, total: u64| MemoryRoom {
            bytes,
            total,
            whose: "this machine",
        };
        assert_eq!(room(20 << 30, 24 << 30).default_floor(), (24 << 30) / 20);
        assert_eq!(room(400 << 20, 512 << 20).default_floor(), 64 << 20);
        assert_eq!(room(80 << 20, 128 << 20).default_floor(), 40 << 20);
    }
}
