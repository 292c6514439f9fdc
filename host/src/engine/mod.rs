//! The WebAssembly engine: its configuration (pooling sized for the run, epochs for the task
//! timeout), and reading, composing with its libraries and compiling a component once for
//! every user. It knows nothing of what a user's Store holds; `vu` links the host's imports.

mod code_owner;
mod compiled_cache;
mod compose;
mod language;
mod needs;
pub mod parts;

pub use code_owner::LibraryCode;
pub use compose::{is_host_import, read_libraries, Library, Link};
pub use language::language_of;
pub use needs::Needs;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::Failure;

/// How often the epoch advances: a guest computing without calling the host yields its
/// thread this often, and the task timeout and `--vu-cpu` are judged this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);
/// Instance slots beyond the user count: the describing instance, and instances replaced
/// after a trap while their successor starts.
const SPARE_SLOTS: u32 = 16;
/// Bytes of each fiber stack kept resident between calls, so a task does not page-fault its
/// stack in again every iteration.
const STACK_KEEP_RESIDENT: usize = 64 << 10;
/// Address space each memory slot reserves by default: 4 GiB, so that guest loads and
/// stores need no bounds checks, and a guard region.
const FULL_RESERVATION: u64 = (4 << 30) + (32 << 20);
/// Address space the memory pool may reserve in all (x86-64 user space is 128 TiB); a run
/// whose users would need more reserves only `--vu-memory` per memory, with bounds checks.
const ADDRESS_BUDGET: u64 = 64 << 40;

/// Sizes the engine for a run.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// The most users alive at once.
    pub max_users: u32,
    /// The linear memory each user may grow to, in bytes.
    pub vu_memory: usize,
    /// Epoch interruption for the task timeout; off only to measure what it costs.
    pub budgets: bool,
    /// What one user's instance takes from the pool, counted from the loaded components.
    pub per_user: Needs,
}

/// Builds an engine with a pooling allocator sized for `options.max_users`, and starts the
/// epoch ticker that lets the host interrupt a guest that never yields.
pub fn build_engine(options: EngineOptions) -> anyhow::Result<Engine> {
    let slots = options.max_users.saturating_add(SPARE_SLOTS);
    let needs = options.per_user;
    let memories = slots.saturating_mul(needs.memories);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(needs.core_instances))
        .max_core_instances_per_component(needs.core_instances)
        .max_memories_per_component(needs.memories)
        .max_tables_per_component(needs.tables)
        .total_memories(memories)
        .total_tables(slots.saturating_mul(needs.tables))
        .total_stacks(slots)
        .async_stack_keep_resident(STACK_KEEP_RESIDENT)
        .max_memory_size(options.vu_memory);
    let mut config = Config::new();
    config
        .epoch_interruption(options.budgets)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if u64::from(memories) * FULL_RESERVATION > ADDRESS_BUDGET {
        config.memory_reservation(options.vu_memory as u64);
    }
    let engine = Engine::new(&config).map_err(|err| {
        anyhow::anyhow!(
            "cannot reserve the memory of {} users ({}): run fewer users in this process",
            options.max_users,
            anyhow::Error::from(err)
        )
    })?;
    if !options.budgets {
        return Ok(engine);
    }
    let ticker = engine.weak();
    std::thread::Builder::new()
        .name("wasmload-epoch".into())
        .spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .context("cannot start the epoch thread")?;
    Ok(engine)
}

/// A compiled component, ready to be linked.
pub struct Compiled {
    /// Where it came from.
    pub path: PathBuf,
    /// SHA-256 of the file, in hex.
    pub sha256: String,
    /// The engine it was compiled with.
    pub engine: Engine,
    /// The compiled component.
    pub component: Component,
    /// The scenario's imports that libraries provide, and which.
    pub links: Vec<Link>,
    /// What one user's instance of it takes from the pool.
    pub needs: Needs,
    /// The functions of each library it links, to tell a trap in a library.
    pub library_code: Vec<LibraryCode>,
}

