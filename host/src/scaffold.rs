//! `wasmload new scenario|library NAME`: a crate that builds and runs as it is, so that a new
//! user never copies a `Cargo.toml` by hand.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};

use crate::error::{Failure, EXIT_OK};

/// What `wasmload new` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CrateKind {
    /// A scenario: one virtual user's tasks, exported with `export_user!`.
    Scenario,
    /// A scenario library: a component with an interface of its own that scenarios import.
    Library,
}

/// The SDK crate of the source tree wasmload was built from.
fn built_in_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("guest-sdk")
}

/// Creates the crate `dir` of `kind`, depending on the SDK at `sdk` (else the built-in one).
pub fn new_crate(kind: CrateKind, dir: &Path, sdk: Option<&Path>) -> Result<u8, Failure> {
    let sdk = sdk.map_or_else(built_in_sdk, Path::to_path_buf);
    let files = crate_files(kind, dir, &sdk).map_err(Failure::bad_input)?;
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let shown = dir.display();
    match kind {
        CrateKind::Scenario => println!(
            "created the scenario crate {shown}; run it with `wasmload run {shown} --host URL`"
        ),
        CrateKind::Library => println!(
            "created the library crate {shown}; link it with `wasmload run SCENARIO --lib {shown}`, \
             or list it under `[package.metadata.wasmload] libraries` in the scenario's Cargo.toml"
        ),
    }
    Ok(EXIT_OK)
}

/// The files of the new crate, by path inside it; or why it cannot be made there.
fn crate_files(kind: CrateKind, dir: &Path, sdk: &Path) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let name = crate_name(dir)?;
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        bail!(
            "{} exists and is not empty: choose a new directory",
            dir.display()
        );
    }
    let sdk = sdk
        .canonicalize()
        .ok()
        .filter(|sdk| sdk.join("Cargo.toml").is_file())
        .ok_or_else(|| {
            anyhow!(
                "the wasmload-guest SDK is not at {}: pass --sdk with the path of guest-sdk/",
                sdk.display()
            )
        })?;
    let standalone = !in_workspace_members(dir);
    let manifest = manifest(kind, &name, &sdk, standalone);
    let type_name = camel_case(&name);
    Ok(match kind {
        CrateKind::Scenario => vec![
            ("Cargo.toml".into(), manifest),
            ("src/lib.rs".into(), scenario_source(&name, &type_name)),
        ],
        CrateKind::Library => {
            let package = name.replace('_', "-");
            vec![
                ("Cargo.toml".into(), manifest),
                (format!("wit/{package}.wit").into(), library_wit(&package)),
                ("src/lib.rs".into(), library_source(&name)),
            ]
        }
    })
}

/// The crate name: the directory's last part, which cargo must accept.
fn crate_name(dir: &Path) -> anyhow::Result<String> {
    let name = dir
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!(
            "`{name}` cannot name a crate: use lowercase letters, digits and `_`, starting \
             with a letter (e.g. checkout_flow)"
        );
    }
    Ok(name.to_string())
}

/// Whether a workspace above `dir` lists it as a member (`scripts/*` or its exact path), so
/// the new crate must not declare a workspace of its own.
fn in_workspace_members(dir: &Path) -> bool {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors().skip(1).any(|root| {
        let members = std::fs::read_to_string(root.join("Cargo.toml"))
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|table| table.get("workspace")?.get("members")?.as_array().cloned());
        let Ok(relative) = dir.strip_prefix(root) else {
            return false;
        };
        members.into_iter().flatten().any(|member| {
            let member = member.as_str().unwrap_or_default();
            match member.strip_suffix("/*") {
                Some(parent) => relative.parent() == Some(Path::new(parent)),
                None => relative == Path::new(member),
            }
        })
    })
}

