//! `wasmload inspect`: what a scenario component imports and exports, its user (tasks,
//! weights, wait time, load shape) and the capabilities it asks for, before anyone runs it.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::anyhow;

use crate::bindings::{TaskOrder, UserInfo, WaitTime, CONTRACT};
use crate::broker::{BrokerOptions, HttpBroker};
use crate::engine::{self, EngineOptions};
use crate::error::{Failure, EXIT_OK};
use crate::metrics;
use crate::scenario_build::resolve_components;
use crate::vu::{LoadedScenario, RunContext, VuOptions};

/// The target the describing instance is given; it sends no request.
const NO_TARGET: &str = "http://127.0.0.1:9";

/// Prints the inspection of `path` (a `.wasm` or a scenario crate directory).
pub async fn inspect(path: &Path, library_paths: &[PathBuf]) -> Result<u8, Failure> {
    let components = resolve_components(&[path.to_path_buf()], library_paths)?;
    let libraries = engine::read_libraries(&components.libraries)?;
    let options = VuOptions::default();
    let prepared = engine::prepare(&components.scenarios[0], &libraries)?;
    let engine = engine::build_engine(EngineOptions {
        max_users: 1,
        vu_memory: options.vu_memory,
        budgets: options.budgets,
        per_user: prepared.needs,
    })
    .map_err(Failure::from)?;
    let loaded = LoadedScenario::link(engine::compile(&engine, prepared)?)?;
    let (user, thresholds) = describe(&loaded, options).await?;
    print!("{}", render(path, &loaded, &user));
    if !thresholds.is_empty() {
        println!(
            "thresholds of its own options (judged unless the run gives some):\n  {}\n",
            thresholds.join("\n  ")
        );
    }
    print!("{}", render_libraries(&loaded, &libraries));
    Ok(EXIT_OK)
}

/// Instantiates the scenario once, with no target, to read its user and the thresholds of
/// its own options.
async fn describe(
    loaded: &LoadedScenario,
    options: VuOptions,
) -> Result<(UserInfo, Vec<String>), Failure> {
    let target = url::Url::parse(NO_TARGET).map_err(|err| anyhow!("{NO_TARGET}: {err}"))?;
    let (recorder, _aggregator, _live) =
        metrics::channel(&[], metrics::DEFAULT_MAX_ROWS).map_err(|err| anyhow!("{err}"))?;
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&BrokerOptions::new(target))?,
        recorder,
        options,
        data: crate::data::DataSets::default(),
        setup_results: crate::vu::SetupResults::default(),
    });
    let user = loaded.describe(&ctx, 0).await?;
    let thresholds = loaded
        .thresholds(&ctx)
        .await
        .map_err(|err| Failure::scenario(anyhow!("its options cannot be read: {err:#}")))?;
    Ok((user, thresholds))
}

fn render(given: &Path, loaded: &LoadedScenario, user: &UserInfo) -> String {
    let mut out = String::new();
    let bytes = crate::engine::parts::read(&loaded.path).unwrap_or_default();
    let _ = writeln!(
        out,
        "{} ({} bytes): a {CONTRACT}@{} scenario written in {}",
        loaded.path.display(),
        bytes.len(),
        loaded.pre.version(),
        engine::language_of(&bytes)
    );
    if given != loaded.path && !given.is_dir() {
        let _ = writeln!(out, "built from {}", given.display());
    }
    out.push('\n');
    let _ = writeln!(out, "user {}", user.name);
    let total: u64 = user.tasks.iter().map(|task| u64::from(task.weight)).sum();
    if user.order == TaskOrder::Sequential {
        let _ = writeln!(out, "  tasks in order, each in turn (a sequence):");
    }
    for task in &user.tasks {
        let share = u64::from(task.weight) as f64 * 100.0 / total.max(1) as f64;
        let _ = writeln!(
            out,
            "  task {:<30} weight {:>4}  ({share:.1}% of picks)",
            task.name, task.weight
        );
    }
    let _ = writeln!(out, "  wait: {}", describe_wait(&user.wait));
    if let Some(host) = &user.host {
        let _ = writeln!(
            out,
            "  default host: {host} (--host or a plan's host overrides it)"
        );
    }
    for name in &user.data {
        let _ = writeln!(
            out,
            "  reads data set `{name}` (give it with --data {name}=FILE)"
        );
    }
    let _ = writeln!(
        out,
        "  load shape: {}\n",
        if user.custom_shape {
            "its own (asked every second unless --stages or --rate is given)"
        } else {
            "none (set by flags)"
        }
    );
    let needs = loaded.needs;
    let _ =
        writeln!(
        out,
        "each user: {} core instances, {} linear {} (each may grow to --vu-memory), {} tables\n",
        needs.core_instances,
        needs.memories,
        if needs.memories == 1 { "memory" } else { "memories" },
        needs.tables
    );
    let engine = &loaded.engine;
    let component_type = loaded.component.component_type();
    let _ = writeln!(out, "imports (what it asks for, and what it gets):");
    for (name, _) in component_type.imports(engine) {
        let _ = writeln!(out, "  {name:<44} {}", capability(name));
    }
    let _ = writeln!(out, "\nexports:");
    for (name, _) in component_type.exports(engine) {
        let _ = writeln!(out, "  {name}");
    }
    out
}

