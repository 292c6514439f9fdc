//! Turning a scenario argument into a component file: a `.wasm` is used as it is, a crate
//! directory is first built for wasm32-wasip2 with cargo.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::anyhow;

use crate::error::Failure;

/// The target scenario crates are built for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// The component file for `scenario`, building it first when it is a crate directory.
pub fn resolve_scenario(scenario: &Path) -> Result<PathBuf, Failure> {
    if scenario.is_dir() {
        build_crate(scenario)
    } else {
        Ok(scenario.to_path_buf())
    }
}

/// Builds the scenario crate in `dir` (release, wasm32-wasip2) and returns its `.wasm`.
pub fn build_crate(dir: &Path) -> Result<PathBuf, Failure> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(Failure::bad_input(anyhow!(
            "{} is a directory without a Cargo.toml: pass a .wasm component or a scenario crate",
            dir.display()
        )));
    }
    ensure_target(dir)?;
    eprintln!("building scenario {} for {GUEST_TARGET} ...", dir.display());
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
            "building scenario {} failed (cargo's messages are above)",
            dir.display()
        )));
    }
    component.ok_or_else(|| {
        Failure::scenario(anyhow!(
            "building {} produced no .wasm: a scenario crate must be a cdylib",
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
