//! wasmload's cache on disk: components built from Python and JavaScript scripts, the
//! toolchains that build them, and compiled components, each found again by content hash.
//! Built and compiled components are pruned as new ones are written: those unused for a
//! month, and the least recently used past a size.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// The cache directory: `$WASMLOAD_CACHE`, else `$XDG_CACHE_HOME/wasmload`, else
/// `~/.cache/wasmload`, else one under the system's temporary directory.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WASMLOAD_CACHE").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir).join("wasmload");
    }
    match std::env::var_os("HOME").filter(|dir| !dir.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache").join("wasmload"),
        None => std::env::temp_dir().join("wasmload-cache"),
    }
}

/// SHA-256 over `parts`, each length-prefixed so that no two lists of parts collide, in hex.
pub fn digest<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    format!("{:x}", hasher.finalize())
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename, so a reader
/// (another run building the same script at the same time) never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

/// How long an entry nobody used is kept.
const KEEP_UNUSED: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The most one kind of entry (built scripts of a language, compiled components) may take
/// together; past it the least recently used go first.
const KEEP_BYTES: u64 = 2 << 30;

/// Marks the entry at `path` as used now, so that pruning keeps it longest.
pub fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().write(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Prunes the entries of one kind in `dir` (its files and directories): those unused for
/// 30 days, then the least recently used past 2 GiB in all. `keep`, just written or used, stays.
pub fn prune(dir: &Path, keep: &Path) {
    let removed = prune_entries(dir, keep, SystemTime::now(), KEEP_UNUSED, KEEP_BYTES);
    if removed > 0 {
        tracing::debug!("removed {removed} unused entries from {}", dir.display());
    }
}

/// [`prune`] with its limits given; returns how many entries it removed.
fn prune_entries(
    dir: &Path,
    keep: &Path,
    now: SystemTime,
    max_age: Duration,
    max_bytes: u64,
) -> usize {
    let Ok(children) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut entries: Vec<(SystemTime, u64, PathBuf)> = children
        .flatten()
        .map(|child| child.path())
        .filter(|path| !keep.starts_with(path))
        .filter_map(|path| {
            let (used, bytes) = usage(&path)?;
            Some((used, bytes, path))
        })
        .collect();
    // Newest first: what stays while the total fits.
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    let mut total = usage(keep).map_or(0, |(_, bytes)| bytes);
    let mut removed = 0;
    for (used, bytes, path) in entries {
        let stale = now.duration_since(used).is_ok_and(|age| age > max_age);
        total += bytes;
        if stale || total > max_bytes {
            let gone = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed += usize::from(gone.is_ok());
        }
    }
    removed
}

/// When the entry at `path` was last used (its newest file's time) and the bytes it takes.
fn usage(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return Some((meta.modified().ok()?, meta.len()));
    }
    let mut newest = meta.modified().ok()?;
    let mut bytes = 0;
    for file in std::fs::read_dir(path).ok()?.flatten() {
        let Ok(meta) = file.metadata() else { continue };
        bytes += meta.len();
        if let Ok(modified) = meta.modified() {
            newest = newest.max(modified);
        }
    }
    Some((newest, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry `name` of `bytes` bytes under `dir`, last used `hours` ago.
    fn entry(dir: &Path, name: &str, bytes: usize, hours: u64) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, vec![0u8; bytes]).expect("written");
        let used = SystemTime::now() - Duration::from_secs(hours * 60 * 60);
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("opened");
        file.set_modified(used).expect("dated");
        path
    }

    #[test]
    fn entries_unused_for_long_or_past_the_size_go_least_recently_used_first() {
        let scratch = crate::test_support::ScratchDir::new("prune");
        let dir = scratch.0.clone();
        let fresh = entry(&dir, "fresh", 100, 1);
        let yesterday = entry(&dir, "yesterday", 100, 24);
        let last_week = entry(&dir, "last_week", 100, 7 * 24);
        let ancient = entry(&dir, "ancient", 10, 60 * 24);
        let day = Duration::from_secs(24 * 60 * 60);
        let removed = prune_entries(&dir, &fresh, SystemTime::now(), 30 * day, 250);
        assert_eq!(removed, 2);
        assert!(
            fresh.is_file() && yesterday.is_file(),
            "the newest 200 bytes stay"
        );
        assert!(
            !last_week.exists(),
            "past the size, the least recently used goes"
        );
        assert!(!ancient.exists(), "unused for 60 days, small as it is");

        // Used again, yesterday's entry is now the most recent: the fresh one goes first.
        touch(&yesterday);
        let kept = entry(&dir, "kept", 100, 90 * 24);
        let removed = prune_entries(&dir, &kept, SystemTime::now(), 30 * day, 250);
        assert!(kept.is_file(), "the entry being used is never removed");
        assert!(yesterday.is_file() && !fresh.exists(), "{removed} removed");
    }
}