/// Each library: what it exports, which of the scenario's imports resolve to it, what it
/// imports itself, and what its sandbox grants.
fn render_libraries(loaded: &LoadedScenario, libraries: &[engine::Library]) -> String {
    let mut out = String::new();
    for (index, library) in libraries.iter().enumerate() {
        let _ = writeln!(
            out,
            "\nlibrary {} (a component of its own: its own instance and memory in every user)",
            library.label()
        );
        let label = |library: Option<usize>| {
            library.map_or_else(|| "the scenario".to_string(), |i| libraries[i].label())
        };
        for export in &library.exports {
            let importers: Vec<String> = loaded
                .links()
                .iter()
                .filter(|link| link.library == index && &link.export == export)
                .map(|link| format!("{} of {}", link.import, label(link.importer)))
                .collect();
            let resolves = if importers.is_empty() {
                "imported by nothing".to_string()
            } else {
                format!("resolves {}", importers.join(", "))
            };
            let _ = writeln!(out, "  exports {export:<36} {resolves}");
        }
        for import in &library.imports {
            let provider = loaded
                .links()
                .iter()
                .find(|link| link.importer == Some(index) && &link.import == import);
            let grant = provider.map_or_else(
                || capability(import).to_string(),
                |link| format!("from {}", label(Some(link.library))),
            );
            let _ = writeln!(out, "  imports {import:<36} {grant}");
        }
    }
    out
}

fn describe_wait(wait: &WaitTime) -> String {
    match *wait {
        WaitTime::None => "none".to_string(),
        WaitTime::Constant(ms) => format!("constant {ms} ms"),
        WaitTime::Between((min, max)) => format!("between {min} and {max} ms"),
        WaitTime::ConstantPacing(ms) => format!("each task takes at least {ms} ms"),
        WaitTime::ConstantThroughput(rate) => format!("at most {rate} tasks/s per user"),
    }
}

/// What the sandbox grants for an import.
fn capability(import: &str) -> &'static str {
    const GRANTS: &[(&str, &str)] = &[
        (
            "wasmload:scenario/http",
            "HTTP, only to --host and --allow-host origins",
        ),
        (
            "wasmload:scenario/session",
            "this user's default headers and cookies",
        ),
        (
            "wasmload:scenario/runtime",
            "sleep, log, ids, --env values, checks, seeded random",
        ),
        ("wasmload:scenario/types", "types only"),
        (
            "wasmload:scenario/data",
            "rows of the --data sets, never their files",
        ),
        (
            "wasmload:scenario/metrics",
            "custom trends, counters, rates and gauges",
        ),
        ("wasi:filesystem", "denied: no directory is opened"),
        ("wasi:sockets", "denied: no sockets, no name lookups"),
        (
            "wasi:cli/environment",
            "empty: no host variables, no arguments",
        ),
        ("wasi:cli/stdin", "empty input"),
        (
            "wasi:cli/stdout",
            "into the wasmload log, with the user's id",
        ),
        (
            "wasi:cli/stderr",
            "into the wasmload log, with the user's id",
        ),
        ("wasi:cli/exit", "ends (traps) this user's instance only"),
        ("wasi:cli/terminal", "no terminal"),
        ("wasi:clocks", "wall and monotonic clocks"),
        ("wasi:random", "random bytes"),
        ("wasi:io", "streams and polling for the above"),
        ("wasi:http", "denied: use wasmload:scenario/http"),
    ];
    GRANTS
        .iter()
        .find(|(prefix, _)| import.starts_with(prefix))
        .map_or("offered by the host", |(_, grant)| grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wasi_family_has_a_stated_grant() {
        assert!(capability("wasi:sockets/tcp@0.2.6").starts_with("denied"));
        assert!(capability("wasi:filesystem/preopens@0.2.6").starts_with("denied"));
        assert!(capability("wasi:cli/environment@0.2.6").starts_with("empty"));
        assert!(capability("wasmload:scenario/http@0.1.0").contains("--allow-host"));
        assert_eq!(capability("other:thing/x"), "offered by the host");
    }
}