/// SHA-256 of a file's `bytes`, in hex, as `sha256sum` prints it.
fn file_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

/// A component read and linked with its libraries, not compiled yet.
pub struct Prepared {
    /// Where it came from.
    pub path: PathBuf,
    /// SHA-256 of the file, in hex.
    sha256: String,
    /// The component, libraries included.
    bytes: Vec<u8>,
    /// The scenario's imports that libraries provide, and which.
    links: Vec<Link>,
    /// What one user's instance of it takes from the pool.
    pub needs: Needs,
    /// The functions of each library it links.
    library_code: Vec<LibraryCode>,
}

/// Reads a component and links the `libraries` it imports; or says in one line why it
/// cannot (not a component, an import no library provides, versions that do not match).
pub fn prepare(path: &Path, libraries: &[Library]) -> Result<Prepared, Failure> {
    let bytes = parts::read(path)
        .map_err(|err| Failure::bad_input(anyhow!("cannot read {}: {err}", path.display())))?;
    check_header(path, &bytes).map_err(Failure::bad_input)?;
    let sha256 = file_digest(&bytes);
    let scenario = (!libraries.is_empty()).then(|| bytes.clone());
    let composed = compose::compose(path, bytes, libraries).map_err(Failure::bad_input)?;
    let library_code = match scenario {
        Some(scenario) if !composed.links.is_empty() => {
            let linked: Vec<(String, &[u8])> = libraries
                .iter()
                .enumerate()
                .filter(|(index, _)| composed.links.iter().any(|link| link.library == *index))
                .map(|(_, library)| (library.label(), library.bytes.as_slice()))
                .collect();
            LibraryCode::of(&scenario, &linked)
        }
        _ => Vec::new(),
    };
    let needs = Needs::of(&composed.bytes).map_err(|err| {
        Failure::bad_input(anyhow!(
            "{} is not a valid component: {err}",
            path.display()
        ))
    })?;
    Ok(Prepared {
        path: path.to_path_buf(),
        sha256,
        bytes: composed.bytes,
        links: composed.links,
        needs,
        library_code,
    })
}

/// The pool resources one user of any of `prepared` takes.
pub fn needs_of(prepared: &[Prepared]) -> Needs {
    prepared
        .iter()
        .map(|prepared| prepared.needs)
        .reduce(Needs::max)
        .unwrap_or(Needs::SINGLE_COMPONENT)
}

/// Compiles a prepared component, or explains in one line why it is not one.
pub fn compile(engine: &Engine, prepared: Prepared) -> Result<Compiled, Failure> {
    let Prepared {
        path,
        sha256,
        bytes,
        links,
        needs,
        library_code,
    } = prepared;
    let component = compiled_cache::compile(engine, &bytes).map_err(|err| {
        Failure::bad_input(anyhow!(
            "{} is not a valid component: {}",
            path.display(),
            anyhow::Error::from(err)
        ))
    })?;
    Ok(Compiled {
        path,
        sha256,
        engine: engine.clone(),
        component,
        links,
        needs,
        library_code,
    })
}

/// Rejects files that are not WebAssembly components before compiling them.
fn check_header(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE: &[u8] = &[1, 0, 0, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        anyhow::bail!("{} is not a WebAssembly file", path.display());
    }
    if &bytes[4..8] == CORE_MODULE {
        anyhow::bail!(
            "{} is a core WebAssembly module, not a component: build scenarios for wasm32-wasip2",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_tell_components_from_modules_and_junk() {
        let path = Path::new("x.wasm");
        assert!(check_header(path, b"\0asm\x0d\0\x01\0rest").is_ok());
        let module = check_header(path, b"\0asm\x01\0\0\0").expect_err("core module");
        assert!(module.to_string().contains("core WebAssembly module"));
        let text = check_header(path, b"hello world, not wasm").expect_err("text");
        assert!(text.to_string().contains("not a WebAssembly file"));
        assert!(check_header(path, b"").is_err());
    }
}
