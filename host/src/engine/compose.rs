//! Scenario libraries: the imports of a scenario that wasmload does not provide itself are
//! satisfied by the exports of library components (`--lib`), matched by interface name and a
//! semver-compatible version, and composed with the scenario into one component at load time
//! (wac-graph). Each library stays a component of its own in every user, with its own
//! instance and linear memory; its own imports of wasmload's interfaces are the host's, like
//! the scenario's.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use wac_graph::types::{are_semver_compatible, ItemKind, Package, SubtypeChecker, WorldId};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, PackageId, Processor};

/// A library component given with `--lib`, read once for every scenario.
#[derive(Debug, Clone)]
pub struct Library {
    /// Where it came from.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The interfaces (and functions) its world imports, by name with versions.
    pub imports: Vec<String>,
    /// The interfaces (and functions) its world exports.
    pub exports: Vec<String>,
}

impl Library {
    /// Reads a library and the names of its imports and exports, or says in one line why it
    /// cannot be one.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = super::parts::read(path)
            .map_err(|err| anyhow!("cannot read the library {}: {err}", path.display()))?;
        super::check_header(path, &bytes)?;
        let (imports, exports) = interface_names(&bytes)
            .with_context(|| format!("the library {} is not a valid component", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
            imports,
            exports,
        })
    }

    /// The file name, as messages name the library.
    pub fn label(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        )
    }
}

/// Reads every library of a run, or says in one line which one cannot be read.
pub fn read_libraries(paths: &[PathBuf]) -> Result<Vec<Library>, crate::error::Failure> {
    paths
        .iter()
        .map(|path| Library::read(path).map_err(crate::error::Failure::bad_input))
        .collect()
}

/// An import of the scenario (or of a library) that a library's export satisfies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The import, as named by the importer.
    pub import: String,
    /// The library that imports it; `None` for the scenario.
    pub importer: Option<usize>,
    /// Index of the library in the `--lib` list.
    pub library: usize,
    /// The export it is linked to.
    pub export: String,
}

/// A scenario with its libraries linked in.
#[derive(Debug)]
pub struct Composed {
    /// The component to compile: the scenario itself if it imports no library.
    pub bytes: Vec<u8>,
    /// Which imports went to which library.
    pub links: Vec<Link>,
}

/// Whether wasmload itself provides `import`: its own interfaces and WASI's.
pub fn is_host_import(import: &str) -> bool {
    import.starts_with("wasmload:scenario/") || import.starts_with("wasi:")
}

/// The imports and exports of a component's world, by name (with versions).
fn interface_names(bytes: &[u8]) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes(
        "wasmload:inspected",
        None,
        bytes.to_vec(),
        graph.types_mut(),
    )?;
    let world = &graph.types()[package.ty()];
    Ok((
        world.imports.keys().cloned().collect(),
        world.exports.keys().cloned().collect(),
    ))
}

/// Links `scenario`'s library imports to `libraries`' exports, or names the import that no
/// library provides (and the flag that gives one) or whose versions do not match.
pub fn compose(
    scenario_path: &Path,
    scenario: Vec<u8>,
    libraries: &[Library],
) -> anyhow::Result<Composed> {
    let label = scenario_path.display().to_string();
    let mut composer = Composer::new(&label, &scenario, libraries)?;
    let root = composer.graph.instantiate(composer.scenario.0);
    let mut queue = VecDeque::from([(root, composer.scenario.1, None, label.clone())]);
    while let Some((instance, world, own, importer)) = queue.pop_front() {
        for (import, kind) in composer.imports(world) {
            let Some((library, export)) = composer.provider(&importer, &import, kind, own)? else {
                continue;
            };
            let provider = composer.instance_of(library, &mut queue);
            let node = composer.graph.alias_instance_export(provider, &export)?;
            composer
                .graph
                .set_instantiation_argument(instance, &import, node)?;
            composer.links.push(Link {
                import,
                importer: own,
                library,
                export,
            });
        }
    }
    if composer.links.is_empty() {
        return Ok(Composed {
            bytes: scenario,
            links: Vec::new(),
        });
    }
    let exports: Vec<String> = composer.graph.types()[composer.scenario.1]
        .exports
        .keys()
        .cloned()
        .collect();
    for name in exports {
        let node = composer.graph.alias_instance_export(root, &name)?;
        composer.graph.export(node, &name)?;
    }
    let bytes = composer
        .graph
        .encode(EncodeOptions {
            define_components: true,
            validate: false,
            processor: Some(Processor {
                name: "wasmload",
                version: env!("CARGO_PKG_VERSION"),
            }),
        })
        .with_context(|| format!("cannot link the libraries into {label}"))?;
    Ok(Composed {
        bytes,
        links: composer.links,
    })
}

