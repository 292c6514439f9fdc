//! Python scenarios: a locustfile (`from wasmload import HttpUser, task, ...`) built into a
//! component with `componentize-py`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::library_wit::LibraryWit;
use super::script::{self, Language};
use super::sources::{PYTHON_APP, PYTHON_SDK};
use super::toolchain::{self, COMPONENTIZE_PY};
use crate::error::Failure;

/// Python, built by componentize-py.
struct Python;

impl Language for Python {
    const NAME: &'static str = "py";
    const EXTENSIONS: &'static [&'static str] = &["py"];
    const TOOL: (&'static str, &'static str) = ("componentize-py", COMPONENTIZE_PY);
    const ENTRY: (&'static str, &'static str) = ("wasmload_app.py", PYTHON_APP);
    const SDK: (&'static str, &'static [(&'static str, &'static str)]) =
        ("sdk/wasmload", PYTHON_SDK);
    const EXPORTS: &'static [(&'static str, &'static str)] = &[];

    fn command(work: &Path, script_dir: &Path, world: &str) -> anyhow::Result<Command> {
        let mut command = toolchain::componentize_py()?.command();
        command
            .arg("-d")
            .arg(work.join("wit"))
            .args(["-w", world, "componentize", "-p"])
            .arg(work)
            .arg("-p")
            .arg(work.join("sdk"))
            .arg("-p")
            .arg(script_dir)
            .args(["wasmload_app", "-o"])
            .arg(work.join("out.wasm"))
            .env("RUST_BACKTRACE", "0");
        Ok(command)
    }
}

/// The component of the Python script at `script`, built once per content.
pub fn build(script: &Path, libraries: &LibraryWit) -> Result<PathBuf, Failure> {
    script::build::<Python>(script, libraries)
}
