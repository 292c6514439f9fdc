//! JavaScript scenarios: a k6-style script (`import http from "k6/http"`, `export default
//! function`) built into a component with `componentize-qjs` (QuickJS), without the
//! component-model async ABI (`--sync`), which the engine does not enable.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::library_wit::LibraryWit;
use super::script::{self, Language};
use super::sources::{JS_ENTRY, JS_SDK, OPTIONS_WIT};
use super::toolchain::{self, COMPONENTIZE_QJS};
use crate::bindings::OPTIONS_INTERFACE;
use crate::error::Failure;

/// JavaScript, built by componentize-qjs.
struct JavaScript;

impl Language for JavaScript {
    const NAME: &'static str = "js";
    const EXTENSIONS: &'static [&'static str] = &["js", "mjs"];
    const TOOL: (&'static str, &'static str) = ("componentize-qjs", COMPONENTIZE_QJS);
    const ENTRY: (&'static str, &'static str) = ("wasmload_entry.js", JS_ENTRY);
    const SDK: (&'static str, &'static [(&'static str, &'static str)]) = ("node_modules", JS_SDK);
    const EXPORTS: &'static [(&'static str, &'static str)] = &[(OPTIONS_INTERFACE, OPTIONS_WIT)];

    fn command(work: &Path, script_dir: &Path, world: &str) -> anyhow::Result<Command> {
        let program = toolchain::componentize_qjs()?;
        // The modules beside the script (and the script under its own name), for its
        // relative imports.
        for (name, text) in script::sibling_sources(script_dir, Path::new(""), Self::EXTENSIONS) {
            let path = work.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        let mut command = Command::new(program);
        command
            .current_dir(work)
            .args(["--sync", "-w", "wit", "-n", world])
            .args(["-j", "wasmload_entry.js", "--module-root", "."])
            .args(["-o", "out.wasm"]);
        Ok(command)
    }
}

/// The component of the JavaScript script at `script`, built once per content.
pub fn build(script: &Path, libraries: &LibraryWit) -> Result<PathBuf, Failure> {
    script::build::<JavaScript>(script, libraries)
}