/// The composition of one scenario, built up import by import.
struct Composer<'a> {
    graph: CompositionGraph,
    scenario: (PackageId, WorldId),
    libraries: Vec<(PackageId, WorldId)>,
    files: &'a [Library],
    instances: Vec<Option<NodeId>>,
    links: Vec<Link>,
}

impl<'a> Composer<'a> {
    fn new(label: &str, scenario: &[u8], files: &'a [Library]) -> anyhow::Result<Self> {
        let mut graph = CompositionGraph::new();
        let scenario = register(&mut graph, "wasmload:scenario-under-test", scenario)
            .with_context(|| format!("{label} is not a valid component"))?;
        let libraries = files
            .iter()
            .enumerate()
            .map(|(index, library)| {
                register(
                    &mut graph,
                    &format!("wasmload:library{index}"),
                    &library.bytes,
                )
                .with_context(|| {
                    format!("the library {} is not a valid component", library.label())
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            graph,
            scenario,
            instances: vec![None; libraries.len()],
            libraries,
            files,
            links: Vec::new(),
        })
    }

    fn imports(&self, world: WorldId) -> Vec<(String, ItemKind)> {
        self.graph.types()[world]
            .imports
            .iter()
            .filter(|(name, _)| !is_host_import(name))
            .map(|(name, kind)| (name.clone(), *kind))
            .collect()
    }

    /// The library (other than `own`) whose export satisfies `import`, and that export.
    fn provider(
        &self,
        importer: &str,
        import: &str,
        kind: ItemKind,
        own: Option<usize>,
    ) -> anyhow::Result<Option<(usize, String)>> {
        let mut found = Vec::new();
        let mut near = Vec::new();
        for (index, (_, world)) in self.libraries.iter().enumerate() {
            if Some(index) == own {
                continue;
            }
            for (export, export_kind) in &self.graph.types()[*world].exports {
                if export == import || are_semver_compatible(export, import) {
                    SubtypeChecker::new(&mut Default::default())
                        .is_subtype(*export_kind, self.graph.types(), kind, self.graph.types())
                        .with_context(|| {
                            format!(
                                "{importer} imports `{import}`, but the export `{export}` of {} has other types: build both against the same interface",
                                self.files[index].label()
                            )
                        })?;
                    found.push((index, export.clone()));
                } else if unversioned(export) == unversioned(import) {
                    near.push(format!("{} exports `{export}`", self.files[index].label()));
                }
            }
        }
        match found.len() {
            1 => Ok(found.pop()),
            0 if !near.is_empty() => bail!(
                "{importer} imports `{import}`, but {}: build them against compatible versions",
                near.join(" and ")
            ),
            0 => bail!(
                "{importer} imports `{import}`, which wasmload does not provide: give the library that exports it with --lib <library.wasm>"
            ),
            _ => bail!(
                "{importer} imports `{import}`, which several libraries export ({}): give only one",
                found
                    .iter()
                    .map(|(index, _)| self.files[*index].label())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The instance of library `index`, made (and queued to link its own imports) when first
    /// needed: one per library, whoever imports it.
    fn instance_of(
        &mut self,
        index: usize,
        queue: &mut VecDeque<(NodeId, WorldId, Option<usize>, String)>,
    ) -> NodeId {
        if let Some(Some(node)) = self.instances.get(index) {
            return *node;
        }
        let (package, world) = self.libraries[index];
        let node = self.graph.instantiate(package);
        self.instances[index] = Some(node);
        queue.push_back((node, world, Some(index), self.files[index].label()));
        node
    }
}

fn register(
    graph: &mut CompositionGraph,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<(PackageId, WorldId)> {
    let package = Package::from_bytes(name, None, bytes.to_vec(), graph.types_mut())?;
    let world = package.ty();
    Ok((graph.register_package(package)?, world))
}

/// `ns:pkg/iface` of `ns:pkg/iface@1.2.3`.
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(bare, _)| bare)
}
