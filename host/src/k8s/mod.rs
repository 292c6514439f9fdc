//! `wasmload k8s render`: the Kubernetes manifests of a sharded run, written to stdout — a
//! Secret with the run's secret, a ConfigMap with its components (plan and data files), the
//! coordinator as a Job behind a Service, and the shards as an Indexed Job whose pods each
//! run `wasmload run … --shard N` with their index from `JOB_COMPLETION_INDEX`.

mod manifests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;

use crate::engine::parts;
use crate::error::Failure;
use crate::plan::args::{without_flags, FlagSpec};
use crate::plan::parse_scenario_arg;
use crate::scenario_build::resolve_components;
use manifests::{Manifests, MountedFile};

/// Where pods find the components, the plan and the data files.
pub const MOUNT: &str = "/components";
/// The most base64 one ConfigMap holds, less room for its own fields.
pub const CONFIG_MAP_LIMIT: u64 = 1_000_000;
/// A file bigger than this travels gzipped in parts of this size (`engine::parts`), each
/// fitting a ConfigMap in base64.
const PART_BYTES: usize = 700_000;
/// The most the mounted files may take in all: more belongs in an image.
const MOUNTED_LIMIT: u64 = 64 << 20;

/// Flags `render` takes out of the shards' command line: its own, those whose files it
/// mounts (their paths then point into the ConfigMap), and the whole run's files and views,
/// which stay with the coordinator (`--abort-on-fail` goes to it; a pod's files are lost).
const RENDER_FLAGS: [FlagSpec; 23] = [
    ("--ca-cert", true),
    ("--client-cert", true),
    ("--client-key", true),
    ("--shards", true),
    ("--image", true),
    ("--name", true),
    ("--namespace", true),
    ("--ttl", true),
    ("--host", true),
    ("-H", true),
    ("--lib", true),
    ("--plan", true),
    ("--data", true),
    ("--seed", true),
    ("--json", true),
    ("--csv", true),
    ("--html", true),
    ("--junit", true),
    ("--prometheus", true),
    ("--prometheus-linger", true),
    ("--abort-on-fail", false),
    ("--quiet", false),
    ("-q", false),
];

/// What `wasmload k8s render` was asked for.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The scenarios, with their weights.
    pub scenarios: Vec<(PathBuf, u32)>,
    /// `--host`.
    pub host: String,
    /// The run's shards.
    pub shards: u32,
    /// The container image with the `wasmload` program.
    pub image: String,
    /// The run's name in Kubernetes (default: from the first scenario).
    pub name: Option<String>,
    /// The namespace, if not the current one.
    pub namespace: Option<String>,
    /// How long finished Jobs are kept.
    pub ttl: Duration,
    /// `--seed`; one is drawn when absent, as every shard needs the same.
    pub seed: Option<u64>,
    /// `--lib`.
    pub libraries: Vec<PathBuf>,
    /// `--plan`.
    pub plan: Option<PathBuf>,
    /// The data sets, `--data` and the plan's `[data]`, with their files.
    pub data: Vec<(String, PathBuf)>,
    /// The most users the run has at once, to size the shards' memory.
    pub max_users: u32,
    /// The coordinator's own flags: `--abort-on-fail`, `--abort-grace`,
    /// `--exit-code-on-error`.
    pub coordinator_flags: Vec<String>,
    /// The command line after `render`, for the run's other options.
    pub args: Vec<OsString>,
}

