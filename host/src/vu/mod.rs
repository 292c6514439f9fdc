//! One virtual user's sandbox: a Store with its own component instance, and the host
//! imports that instance may call.

mod batch;
mod context;
mod contract_v1;
mod data_host;
mod guest_output;
mod http_host;
mod loaded;
mod metrics_host;
mod options;
mod pacing;
mod probe;
mod responses;
mod runtime_host;
mod shared_stack;
mod state;
#[cfg(test)]
mod testing;

pub use batch::MAX_PARALLEL;
pub use context::{RunContext, SetupResults, VuOptions, DEFAULT_TASK_TIMEOUT, DEFAULT_VU_MEMORY};
pub use loaded::{LoadedScenario, ScenarioPre};
pub use pacing::wait_after;
pub use probe::{mappings_per_user, max_mappings, process_mappings};
pub use state::{Identity, VuState};

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};

use crate::bindings::{v1, v2, ShapeStep, UserInfo};
use crate::engine::LibraryCode;

/// How long a guest computes without calling the host before it yields its thread.
const YIELD_AFTER: Duration = Duration::from_millis(2);

/// Calls the `user` export `$call` of `$vu`'s guest with `$arg`s, with the guest-time clock
/// running around it from `entered` (now, unless given); a 0.1.0 guest's answer is read
/// through `v1_map` (as it is without one), or, for an export 0.1.0 has not, is `not_in_v1`.
macro_rules! call_user {
    ($vu:ident, $call:ident($($arg:expr),*)) => {
        call_user!($vu, $call($($arg),*), v1_map: std::convert::identity)
    };
    ($vu:ident, $call:ident($($arg:expr),*), v1_map: $read:expr) => {
        call_user!($vu, $call($($arg),*), v1_map: $read, entered: std::time::Instant::now())
    };
    ($vu:ident, $call:ident($($arg:expr),*), v1_map: $read:expr, entered: $now:expr) => {{
        $vu.enter($now);
        let result = match &$vu.scenario {
            Exports::V1(guest) => guest
                .wasmload_scenario_user()
                .$call(&mut $vu.store $(, $arg)*)
                .await
                .map($read),
            Exports::V2(guest) => {
                guest.wasmload_scenario_user().$call(&mut $vu.store $(, $arg)*).await
            }
        };
        $vu.store.data_mut().leave_guest();
        result
    }};
    ($vu:ident, $call:ident($($arg:expr),*), not_in_v1: $answer:expr) => {{
        $vu.enter(std::time::Instant::now());
        let result = match &$vu.scenario {
            Exports::V1(_) => $answer,
            Exports::V2(guest) => {
                guest.wasmload_scenario_user().$call(&mut $vu.store $(, $arg)*).await
            }
        };
        $vu.store.data_mut().leave_guest();
        result
    }};
}

/// A scenario's instance, of the contract version it was built against.
enum Exports {
    V1(v1::Scenario),
    V2(v2::Scenario),
}

/// A user's live instance. After a trap it is poisoned: drop it and instantiate afresh.
pub struct Vu {
    store: Store<VuState>,
    scenario: Exports,
    /// The functions of the libraries linked in, to name one a trap happened in.
    libraries: Arc<[LibraryCode]>,
}

impl Vu {
    /// Instantiates the scenario in a new Store for `identity`.
    pub async fn instantiate(
        loaded: &LoadedScenario,
        ctx: Arc<RunContext>,
        identity: Identity,
    ) -> wasmtime::Result<Self> {
        let budgets = ctx.options.budgets;
        let mut store = Store::new(&loaded.engine, VuState::new(ctx, identity));
        if budgets {
            Self::apply_budgets(&mut store);
        }
        let scenario = match &loaded.pre {
            ScenarioPre::V1(pre) => Exports::V1(pre.instantiate_async(&mut store).await?),
            ScenarioPre::V2(pre) => Exports::V2(pre.instantiate_async(&mut store).await?),
        };
        Ok(Self {
            store,
            scenario,
            libraries: Arc::clone(&loaded.library_code),
        })
    }