/// `checkout_flow` → `CheckoutFlow`.
fn camel_case(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn manifest(kind: CrateKind, name: &str, sdk: &Path, standalone: bool) -> String {
    let sdk = sdk.display();
    let (bindgen, libraries) = match kind {
        CrateKind::Scenario => (
            "",
            "\n# Scenario libraries this scenario imports, built and linked by `wasmload run` on\n\
             # this directory (crate directories or .wasm files, relative to it):\n\
             # [package.metadata.wasmload]\n# libraries = [\"../my_library\"]\n",
        ),
        CrateKind::Library => (
            "wit-bindgen = { version = \"0.61\", default-features = false, features = [\"macros\", \"realloc\"] }\n",
            "",
        ),
    };
    let workspace = if standalone {
        "\n# A crate of its own, not a member of an enclosing workspace.\n[workspace]\n"
    } else {
        ""
    };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         # A WebAssembly component: `cargo build --release --target wasm32-wasip2`.\n\
         [lib]\ncrate-type = [\"cdylib\"]\n\n\
         [dependencies]\nwasmload-guest = {{ path = \"{sdk}\" }}\n{bindgen}{libraries}{workspace}"
    )
}

fn scenario_source(name: &str, type_name: &str) -> String {
    format!(
        r#"//! `{name}`: a wasmload scenario, one virtual user's behaviour.
//! Run it with `wasmload run <this directory> --host http://127.0.0.1:8000 --users 10`.

use wasmload_guest::prelude::*;

/// A user of the service under test.
#[derive(Default)]
struct {type_name};

impl User for {type_name} {{
    fn spec() -> UserSpec<Self> {{
        UserSpec::new("{type_name}")
            .wait(between(1, 3))
            .task("health", 1, Self::health)
    }}
}}

impl {type_name} {{
    /// `GET /health`: recorded under its name, a failure unless it answers below 400.
    fn health(&mut self, client: &Client) -> TaskResult {{
        let response = client.get("/health").name("/health").send()?;
        check("health answers 200", response.status() == 200);
        Ok(())
    }}
}}

export_user!({type_name});
"#
    )
}

fn library_wit(package: &str) -> String {
    format!(
        r#"/// A scenario library: scenarios import `api`; the library exports it.
package local:{package}@0.1.0;

/// What the library offers.
interface api {{
    /// Calls `GET /health` on the run's host and returns the status; the error says why not.
    health: func() -> result<u16, string>;
}}

/// The library component.
world library {{
    export api;
}}

/// What a scenario that uses the library imports (`world: "client"` in its bindings).
world client {{
    import api;
}}
"#
    )
}

fn library_source(name: &str) -> String {
    let package = name.replace('_', "-");
    format!(
        r#"//! `{name}`: a wasmload scenario library. It exports `local:{package}/api@0.1.0` (see
//! `wit/{package}.wit`); its requests go through wasmload like a scenario's.

use wasmload_guest::prelude::*;

#[allow(missing_docs)]
mod bindings {{
    wit_bindgen::generate!({{ path: "wit", world: "library" }});
}}

/// The library's exports.
struct Library;

impl bindings::exports::local::{name}::api::Guest for Library {{
    fn health() -> Result<u16, String> {{
        let response = Client::new().get("/health").name("/health").send()?;
        Ok(response.status())
    }}
}}

bindings::export!(Library with_types_in bindings);
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_are_checked_and_camel_cased() {
        assert_eq!(
            crate_name(Path::new("/x/checkout_flow")).ok().as_deref(),
            Some("checkout_flow")
        );
        assert!(crate_name(Path::new("/x/Checkout")).is_err());
        assert!(crate_name(Path::new("/x/9lives")).is_err());
        assert!(crate_name(Path::new("/x/my-flow")).is_err());
        assert_eq!(camel_case("checkout_flow"), "CheckoutFlow");
    }

    #[test]
    fn a_crate_under_a_workspace_glob_joins_it_and_one_elsewhere_stands_alone() {
        let scratch = crate::test_support::ScratchDir::new("ws");
        let root = scratch.0.clone();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"scripts/*\", \"one\"]\n",
        )
        .expect("write");
        assert!(in_workspace_members(&root.join("scripts").join("flow")));
        assert!(in_workspace_members(&root.join("one")));
        assert!(!in_workspace_members(&root.join("elsewhere").join("flow")));
    }
}