/// The manifests, as YAML documents.
pub fn render(options: &RenderOptions) -> Result<String, Failure> {
    if options
        .args
        .iter()
        .any(|arg| arg.to_string_lossy().starts_with("--web"))
    {
        return Err(Failure::bad_input(anyhow!(
            "--web is not served by shards in Kubernetes: leave it out"
        )));
    }
    let paths: Vec<PathBuf> = options
        .scenarios
        .iter()
        .map(|(path, _)| path.clone())
        .collect();
    let components = resolve_components(&paths, &options.libraries)?;
    let mut files = Vec::new();
    let mut scenario_args = Vec::new();
    for (file, (_, weight)) in components.scenarios.iter().zip(&options.scenarios) {
        let key = mount(&mut files, file)?;
        scenario_args.push(format!("{MOUNT}/{key}:{weight}"));
    }
    let mut shard_command = vec!["wasmload".to_string(), "run".to_string()];
    shard_command.extend(scenario_args);
    shard_command.extend(["--host".to_string(), options.host.clone()]);
    for library in &components.libraries {
        let key = mount(&mut files, library)?;
        shard_command.extend(["--lib".to_string(), format!("{MOUNT}/{key}")]);
    }
    if let Some(plan) = &options.plan {
        let key = mount(&mut files, plan)?;
        shard_command.extend(["--plan".to_string(), format!("{MOUNT}/{key}")]);
    }
    // Every data set as a flag to its mounted file (a flag wins over the plan's entry).
    for (name, file) in &options.data {
        let key = mount(&mut files, file)?;
        shard_command.extend(["--data".to_string(), format!("{name}={MOUNT}/{key}")]);
    }
    check_mounted_size(&files)?;
    let (kept, removed) = without_flags(&options.args, &RENDER_FLAGS);
    for (flag, value) in removed {
        if let (true, Some(file)) = (flag.contains("-cert") || flag.contains("-key"), value) {
            let key = mount(&mut files, Path::new(&file))?;
            shard_command.extend([flag.to_string(), format!("{MOUNT}/{key}")]);
        }
    }
    shard_command.extend(other_options(&kept, &options.scenarios));
    let seed = options
        .seed
        .unwrap_or_else(crate::shard_link::wire::random_u64);
    shard_command.extend(["--seed".to_string(), seed.to_string()]);
    let named = kept.iter().any(|arg| {
        let arg = arg.to_string_lossy();
        arg == "--run-id" || arg.starts_with("--run-id=")
    });
    if !named {
        let run_id = format!("{}-{seed:016x}", run_name(options));
        shard_command.extend(["--run-id".to_string(), run_id]);
    }
    let manifests = Manifests {
        name: run_name(options),
        namespace: options.namespace.clone(),
        image: options.image.clone(),
        shards: options.shards,
        ttl: options.ttl,
        secret: crate::shard_link::wire::new_secret().map_err(Failure::from)?,
        files,
        shard_command,
        coordinator_flags: options.coordinator_flags.clone(),
        users_per_shard: options.max_users.div_ceil(options.shards),
    };
    manifests.to_yaml().map_err(Failure::from)
}

/// Refuses files too big for ConfigMaps even gzipped (base64 takes a third more).
fn check_mounted_size(files: &[MountedFile]) -> Result<(), Failure> {
    let size: u64 = files
        .iter()
        .map(|file| file.bytes.len() as u64 * 4 / 3)
        .sum();
    if size > MOUNTED_LIMIT {
        return Err(Failure::bad_input(anyhow!(
            "the components take {size} bytes in base64 even gzipped, more than {MOUNTED_LIMIT} in ConfigMaps: build an image with them instead"
        )));
    }
    Ok(())
}

/// The run's options in `kept` other than the `scenarios` themselves.
fn other_options(kept: &[OsString], scenarios: &[(PathBuf, u32)]) -> Vec<String> {
    let mut scenarios: Vec<&(PathBuf, u32)> = scenarios.iter().collect();
    kept.iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .filter(|arg| {
            let parsed = parse_scenario_arg(arg).ok();
            match scenarios.iter().position(|s| Some(*s) == parsed.as_ref()) {
                Some(index) => {
                    scenarios.remove(index);
                    false
                }
                None => true,
            }
        })
        .collect()
}

/// Adds `path` to the files mounted in pods, under a key of its own (a file too big for a
/// ConfigMap in gzipped parts beside that key, which the pods' wasmload joins); returns the
/// key.
fn mount(files: &mut Vec<MountedFile>, path: &Path) -> Result<String, Failure> {
    let bytes = parts::read(path)
        .map_err(|err| Failure::bad_input(anyhow!("cannot read {}: {err}", path.display())))?;
    let name: String = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let part_of_it = format!("{name}.gz.");
    let taken = |file: &MountedFile| file.key == name || file.key.starts_with(&part_of_it);
    let key = if files.iter().any(taken) {
        format!("{}-{name}", files.len())
    } else {
        name
    };
    if bytes.len() <= PART_BYTES {
        files.push(MountedFile {
            key: key.clone(),
            bytes,
        });
        return Ok(key);
    }
    let split = parts::split(&bytes, PART_BYTES).map_err(|err| Failure::from(anyhow!(err)))?;
    for (index, bytes) in split.into_iter().enumerate() {
        let key = parts::part_name(&key, index);
        files.push(MountedFile { key, bytes });
    }
    Ok(key)
}

/// The run's name in Kubernetes: `--name`, or `wasmload-` and the first scenario's name,
/// as a DNS label.
fn run_name(options: &RenderOptions) -> String {
    let given = options.name.clone().unwrap_or_else(|| {
        let stem = options
            .scenarios
            .first()
            .and_then(|(path, _)| path.file_stem())
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("wasmload-{stem}")
    });
    let label: String = given
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let label = label.trim_matches('-');
    if label.is_empty() {
        "wasmload".to_string()
    } else {
        label.to_string()
    }
}
