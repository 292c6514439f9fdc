//! Scripts built into components by a language's toolchain, once per content, into
//! wasmload's cache: what Python and JavaScript share.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::anyhow;

use super::library_wit::{LibraryWit, WORLD_WITH_LIBRARIES};
use super::sources::{CONTRACT_PACKAGE, CONTRACT_WIT};
use crate::cache;
use crate::error::Failure;

/// The module name a script is built under, whatever its file is called.
pub const SCRIPT_MODULE: &str = "wasmload_scenario";

/// A scripting language wasmload builds scenarios from.
pub trait Language {
    /// The cache's subdirectory.
    const NAME: &'static str;
    /// The extensions of the script (the first names built components) and of the modules
    /// beside it that it may import.
    const EXTENSIONS: &'static [&'static str];
    /// The toolchain's name and version, as the build announces them.
    const TOOL: (&'static str, &'static str);
    /// The module the toolchain builds (file name, text): it imports the script.
    const ENTRY: (&'static str, &'static str);
    /// The SDK's files, and the directory under the build where they go.
    const SDK: (&'static str, &'static [(&'static str, &'static str)]);
    /// What the scripts export beside the contract's `user`: (interface, its package's WIT).
    const EXPORTS: &'static [(&'static str, &'static str)];
    /// The toolchain's command building `work` (the script, entry, SDK and contract written
    /// into it) for `world` into `work/out.wasm`; it installs the toolchain if needed.
    fn command(work: &Path, script_dir: &Path, world: &str) -> anyhow::Result<Command>;
}

/// What a build depends on besides the scripts: toolchain version, contract, entry, SDK.
fn key_parts<L: Language>() -> Vec<&'static [u8]> {
    let mut parts = vec![
        L::TOOL.1.as_bytes(),
        CONTRACT_WIT.as_bytes(),
        L::ENTRY.1.as_bytes(),
    ];
    for (name, text) in L::SDK.1 {
        parts.extend([name.as_bytes(), text.as_bytes()]);
    }
    for (interface, wit) in L::EXPORTS {
        parts.extend([interface.as_bytes(), wit.as_bytes()]);
    }
    parts
}

/// A directory name under `wit/deps` for the package of `interface` (`ns:pkg/iface@1.0`).
fn package_dir(interface: &str) -> String {
    interface
        .split('/')
        .next()
        .unwrap_or(interface)
        .replace(':', "-")
}

/// Writes the contract (with the libraries' interfaces), the entry and the SDK into `work`,
/// then runs the toolchain there.
fn build_in<L: Language>(
    work: &Path,
    script: &Path,
    script_dir: &Path,
    libraries: &LibraryWit,
) -> anyhow::Result<()> {
    let plain = libraries.interfaces.is_empty() && L::EXPORTS.is_empty();
    let world = if plain {
        "scenario"
    } else {
        WORLD_WITH_LIBRARIES
    };
    let mut command = L::command(work, script_dir, world)?;
    let (tool, version) = L::TOOL;
    eprintln!(
        "wasmload: building {} with {tool} {version} (once for this version of the script)",
        script.display()
    );
    let (sdk_dir, sdk) = L::SDK;
    let sdk: Vec<(String, &str)> = sdk
        .iter()
        .map(|(name, text)| (format!("{sdk_dir}/{name}"), *text))
        .collect();
    let mut files: Vec<(&str, &str)> = sdk.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    files.extend([("wit/scenario.wit", CONTRACT_WIT), L::ENTRY]);
    let exports: Vec<&str> = L::EXPORTS.iter().map(|(interface, _)| *interface).collect();
    let world_file = libraries.world(CONTRACT_PACKAGE, &exports);
    let deps: Vec<(String, &str)> = libraries
        .packages
        .iter()
        .map(|(dir, text)| (dir.clone(), text.as_str()))
        .chain(
            L::EXPORTS
                .iter()
                .map(|(interface, wit)| (package_dir(interface), *wit)),
        )
        .map(|(dir, text)| (format!("wit/deps/{dir}/package.wit"), text))
        .collect();
    if !plain {
        files.push(("wit/with-libraries.wit", &world_file));
        files.extend(deps.iter().map(|(path, text)| (path.as_str(), *text)));
    }
    write_files(work, &files)?;
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|err| anyhow!("{tool} could not be started ({err})"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut log = output.stdout;
    log.extend_from_slice(&output.stderr);
    Err(anyhow!(BuildLog(log)))
}

/// The component of the script at `script`: from the cache when this script (and the files
/// beside it, which it may import) was built before, else built now.
pub fn build<L: Language>(script: &Path, libraries: &LibraryWit) -> Result<PathBuf, Failure> {
    let source = std::fs::read(script)
        .map_err(|err| Failure::bad_input(anyhow!("cannot read {}: {err}", script.display())))?;
    let dir = script_dir(script);
    let siblings = sibling_sources(&dir, script, L::EXTENSIONS);
    let mut parts = key_parts::<L>();
    parts.push(&source);
    for (dir, text) in &libraries.packages {
        parts.extend([dir.as_bytes(), text.as_bytes()]);
    }
    for (name, text) in &siblings {
        parts.extend([name.as_bytes(), text.as_slice()]);
    }
    let key = cache::digest(parts);
    let stem = script
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| SCRIPT_MODULE.into());
    let built = cache::dir()
        .join(L::NAME)
        .join(&key[..24])
        .join(format!("{stem}.{}.wasm", L::EXTENSIONS[0]));
    let entry = built.parent().map(Path::to_path_buf).unwrap_or_default();
    if built.is_file() {
        cache::touch(&built);
        return Ok(built);
    }
    let work = built.with_extension(format!("build-{}", std::process::id()));
    let built_as = format!("{SCRIPT_MODULE}.{}", L::EXTENSIONS[0]);
    let result = std::fs::create_dir_all(&work)
        .and_then(|()| std::fs::write(work.join(&built_as), &source))
        .map_err(anyhow::Error::from)
        .and_then(|()| build_in::<L>(&work, script, &dir, libraries))
        .and_then(|()| {
            std::fs::rename(work.join("out.wasm"), &built)
                .map_err(|err| anyhow!("cannot keep the component: {err}"))
        });
    let _ = std::fs::remove_dir_all(&work);
    if result.is_ok() {
        cache::prune(&cache::dir().join(L::NAME), &entry);
    }
    result
        .map(|()| built.clone())
        .map_err(|err| match err.downcast::<Failure>() {
            Ok(failure) => failure,
            Err(err) => build_failure(script, &built, &built_as, err),
        })
}

