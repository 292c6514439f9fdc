//! Benchmark: the median time to instantiate one virtual user (a Store, its WASI context and
//! a component instance from the shared pre-instantiation), as the scheduler does per user.
//!
//! `cargo bench -p wasmload --bench instantiate -- path/to/scenario.wasm [count [library.wasm...]]`
//! (with libraries, each user is the scenario composed with them, as `--lib` makes it)

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmload::broker::{BrokerOptions, HttpBroker};
use wasmload::engine::{build_engine, compile, prepare, EngineOptions, Library};
use wasmload::metrics;
use wasmload::vu::{Identity, LoadedScenario, RunContext, Vu, VuOptions};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let path = args.next().ok_or_else(|| {
        anyhow::anyhow!("usage: instantiate <scenario.wasm> [count [library.wasm...]]")
    })?;
    let count: u32 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(2000);
    let libraries = args
        .map(|path| Library::read(path.as_ref()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(&path, count, &libraries))
}

async fn measure(path: &str, count: u32, libraries: &[Library]) -> anyhow::Result<()> {
    let options = VuOptions {
        seed: 1,
        ..VuOptions::default()
    };
    let prepared = prepare(path.as_ref(), libraries).map_err(|err| anyhow::anyhow!("{err}"))?;
    let engine = build_engine(EngineOptions {
        max_users: count,
        vu_memory: options.vu_memory,
        budgets: options.budgets,
        per_user: prepared.needs,
    })?;
    let loaded = compile(&engine, prepared)
        .and_then(LoadedScenario::link)
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let (recorder, _aggregator, _live) = metrics::channel(&[], metrics::DEFAULT_MAX_ROWS)?;
    let ctx = Arc::new(RunContext {
        broker: HttpBroker::new(&BrokerOptions::new("http://127.0.0.1:9".parse()?))?,
        recorder,
        options,
        data: wasmload::data::DataSets::default(),
        setup_results: wasmload::vu::SetupResults::default(),
    });
    let mut times = Vec::with_capacity(count as usize);
    let mut alive = Vec::with_capacity(count as usize);
    for vu_id in 0..count {
        let started = Instant::now();
        let vu = Vu::instantiate(&loaded, Arc::clone(&ctx), Identity::new(vu_id, 0, 1)).await?;
        times.push(started.elapsed());
        alive.push(vu);
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "instantiate one VU{} ({count} live instances): median {:.1} us, p90 {:.1} us, p99 {:.1} us",
        if libraries.is_empty() {
            String::new()
        } else {
            let noun = if libraries.len() == 1 { "library" } else { "libraries" };
            format!(" with {} {noun}", libraries.len())
        },
        micros(at(0.5)),
        micros(at(0.9)),
        micros(at(0.99))
    );
    Ok(())
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
