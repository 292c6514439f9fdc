//! Builds the demo's scenario (`scripts/login_flow`) and its library (`scripts/demo_auth`,
//! `auth.wasm`) for wasm32-wasip2 and puts them in `OUT_DIR`, so that `wasmload demo` carries
//! both in the binary and runs from any directory, with no source tree or cargo beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The guest target.
const GUEST_TARGET: &str = "wasm32-wasip2";

/// The demo's crates and the components they produce.
const DEMO_CRATES: [(&str, &str); 2] = [("login_flow", "login_flow"), ("demo_auth", "auth")];

fn main() {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("..");
    for input in [
        "scripts/login_flow",
        "scripts/demo_auth",
        "guest-sdk",
        "wit",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    // The guest components of the tests and of `wasmload run <crate>` share this directory.
    let target_dir = root.join("target").join("guests");
    ensure_guest_target(&root);
    build_demo_crates(&root, &target_dir);
    let out_dir = PathBuf::from(env_var("OUT_DIR"));
    for (_, component) in DEMO_CRATES {
        let built = target_dir
            .join(GUEST_TARGET)
            .join("release")
            .join(format!("{component}.wasm"));
        let embedded = out_dir.join(format!("{component}.wasm"));
        if let Err(err) = std::fs::copy(&built, &embedded) {
            panic!("cannot copy {} into OUT_DIR: {err}", built.display());
        }
    }
}

fn env_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name} for build scripts"))
}

/// Installs the guest target with rustup when the toolchain lacks it.
fn ensure_guest_target(root: &Path) {
    let libdir = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", GUEST_TARGET])
        .current_dir(root)
        .output();
    let installed = matches!(&libdir, Ok(out) if out.status.success()
        && Path::new(String::from_utf8_lossy(&out.stdout).trim()).is_dir());
    if !installed {
        let _ = Command::new("rustup")
            .args(["target", "add", GUEST_TARGET])
            .current_dir(root)
            .status();
    }
}

/// Builds the demo crates with a nested cargo, without the outer build's compiler wrapper or
/// host-only flags (clippy's, a `-C target-cpu=native`), which the wasm build must not see.
fn build_demo_crates(root: &Path, target_dir: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--release", "--target", GUEST_TARGET])
        .env("CARGO_TARGET_DIR", target_dir);
    for (package, _) in DEMO_CRATES {
        command.args(["-p", package]);
    }
    for inherited in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CLIPPY_ARGS",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        command.env_remove(inherited);
    }
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!(
            "building the demo scenario for {GUEST_TARGET} failed ({status}); cargo's \
             messages are above (is the target installed? `rustup target add {GUEST_TARGET}`)"
        ),
        Err(err) => panic!("cannot run cargo to build the demo scenario: {err}"),
    }
}