/// Writes `files` (relative path, text) under `root`.
pub fn write_files(root: &Path, files: &[(&str, &str)]) -> std::io::Result<()> {
    for (name, text) in files {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// The directory a script's sibling imports come from.
pub fn script_dir(script: &Path) -> PathBuf {
    match script.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Directories a script's own modules are not looked for in: tools' and caches' own.
const SKIPPED_DIRS: &[&str] = &["node_modules", "target", "__pycache__", "venv"];
/// How deep under the script's directory its modules are looked for.
const MODULE_DEPTH: usize = 4;
/// The most module files read beside a script.
const MODULE_FILES: usize = 2000;

/// The other files with one of `extensions` in the script's directory and the directories
/// under it (not hidden ones nor tools' own), by path relative to `dir`: the modules it may
/// import, which a build bundles and so its cache key must cover.
pub fn sibling_sources(dir: &Path, script: &Path, extensions: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), 0usize)];
    while let Some((current, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_dir() {
                let skipped = name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref());
                if !skipped && depth < MODULE_DEPTH {
                    pending.push((path.clone(), depth + 1));
                }
                continue;
            }
            let wanted = path
                .extension()
                .is_some_and(|ext| extensions.iter().any(|wanted| ext == *wanted));
            if !wanted || (depth == 0 && path.file_name() == script.file_name()) {
                continue;
            }
            let relative = path.strip_prefix(dir).unwrap_or(&path);
            if let Ok(text) = std::fs::read(&path) {
                found.push((relative.to_string_lossy().into_owned(), text));
            }
            if found.len() >= MODULE_FILES {
                found.sort();
                return found;
            }
        }
    }
    found.sort();
    found
}

/// What a toolchain printed when a build failed.
#[derive(Debug)]
struct BuildLog(Vec<u8>);

impl std::fmt::Display for BuildLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&tool_error(&self.0))
    }
}

/// The line that says what is wrong: the cause componentize-py reports (the Python
/// exception), else the toolchain's last line.
fn tool_error(log: &[u8]) -> String {
    let text = String::from_utf8_lossy(log);
    let mut lines = text.lines();
    let cause = lines
        .by_ref()
        .find(|line| line.trim() == "Caused by:")
        .and_then(|_| lines.map(str::trim).find(|line| !line.is_empty()));
    match cause {
        Some(cause) => cause.to_string(),
        None => super::toolchain::last_line(log),
    }
}

/// One line for a script that cannot be built, naming the script where the error names the
/// module it was built as; the whole output is kept beside the cache entry.
fn build_failure(script: &Path, built: &Path, built_as: &str, err: anyhow::Error) -> Failure {
    let shown = script.file_name().unwrap_or_default().to_string_lossy();
    let message = err.to_string().replace(built_as, &shown);
    let mut where_logged = String::new();
    if let Some(log) = err.downcast_ref::<BuildLog>() {
        let path = built.with_extension("build.log");
        let text = String::from_utf8_lossy(&log.0).replace(built_as, &shown);
        if cache::write_atomically(&path, text.as_bytes()).is_ok() {
            where_logged = format!(" (the whole output: {})", path.display());
        }
    }
    Failure::bad_input(anyhow!(
        "{} cannot be built into a scenario: {message}{where_logged}",
        script.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modules_beside_a_script_are_found_in_its_directories_but_not_in_tools_own() {
        let scratch = crate::test_support::ScratchDir::new("siblings");
        let dir = scratch.0.clone();
        for file in [
            "locustfile.py",
            "helpers.py",
            "pkg/__init__.py",
            "pkg/deep/util.py",
            "node_modules/x.py",
            ".venv/y.py",
            "notes.txt",
        ] {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap_or(&dir)).expect("a directory");
            std::fs::write(&path, file).expect("a file");
        }
        let found = sibling_sources(&dir, &dir.join("locustfile.py"), &["py"]);
        let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["helpers.py", "pkg/__init__.py", "pkg/deep/util.py"]);
    }

    #[test]
    fn the_python_exception_is_the_line_after_caused_by() {
        let log = b"Traceback (most recent call last):\n  File x\nAssertionError: ...\n\n\
                    Caused by:\n    SyntaxError: expected ':' (wasmload_scenario.py, line 4)\n\n\
                    Stack backtrace:\n   0: anyhow\n";
        assert_eq!(
            tool_error(log),
            "SyntaxError: expected ':' (wasmload_scenario.py, line 4)"
        );
        assert_eq!(
            tool_error(b"error: no such file\n\n"),
            "error: no such file"
        );
    }
}
