//! The toolchains that turn scripts into components, installed into wasmload's cache the
//! first time a script needs them: `componentize-py` from PyPI for Python.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::anyhow;

use crate::cache;
use crate::error::Failure;

/// The `componentize-py` release Python scenarios are built with.
pub const COMPONENTIZE_PY: &str = "0.25.1";
/// Names a `componentize-py` executable to use instead of the cached install.
const COMPONENTIZE_PY_ENV: &str = "WASMLOAD_COMPONENTIZE_PY";
/// Runs the cached package's command-line entry point with the machine's Python.
const RUN_COMPONENTIZE_PY: &str =
    "import sys; sys.argv[0] = 'componentize-py'; import componentize_py; componentize_py.script()";

/// A way to run `componentize-py`.
pub struct ComponentizePy {
    program: PathBuf,
    prefix: Vec<String>,
    python_path: Option<PathBuf>,
}

impl ComponentizePy {
    /// A command running `componentize-py` with `args` to follow.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.prefix);
        if let Some(path) = &self.python_path {
            command.env("PYTHONPATH", path);
        }
        command
    }
}

/// `componentize-py`: `$WASMLOAD_COMPONENTIZE_PY`, else the cached install, installed with
/// the machine's `python3 -m pip` the first time (with a line saying so).
pub fn componentize_py() -> Result<ComponentizePy, Failure> {
    if let Some(program) = std::env::var_os(COMPONENTIZE_PY_ENV).filter(|p| !p.is_empty()) {
        return Ok(ComponentizePy {
            program: PathBuf::from(program),
            prefix: Vec::new(),
            python_path: None,
        });
    }
    let dir = cache::dir()
        .join("toolchains")
        .join(format!("componentize-py-{COMPONENTIZE_PY}"));
    if !dir.join("componentize_py").is_dir() {
        install_componentize_py(&dir)?;
    }
    Ok(ComponentizePy {
        program: PathBuf::from("python3"),
        prefix: vec!["-c".into(), RUN_COMPONENTIZE_PY.into()],
        python_path: Some(dir),
    })
}

/// Installs `componentize-py` into `dir` with pip.
fn install_componentize_py(dir: &Path) -> Result<(), Failure> {
    let mut pip = Command::new("python3");
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ])
    .args(["--no-warn-script-location", "--target"]);
    install(
        dir,
        pip,
        &format!("componentize-py=={COMPONENTIZE_PY}"),
        &format!("cannot install componentize-py {COMPONENTIZE_PY} to build a Python scenario"),
        &format!(
            "install Python 3 with pip, or `pip install componentize-py=={COMPONENTIZE_PY}` \
             and set {COMPONENTIZE_PY_ENV} to its path"
        ),
    )
}

/// Runs `installer STAGING PACKAGE` and renames the staging directory to `dir`, so two runs
/// installing at once leave one whole install; or says in one line what failed and `what_to_do`.
fn install(
    dir: &Path,
    mut installer: Command,
    package: &str,
    cannot: &str,
    what_to_do: &str,
) -> Result<(), Failure> {
    let parent = dir.parent().unwrap_or(dir);
    eprintln!(
        "wasmload: installing {package} into {} (once)",
        dir.display()
    );
    std::fs::create_dir_all(parent)
        .map_err(|err| Failure::bad_input(anyhow!("cannot create {}: {err}", parent.display())))?;
    let staging = parent.join(format!(".staging-{}", std::process::id()));
    let output = installer
        .arg(&staging)
        .arg(package)
        .stdin(Stdio::null())
        .output();
    let failed = match output {
        Err(err) => Some(format!(
            "{:?} could not be started ({err})",
            installer.get_program()
        )),
        Ok(output) if !output.status.success() => Some(last_line(&output.stderr)),
        Ok(_) => None,
    };
    if let Some(reason) = failed {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(Failure::bad_input(anyhow!(
            "{cannot}: {reason}; {what_to_do}"
        )));
    }
    if std::fs::rename(&staging, dir).is_err() {
        // Another run installed it first; theirs is as good.
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(())
}

/// The last non-empty line of a tool's output, for a one-line message.
pub fn last_line(output: &[u8]) -> String {
    String::from_utf8_lossy(output)
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("no output")
        .to_string()
}

/// The `componentize-qjs` release JavaScript scenarios are built with.
pub const COMPONENTIZE_QJS: &str = "0.4.5";
/// Names a `componentize-qjs` executable to use instead of the cached install.
const COMPONENTIZE_QJS_ENV: &str = "WASMLOAD_COMPONENTIZE_QJS";

/// `componentize-qjs`: `$WASMLOAD_COMPONENTIZE_QJS`, else the cached install, installed with
/// the machine's `npm` the first time (with a line saying so).
pub fn componentize_qjs() -> Result<PathBuf, Failure> {
    if let Some(program) = std::env::var_os(COMPONENTIZE_QJS_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(program));
    }
    let dir = cache::dir()
        .join("toolchains")
        .join(format!("componentize-qjs-{COMPONENTIZE_QJS}"));
    let program = dir
        .join("node_modules")
        .join(".bin")
        .join("componentize-qjs");
    if program.is_file() {
        return Ok(program);
    }
    let mut npm = Command::new("npm");
    npm.args([
        "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        "--prefix",
    ]);
    install(
        &dir,
        npm,
        &format!("componentize-qjs@{COMPONENTIZE_QJS}"),
        &format!(
            "cannot install componentize-qjs {COMPONENTIZE_QJS} to build a JavaScript scenario"
        ),
        &format!(
            "install Node.js with npm, or `npm install -g componentize-qjs@{COMPONENTIZE_QJS}` \
             and set {COMPONENTIZE_QJS_ENV} to its path"
        ),
    )?;
    Ok(program)
}
