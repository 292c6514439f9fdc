//! The state of one virtual user's Store: its WASI context, session, identity and the
//! responses the guest still holds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::SeedableRng;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::guest_output::{GuestOutput, StderrTail};
use super::responses::ResponseSlab;
use super::RunContext;
use crate::bindings::WaitTime;
use crate::broker::{DefaultHeaders, UserAgent};
use crate::metrics::{Sample, SampleBuffer, SampleTag};

/// Who a user is and how far it has come; survives the user's instance being replaced.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The user's id, from 0.
    pub vu_id: u32,
    /// Index of the user's scenario in the run's scenario list.
    pub scenario: u16,
    /// Tasks started so far, including the current one.
    pub iteration: u64,
    /// The user's random generator, seeded from the run seed and the id.
    pub rng: SmallRng,
}

impl Identity {
    /// A new user's identity; the same seed and id always give the same generator.
    pub fn new(vu_id: u32, scenario: u16, seed: u64) -> Self {
        let stream = u64::from(vu_id)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self {
            vu_id,
            scenario,
            iteration: 0,
            rng: SmallRng::seed_from_u64(seed ^ stream),
        }
    }
}

/// Per-user HTTP session defaults; the cookie jar lives in the user's [`UserAgent`].
#[derive(Default)]
pub struct Session {
    /// Headers sent with every request, in the order set.
    pub default_headers: DefaultHeaders,
}

/// Everything a user's Store holds.
pub struct VuState {
    /// The run's shared services.
    pub ctx: Arc<RunContext>,
    /// Identity, carried over to a fresh instance after a trap.
    pub identity: Identity,
    /// Default headers.
    pub session: Session,
    /// The user's connections and cookie jar.
    pub agent: UserAgent,
    /// More connections of the user, for the parallel requests of a batch.
    pub batch_agents: Vec<UserAgent>,
    /// Requests of the current task that failed without a response.
    pub failed_sends: u32,
    /// Whether the current task found a `next` data queue empty (the run is stopping).
    pub data_ran_out: bool,
    /// Responses the guest has not dropped yet; recorded when dropped.
    pub responses: ResponseSlab,
    /// Finished requests the aggregator has not taken yet.
    samples: SampleBuffer,
    /// When the guest last got control back from the host (for the task timeout).
    pub guest_since: Instant,
    /// Recent stderr output, used to explain traps.
    pub stderr_tail: StderrTail,
    /// Memory and instance limits.
    pub limits: StoreLimits,
    /// How late the current arrival-rate iteration started; `None` in a closed-model run.
    pub lateness_us: Option<u64>,
    /// The user's wait policy, for `runtime.wait` between the steps of a sequence.
    pub wait: WaitTime,
    /// What cuts such a wait short: the user leaving, or the run's stop.
    pub wait_cut_short: Option<tokio_util::sync::CancellationToken>,
    /// When the current task or step began, for paced waits.
    pub step_since: Instant,
    /// What this instance's request names start with (`setup`, `teardown`), if anything.
    pub row_prefix: Option<&'static str>,
    /// The groups begun and not ended, innermost last, with when each began.
    pub groups: Vec<(Arc<str>, Instant)>,
    /// Time spent in guest code not yet reported.
    guest_time: Duration,
    /// Guest time in the current `--vu-cpu` window.
    cpu_window: CpuWindow,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl VuState {
    /// A fresh Store state for `identity`: WASI with no files, sockets, environment or
    /// arguments, and output forwarded to the host log.
    pub fn new(ctx: Arc<RunContext>, identity: Identity) -> Self {
        let stderr_tail = StderrTail::default();
        let wasi = WasiCtx::builder()
            .stdout(GuestOutput::stdout(identity.vu_id))
            .stderr(GuestOutput::stderr(identity.vu_id, stderr_tail.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        // Instances, memories and tables are bounded by the pool, sized for what the loaded
        // components define; the limiter bounds how far each memory grows.
        let limits = StoreLimitsBuilder::new()
            .memory_size(ctx.options.vu_memory)
            .build();
        Self {
            agent: ctx.broker.new_agent(),
            batch_agents: Vec::new(),
            failed_sends: 0,
            data_ran_out: false,
            ctx,
            identity,
            session: Session::default(),
            responses: ResponseSlab::default(),
            samples: SampleBuffer::default(),
            guest_since: Instant::now(),
            stderr_tail,
            limits,
            lateness_us: None,
            wait: WaitTime::None,
            wait_cut_short: None,
            step_since: Instant::now(),
            row_prefix: None,
            groups: Vec::new(),
            guest_time: Duration::ZERO,
            cpu_window: CpuWindow::new(),
            wasi,
            table: ResourceTable::new(),
        }
    }
}

/// Guest time is reported in slices at least this long, so the hot path sends no event.
const GUEST_TIME_SLICE: Duration = Duration::from_millis(100);
/// The window `--vu-cpu` is judged over.
const CPU_WINDOW: Duration = Duration::from_millis(100);

/// Guest time used in the current `--vu-cpu` window.
#[derive(Debug, Clone, Copy)]
struct CpuWindow {
    started: Instant,
    used: Duration,
}

impl CpuWindow {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            used: Duration::ZERO,
        }
    }
}

impl VuState {
    /// The guest hands control to the host (a call returned, or an async host call began):
    /// counts the time since it got control as guest time.
    pub fn leave_guest(&mut self) {
        let stretch = self.guest_since.elapsed();
        self.guest_time += stretch;
        self.cpu_window.used += stretch;
        if self.guest_time >= GUEST_TIME_SLICE {
            self.report_guest_time();
        }
    }

