//! Turning scenario and library arguments into component files: a `.wasm` is used as it is,
//! a crate directory is first built for wasm32-wasip2 with cargo, with the libraries its
//! `Cargo.toml` declares, a Python script with componentize-py (`python`) and a JavaScript
//! one with componentize-qjs (`javascript`).

mod javascript;
mod library_wit;
mod python;
mod script;
mod sources;
mod toolchain;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::anyhow;

use crate::error::Failure;
use library_wit::LibraryWit;

/// The target scenario crates are built for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// The component files of a run: its scenarios, and its libraries (`--lib`, then those
/// the scenario and library crates declare under `[package.metadata.wasmload]`).
#[derive(Debug, Default)]
pub struct Components {
    /// One component per scenario argument, in order.
    pub scenarios: Vec<PathBuf>,
    /// Every library once, in the order first named.
    pub libraries: Vec<PathBuf>,
}

/// Resolves `scenarios` and `libraries` (`.wasm` files, crate directories or scripts) to
/// component files, building the crates and the libraries they declare; the libraries come
/// first, since a script is built against the interfaces they export.
pub fn resolve_components(
    scenarios: &[PathBuf],
    libraries: &[PathBuf],
) -> Result<Components, Failure> {
    let mut components = Components::default();
    let mut declared = Vec::new();
    for scenario in scenarios {
        declared.extend(declared_libraries(scenario)?);
    }
    let mut pending: VecDeque<PathBuf> = libraries.iter().cloned().chain(declared).collect();
    let mut seen = Vec::new();
    while let Some(library) = pending.pop_front() {
        let key = library.canonicalize().unwrap_or_else(|_| library.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        if is_script(&library) {
            return Err(Failure::bad_input(anyhow!(
                "{} is a script; a library is a component (a `.wasm` or a crate directory)",
                library.display()
            )));
        }
        components
            .libraries
            .push(resolve_scenario(&library, &[], &mut None)?);
        pending.extend(declared_libraries(&library)?);
    }
    // The libraries' interfaces, read when the first script needs them, once for all.
    let mut library_wit = None;
    for scenario in scenarios {
        let component = resolve_scenario(scenario, &components.libraries, &mut library_wit)?;
        components.scenarios.push(component);
    }
    Ok(components)
}

/// Whether `path` is a Python or JavaScript script.
fn is_script(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "py" || ext == "js" || ext == "mjs")
}

/// The component file for `scenario`, building it first when it is a crate directory or a
/// script (against the interfaces `libraries` export, which it may import: read into
/// `library_wit` unless an earlier script read them).
fn resolve_scenario(
    scenario: &Path,
    libraries: &[PathBuf],
    library_wit: &mut Option<LibraryWit>,
) -> Result<PathBuf, Failure> {
    if scenario.is_dir() {
        return build_crate(scenario);
    }
    if !is_script(scenario) {
        return Ok(scenario.to_path_buf());
    }
    let library_wit = match library_wit {
        Some(read) => read,
        None => library_wit.insert(LibraryWit::of(libraries).map_err(Failure::bad_input)?),
    };
    if scenario.extension().is_some_and(|ext| ext == "py") {
        python::build(scenario, library_wit)
    } else {
        javascript::build(scenario, library_wit)
    }
}

/// The libraries the crate in `dir` declares, as paths from here; none for a `.wasm`.
///
/// ```toml
/// [package.metadata.wasmload]
/// libraries = ["../demo_auth"]   # crate directories or .wasm files, relative to the crate
/// ```
pub fn declared_libraries(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Ok(Vec::new());
    }
    let bad = |why: String| {
        Failure::bad_input(anyhow!(
            "{}: {why}; write `[package.metadata.wasmload] libraries = [\"../my_library\"]`",
            manifest.display()
        ))
    };
    let text = std::fs::read_to_string(&manifest).map_err(|err| bad(err.to_string()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|err| bad(err.message().to_string()))?;
    let Some(listed) = table
        .get("package")
        .and_then(|package| package.get("metadata"))
        .and_then(|metadata| metadata.get("wasmload"))
        .and_then(|wasmload| wasmload.get("libraries"))
    else {
        return Ok(Vec::new());
    };
    let paths = listed
        .as_array()
        .and_then(|paths| {
            paths
                .iter()
                .map(toml::Value::as_str)
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| bad("`libraries` must be a list of paths".into()))?;
    Ok(paths.into_iter().map(|path| dir.join(path)).collect())
}

/// Builds the scenario or library crate in `dir` (release, wasm32-wasip2) and returns its `.wasm`.
pub fn build_crate(dir: &Path) -> Result<PathBuf, Failure> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(Failure::bad_input(anyhow!(
            "{} is a directory without a Cargo.toml: pass a .wasm component or a scenario crate",
            dir.display()
        )));
    }
    ensure_target(dir)?;
    eprintln!("building {} for {GUEST_TARGET} ...", dir.display());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args(["build", "--release", "--target", GUEST_TARGET])
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--message-format", "json-render-diagnostics"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| {
            Failure::scenario(anyhow!(
                "cannot run cargo to build {}: {err}",
                dir.display()
            ))
        })?;
    let mut component = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(wasm) = wasm_artifact(&line, &manifest) {
                component = Some(wasm);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|err| Failure::scenario(anyhow!("cargo did not finish: {err}")))?;
    if !status.success() {
        return Err(Failure::scenario(anyhow!(
            "building {} failed (cargo's messages are above)",
            dir.display()
        )));
    }
    component.ok_or_else(|| {
        Failure::scenario(anyhow!(
            "building {} produced no .wasm: a scenario or library crate must be a cdylib",
            dir.display()
        ))
    })
}

