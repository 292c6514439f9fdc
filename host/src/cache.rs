//! wasmload's cache on disk: components built from Python and JavaScript scripts, the
//! toolchains that build them, and compiled components, each found again by content hash.

use std::path::{Path, PathBuf};

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
