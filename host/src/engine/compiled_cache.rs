//! Compiled components kept on disk by content hash (`Engine::precompile_component`), so a
//! large component (an 18 MB Python scenario) compiles once and later runs start in about a
//! second. Entries carry the engine's compatibility hash: another engine configuration or
//! wasmtime version compiles afresh.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;

use wasmtime::component::Component;
use wasmtime::Engine;

use crate::cache;

/// Components smaller than this compile faster than a cache entry is worth.
const WORTH_CACHING: usize = 1 << 20;

/// Compiles `bytes`, or loads the compilation a previous run kept.
pub fn compile(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    if bytes.len() < WORTH_CACHING {
        return Component::new(engine, bytes);
    }
    let entry = entry_for(engine, bytes);
    if entry.is_file() {
        // SAFETY: the entry was written by `Component::serialize` of this same engine
        // configuration (its compatibility hash is in the name), into the user's own cache.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &entry) } {
            cache::touch(&entry);
            return Ok(component);
        }
    }
    let component = Component::new(engine, bytes)?;
    if let Ok(serialized) = component.serialize() {
        match cache::write_atomically(&entry, &serialized) {
            Ok(()) => {
                if let Some(dir) = entry.parent() {
                    cache::prune(dir, &entry);
                }
            }
            Err(err) => tracing::debug!(
                "cannot keep the compiled component in {}: {err}",
                entry.display()
            ),
        }
    }
    Ok(component)
}

/// The cache file of `bytes` compiled by `engine`.
fn entry_for(engine: &Engine, bytes: &[u8]) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let engine_hash = format!("{:016x}", hasher.finish());
    let key = cache::digest([bytes, engine_hash.as_bytes()]);
    cache::dir()
        .join("compiled")
        .join(format!("{}.cwasm", &key[..32]))
}
