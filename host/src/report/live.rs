//! The live view while a run goes on: a progress bar with a status line on a terminal, or a
//! plain status line every few seconds when stderr is not one (CI logs).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::metrics::{LiveStats, TimePoint};

/// How often the terminal view refreshes.
const REFRESH: Duration = Duration::from_secs(1);
/// How often a plain status line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// What the progress bar measures progress against.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// `--run-time` (or a shape's length).
    Time(Duration),
    /// `--iterations`.
    Iterations(u64),
    /// Unbounded: a spinner.
    Open,
}

/// A running live view; stop it before printing the report.
pub struct LiveView {
    task: JoinHandle<()>,
    bar: Option<ProgressBar>,
    live: LiveStats,
    started: Instant,
}

impl LiveView {
    /// Starts the view on stderr: a bar when it is a terminal, plain lines otherwise.
    pub fn start(live: LiveStats, progress: Progress) -> Self {
        let started = Instant::now();
        if std::io::stderr().is_terminal() {
            let bar = progress_bar(progress);
            let task = tokio::spawn(refresh_bar(live.clone(), progress, bar.clone()));
            Self {
                task,
                bar: Some(bar),
                live,
                started,
            }
        } else {
            Self {
                task: tokio::spawn(print_lines(live.clone(), started)),
                bar: None,
                live,
                started,
            }
        }
    }

    /// Stops the view: clears the bar, or prints a last plain line.
    pub fn stop(self) {
        self.task.abort();
        match self.bar {
            Some(bar) => bar.finish_and_clear(),
            None => print_line(&self.live, self.started),
        }
    }
}

fn progress_bar(progress: Progress) -> ProgressBar {
    let (length, template) = match progress {
        Progress::Time(run_time) => (
            run_time.as_secs().max(1),
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len}s  {msg}",
        ),
        Progress::Iterations(count) => (
            count.max(1),
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} iterations  {msg}",
        ),
        Progress::Open => (0, "{spinner} [{elapsed_precise}]  {msg}"),
    };
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

async fn refresh_bar(live: LiveStats, progress: Progress, bar: ProgressBar) {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(REFRESH);
    loop {
        ticks.tick().await;
        let position = match progress {
            Progress::Time(_) => started.elapsed().as_secs(),
            Progress::Iterations(_) => live.gauges.iterations(),
            Progress::Open => 0,
        };
        bar.set_position(position);
        bar.set_message(status_line(&live));
        bar.tick();
    }
}

async fn print_lines(live: LiveStats, started: Instant) {
    let mut ticks = tokio::time::interval_at(started + PLAIN_EVERY, PLAIN_EVERY);
    loop {
        ticks.tick().await;
        print_line(&live, started);
    }
}

fn print_line(live: &LiveStats, started: Instant) {
    eprintln!(
        "[{:>5}s] {}",
        started.elapsed().as_secs(),
        status_line(live)
    );
}

/// Users, throughput, failures and the last second's latency, in one line.
pub fn status_line(live: &LiveStats) -> String {
    let users = live.gauges.users();
    let target = live.gauges.target_users();
    let (point, failure_ratio) = {
        let stats = live.lock();
        let total = stats.timeline.last().cloned();
        let ratio = total.as_ref().map_or(0.0, |point| {
            if point.total_requests == 0 {
                0.0
            } else {
                point.total_failures as f64 / point.total_requests as f64
            }
        });
        (total, ratio)
    };
    format_status(users, target, point.as_ref(), failure_ratio)
}

fn format_status(users: u32, target: u32, point: Option<&TimePoint>, failure_ratio: f64) -> String {
    let (rps, fps, p50, p95) = point.map_or((0.0, 0.0, 0.0, 0.0), |point| {
        (point.rps, point.failures_per_s, point.p50_ms, point.p95_ms)
    });
    format!(
        "users {users}/{target} | {rps:.1} req/s | {fps:.1} fail/s ({:.2}%) | p50 {} ms, p95 {} ms",
        failure_ratio * 100.0,
        latency(p50),
        latency(p95)
    )
}

/// Milliseconds with a tenth's precision, or a hundredth's below 1 ms, so sub-millisecond
/// latencies do not all read `0.0`.
fn latency(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{RequestStats, Timeline};

    #[test]
    fn the_status_line_shows_users_rates_failures_and_latency() {
        let mut total = RequestStats::new().expect("a valid layout");
        let mut timeline = Timeline::new(total.empty_like(), &[]);
        for failed in [false, false, false, true] {
            timeline.record(2_000, 10, failed);
            total.record(2_000, 10, failed);
        }
        timeline.close_window(Duration::from_secs(2), 4, &total);
        let line = format_status(4, 10, timeline.last(), 0.25);
        assert_eq!(
            line,
            "users 4/10 | 2.0 req/s | 0.5 fail/s (25.00%) | p50 2.0 ms, p95 2.0 ms"
        );
        assert!(format_status(0, 0, None, 0.0).starts_with("users 0/0 | 0.0 req/s"));
    }

    #[test]
    fn sub_millisecond_latencies_keep_two_decimals() {
        assert_eq!(latency(0.034), "0.03");
        assert_eq!(latency(0.0), "0.00");
        assert_eq!(latency(12.34), "12.3");
    }
}