/// Installs the guest target through rustup when the toolchain used in `dir` lacks it.
pub fn ensure_target(dir: &Path) -> Result<(), Failure> {
    let libdir = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", GUEST_TARGET])
        .current_dir(dir)
        .output();
    let installed = matches!(&libdir, Ok(out) if out.status.success()
        && Path::new(String::from_utf8_lossy(&out.stdout).trim()).is_dir());
    if installed {
        return Ok(());
    }
    eprintln!("installing the {GUEST_TARGET} target with rustup ...");
    let status = Command::new("rustup")
        .args(["target", "add", GUEST_TARGET])
        .current_dir(dir)
        .status();
    match status {
        Ok(status) if status.success() => Ok(()),
        _ => Err(Failure::scenario(anyhow!(
            "the {GUEST_TARGET} target is missing; install it with `rustup target add {GUEST_TARGET}`"
        ))),
    }
}

/// The `.wasm` of a cdylib artifact of the package at `manifest`, from one cargo JSON message.
fn wasm_artifact(line: &str, manifest: &Path) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let is_ours = message["manifest_path"]
        .as_str()
        .is_some_and(|path| same_file(Path::new(path), manifest));
    if !is_ours {
        return None;
    }
    message["filenames"]
        .as_array()?
        .iter()
        .filter_map(|name| name.as_str())
        .find(|name| name.ends_with(".wasm"))
        .map(PathBuf::from)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate directory whose Cargo.toml is `manifest`, fresh for test `name`.
    fn crate_with(name: &str, manifest: &str) -> crate::test_support::ScratchDir {
        let dir = crate::test_support::ScratchDir::new(name);
        std::fs::write(dir.0.join("Cargo.toml"), manifest).expect("write");
        dir
    }

    #[test]
    fn a_crate_declares_its_libraries_relative_to_itself() {
        let dir = crate_with(
            "declared",
            "[package]\nname = \"s\"\n[package.metadata.wasmload]\nlibraries = [\"../auth\", \"x.wasm\"]\n",
        );
        let declared = declared_libraries(&dir.0).expect("readable");
        assert_eq!(declared, vec![dir.0.join("../auth"), dir.0.join("x.wasm")]);
        let none = crate_with("undeclared", "[package]\nname = \"s\"\n");
        assert!(declared_libraries(&none.0).expect("readable").is_empty());
        assert!(declared_libraries(Path::new("/nonexistent/s.wasm"))
            .expect("a file has none")
            .is_empty());
    }

    #[test]
    fn a_malformed_library_list_is_named_with_the_form_to_write() {
        let dir = crate_with(
            "malformed",
            "[package]\nname = \"s\"\n[package.metadata.wasmload]\nlibraries = \"../auth\"\n",
        );
        let message = declared_libraries(&dir.0)
            .expect_err("not a list")
            .to_string();
        assert!(
            message.contains("`libraries` must be a list of paths"),
            "{message}"
        );
        assert!(message.contains("[package.metadata.wasmload]"), "{message}");
    }

    #[test]
    fn the_wasm_artifact_of_our_package_is_found() {
        let manifest = Path::new("/nonexistent/scripts/a/Cargo.toml");
        let ours = r#"{"reason":"compiler-artifact","manifest_path":"/nonexistent/scripts/a/Cargo.toml","filenames":["/t/a.wasm"]}"#;
        let theirs = r#"{"reason":"compiler-artifact","manifest_path":"/nonexistent/dep/Cargo.toml","filenames":["/t/dep.rlib"]}"#;
        let other = r#"{"reason":"build-finished","success":true}"#;
        assert_eq!(
            wasm_artifact(ours, manifest),
            Some(PathBuf::from("/t/a.wasm"))
        );
        assert_eq!(wasm_artifact(theirs, manifest), None);
        assert_eq!(wasm_artifact(other, manifest), None);
        assert_eq!(wasm_artifact("not json", manifest), None);
    }
}
