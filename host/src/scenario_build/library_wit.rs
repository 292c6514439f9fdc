//! What a script needs to import scenario libraries written in any language: the WIT of the
//! interfaces the libraries export, read back from the library components themselves, and a
//! world that adds those imports to the contract's `scenario`.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use wit_component::{DecodedWasm, WitPrinter};
use wit_parser::{Resolve, WorldItem};

/// The world a script with libraries or exports beyond the contract's is built against,
/// beside the contract's `scenario`.
pub const WORLD_WITH_LIBRARIES: &str = "scenario-with-libraries";

/// The libraries' interfaces, ready to be written beside the contract.
#[derive(Debug, Default)]
pub struct LibraryWit {
    /// Each package the exported interfaces belong to: (directory under `wit/deps`, WIT).
    pub packages: Vec<(String, String)>,
    /// The exported interfaces, by fully qualified name (`demo:auth/login@0.1.0`).
    pub interfaces: Vec<String>,
}

impl LibraryWit {
    /// The WIT of what `libraries` export; empty without libraries.
    pub fn of(libraries: &[PathBuf]) -> anyhow::Result<Self> {
        let mut packages = BTreeMap::new();
        let mut interfaces = Vec::new();
        for path in libraries {
            read_library(path, &mut packages, &mut interfaces)
                .with_context(|| format!("cannot read the interfaces of {}", path.display()))?;
        }
        interfaces.sort();
        interfaces.dedup();
        Ok(LibraryWit {
            packages: packages.into_iter().collect(),
            interfaces,
        })
    }

    /// The world file: the contract's `scenario` plus an import of each library interface
    /// and the `exports` beside the contract's.
    pub fn world(&self, contract_package: &str, exports: &[&str]) -> String {
        let mut world = format!(
            "package {contract_package};\n\nworld {WORLD_WITH_LIBRARIES} {{\n    include scenario;\n"
        );
        for interface in &self.interfaces {
            world.push_str(&format!("    import {interface};\n"));
        }
        for interface in exports {
            world.push_str(&format!("    export {interface};\n"));
        }
        world.push_str("}\n");
        world
    }
}

/// Adds the packages and interfaces the library at `path` exports.
fn read_library(
    path: &Path,
    packages: &mut BTreeMap<String, String>,
    interfaces: &mut Vec<String>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(path)?;
    let DecodedWasm::Component(resolve, world) = wit_component::decode(&bytes)? else {
        return Err(anyhow!("it is a WIT package, not a component"));
    };
    for item in resolve.worlds[world].exports.values() {
        let WorldItem::Interface { id, .. } = item else {
            continue;
        };
        let name = resolve
            .id_of(*id)
            .ok_or_else(|| anyhow!("it exports an unnamed interface"))?;
        let package = resolve.interfaces[*id]
            .package
            .ok_or_else(|| anyhow!("{name} belongs to no package"))?;
        let key = package_dir(&resolve, package);
        if let Entry::Vacant(slot) = packages.entry(key) {
            let mut printer = WitPrinter::default();
            printer.print(&resolve, package, &[])?;
            slot.insert(printer.output.to_string());
        }
        interfaces.push(name);
    }
    Ok(())
}

/// A directory name for a package: `namespace-name-version`.
fn package_dir(resolve: &Resolve, package: wit_parser::PackageId) -> String {
    let name = &resolve.packages[package].name;
    let version = name
        .version
        .as_ref()
        .map(|version| format!("-{version}"))
        .unwrap_or_default();
    format!("{}-{}{version}", name.namespace, name.name)
}