    /// The memory limit, and the epoch deadline at each tick of which a computing guest
    /// yields its thread, is paused past its `--vu-cpu` share, or is interrupted past the
    /// task timeout.
    fn apply_budgets(store: &mut Store<VuState>) {
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut context| {
            let state = context.data_mut();
            let task_timeout = state.ctx.options.task_timeout;
            if state.guest_since.elapsed() > task_timeout {
                return Err(wasmtime::format_err!(
                    "task timeout: the guest computed for more than {} without calling the host",
                    humantime::format_duration(task_timeout)
                ));
            }
            Ok(match state.cpu_pause() {
                Some(pause) => UpdateDeadline::YieldCustom(1, Box::pin(tokio::time::sleep(pause))),
                // A guest that only began computing goes on; one that has computed for a
                // while lets the other users on its thread run.
                None if state.guest_since.elapsed() < YIELD_AFTER => UpdateDeadline::Continue(1),
                None => UpdateDeadline::Yield(1),
            })
        });
    }

    /// Asks the guest to describe its user.
    pub async fn describe(&mut self) -> wasmtime::Result<UserInfo> {
        call_user!(self, call_describe(), v1_map: contract_v1::user_info_v2)
    }

    /// Runs the guest's `on-start`.
    pub async fn on_start(&mut self) -> wasmtime::Result<Result<(), String>> {
        call_user!(self, call_on_start())
    }

    /// Runs task `index`, counting it as this user's next iteration.
    pub async fn run_task(&mut self, index: u32) -> wasmtime::Result<Result<(), String>> {
        self.store.data_mut().identity.iteration += 1;
        // One reading of the clock starts both the task and the guest's time.
        let now = self.store.data_mut().begin_task();
        call_user!(self, call_run_task(index), v1_map: std::convert::identity, entered: now)
    }

    /// Runs the scenario's test-wide `setup` (a 0.1.0 scenario has none).
    pub async fn setup(&mut self) -> wasmtime::Result<Result<Vec<u8>, String>> {
        call_user!(self, call_setup(), not_in_v1: Ok(Ok(Vec::new())))
    }

    /// Runs the scenario's test-wide `teardown` with what its setup returned.
    pub async fn teardown(&mut self, setup_data: Option<Vec<u8>>) -> wasmtime::Result<()> {
        call_user!(self, call_teardown(setup_data.as_deref()), not_in_v1: Ok(()))
    }

    /// Records this instance's requests under names that start with `prefix: ` (for a
    /// scenario's setup and teardown).
    pub fn set_row_prefix(&mut self, prefix: &'static str) {
        self.store.data_mut().row_prefix = Some(prefix);
    }

    /// Runs the guest's `on-stop`.
    pub async fn on_stop(&mut self) -> wasmtime::Result<()> {
        call_user!(self, call_on_stop())
    }

    /// Asks the guest's custom load shape for its step at `elapsed_ms` into the run.
    pub async fn shape(&mut self, elapsed_ms: u64) -> wasmtime::Result<Option<ShapeStep>> {
        call_user!(self, call_shape(elapsed_ms), v1_map: |step| step.map(contract_v1::shape_step_v2))
    }

    /// Whether a request of the last task failed without a response, so an error the task
    /// returned may only carry that failure out of it.
    pub fn task_had_failed_request(&self) -> bool {
        self.store.data().failed_sends > 0
    }

    /// Whether the last task found a `next` data queue empty: the run is stopping, and the
    /// error that carried this out of the task is no exception.
    pub fn task_ran_out_of_data(&self) -> bool {
        self.store.data().data_ran_out
    }

    /// Sets how late the next iterations started, for response times from the intended
    /// start (arrival-rate runs).
    pub fn set_lateness(&mut self, lateness_us: Option<u64>) {
        self.store.data_mut().lateness_us = lateness_us;
    }

    /// How long since the current task, or its latest step, began.
    pub fn since_step(&self) -> Duration {
        self.store.data().step_since.elapsed()
    }

    /// Sets the user's wait policy, which `runtime.wait` waits by, and what cuts such a wait
    /// short (the user leaving, or the run's stop).
    pub fn set_wait(
        &mut self,
        wait: crate::bindings::WaitTime,
        cut_short: tokio_util::sync::CancellationToken,
    ) {
        let state = self.store.data_mut();
        state.wait = wait;
        state.wait_cut_short = Some(cut_short);
    }

    /// The user's random generator.
    pub fn rng(&mut self) -> &mut rand::rngs::SmallRng {
        &mut self.store.data_mut().identity.rng
    }

    /// The user's identity, to carry over to a fresh instance.
    pub fn identity(&self) -> &Identity {
        &self.store.data().identity
    }

    /// Explains a trap in one line: a guest panic's message if it printed one, else the trap.
    pub fn explain_trap(&self, err: &wasmtime::Error) -> String {
        let reason = self.trap_reason(err);
        let frames = err
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .map(|backtrace| backtrace.frames())
            .unwrap_or_default();
        let names = frames.iter().filter_map(|frame| frame.func_name());
        match LibraryCode::owner(&self.libraries, names) {
            Some(library) => format!("{reason} (in the library {library})"),
            None => reason,
        }
    }

    fn trap_reason(&self, err: &wasmtime::Error) -> String {
        let stderr = self.store.data().stderr_tail.take();
        if let Some(panic) = panic_message(&stderr) {
            return panic;
        }
        if let Some(line) = stderr
            .lines()
            .find(|line| line.starts_with("memory allocation of"))
        {
            return format!(
                "{} (the user's memory is limited to {} by --vu-memory)",
                line.trim(),
                bytesize::ByteSize::b(self.store.data().ctx.options.vu_memory as u64)
                    .display()
                    .iec()
            );
        }
        match err.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => trap.to_string(),
            None => first_line(&err.root_cause().to_string()),
        }
    }

    /// The guest gets control `now`.
    fn enter(&mut self, now: Instant) {
        self.store.data_mut().guest_since = now;
    }
}

/// Extracts "panicked at file:line:col: message" from a Rust guest's stderr.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    let header = lines.by_ref().find(|line| line.contains("panicked at"))?;
    let location = header[header.find("panicked at")?..].trim_end_matches(':');
    let message: Vec<&str> = lines
        .take_while(|line| !line.starts_with("note: "))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    Some(if message.is_empty() {
        location.to_string()
    } else {
        format!("{location}: {}", message.join(" "))
    })
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_read_from_stderr() {
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:12:9:\ndeliberate trap\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace";
        assert_eq!(
            panic_message(stderr).as_deref(),
            Some("panicked at src/lib.rs:12:9: deliberate trap")
        );
        assert_eq!(panic_message("just some log line"), None);
    }
}