    /// With `--vu-cpu`, whether the guest, still computing, has used its share of the
    /// current window: if so, how long to pause it (to the window's end, when a new one
    /// starts). The pause does not count as guest time.
    pub fn cpu_pause(&mut self) -> Option<Duration> {
        let share = self.ctx.options.vu_cpu?;
        let now = Instant::now();
        if now.duration_since(self.cpu_window.started) >= CPU_WINDOW {
            self.cpu_window = CpuWindow {
                started: now,
                used: Duration::ZERO,
            };
        }
        let used = self.cpu_window.used + self.guest_since.elapsed();
        if used < CPU_WINDOW.mul_f64(share) {
            return None;
        }
        let resume = self.cpu_window.started + CPU_WINDOW;
        self.leave_guest();
        self.guest_since = resume;
        self.cpu_window = CpuWindow {
            started: resume,
            used: Duration::ZERO,
        };
        Some(resume.saturating_duration_since(now))
    }

    fn report_guest_time(&mut self) {
        let micros = self.guest_time.as_micros().min(u128::from(u64::MAX)) as u64;
        if micros > 0 {
            self.ctx.recorder.guest_time(self.identity.scenario, micros);
        }
        self.guest_time = Duration::ZERO;
    }

    /// A task begins: its failed-request count starts afresh, and with `--connections
    /// per-iteration` its connections too. Returns when it began, once they are closed.
    pub fn begin_task(&mut self) -> Instant {
        self.failed_sends = 0;
        self.data_ran_out = false;
        self.groups.clear();
        self.ctx.broker.begin_task(&mut self.agent);
        for sibling in &mut self.batch_agents {
            self.ctx.broker.begin_task(sibling);
        }
        self.step_since = Instant::now();
        self.step_since
    }

    /// Records a finished request (at the aggregator's next drain, with the user's others).
    pub fn record(&self, sample: Sample) {
        self.samples.record(&self.ctx.recorder, sample);
    }

    /// What this user's samples carry besides their row.
    pub fn sample_tag(&self) -> SampleTag {
        SampleTag {
            scenario: self.identity.scenario,
            lateness_us: self.lateness_us,
            group: self.groups.last().map(|(name, _)| Arc::clone(name)),
        }
    }
}

impl WasiView for VuState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl Drop for VuState {
    /// Responses still held when the instance goes away (a trap, a stop) are recorded, so
    /// no request is lost.
    fn drop(&mut self) {
        for sample in self.responses.drain_samples() {
            self.samples.record(&self.ctx.recorder, sample);
        }
        self.report_guest_time();
    }
}
