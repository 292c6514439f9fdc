//! wasmload's own CPU use, sampled every second: when the generator is the bottleneck, the
//! latencies it measures describe wasmload rather than the server, so it says so.

use std::time::{Duration, Instant};

/// A share of the usable cores above which the run is warned about.
pub const BUSY_WARNING: f64 = 0.9;

/// Samples the process's CPU time (user + system) against wall time.
#[derive(Debug)]
pub struct CpuWatch {
    cores: f64,
    last_cpu: Duration,
    last_wall: Instant,
    warned: bool,
}

impl CpuWatch {
    /// Starts watching from now.
    pub fn start() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        Self {
            cores,
            last_cpu: process_cpu(),
            last_wall: Instant::now(),
            warned: false,
        }
    }

    /// The share of the usable cores the process used since the last sample (0.0 to 1.0),
    /// with a warning the first time it passes [`BUSY_WARNING`].
    pub fn sample(&mut self) -> f64 {
        let (cpu, wall) = (process_cpu(), Instant::now());
        let busy = share(
            cpu.saturating_sub(self.last_cpu),
            wall - self.last_wall,
            self.cores,
        );
        (self.last_cpu, self.last_wall) = (cpu, wall);
        if busy > BUSY_WARNING && !self.warned {
            self.warned = true;
            tracing::warn!(
                "wasmload is using {:.0}% of its {} cores: latencies may now measure the generator, not the server",
                busy * 100.0,
                self.cores
            );
        }
        busy
    }
}

/// CPU time over wall time, spread over `cores`.
fn share(cpu: Duration, wall: Duration, cores: f64) -> f64 {
    if wall.is_zero() {
        return 0.0;
    }
    (cpu.as_secs_f64() / wall.as_secs_f64() / cores).min(1.0)
}

/// The most memory this process has held resident so far (`VmHWM`), in bytes; 0 where
/// `/proc` does not tell.
pub fn peak_resident_bytes() -> u64 {
    process_status_bytes("VmHWM:").unwrap_or(0)
}

/// A size field of this process's `/proc/self/status` (`VmHWM:`, `RssAnon:`), in bytes.
pub fn process_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(kib_field(&status, field)? * 1024)
}

/// The value of `name` in a `/proc` file of `Name: 123 kB` lines (`status`, `meminfo`), in
/// KiB.
pub fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time of this process so far.
fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_resident_memory_is_read() {
        // More than the peak so far, every page touched: the peak must rise past it.
        let before = peak_resident_bytes();
        let size = usize::try_from(before).expect("a peak that fits") + (16 << 20);
        let held = std::hint::black_box(vec![1u8; size]);
        let after = peak_resident_bytes();
        assert!(
            after >= size as u64,
            "peak {after} after holding {}",
            held.len()
        );
    }

    #[test]
    fn the_share_is_cpu_over_wall_per_core() {
        let second = Duration::from_secs(1);
        assert_eq!(share(second, second, 2.0), 0.5);
        assert_eq!(share(second * 3, second, 2.0), 1.0);
        assert_eq!(share(second, Duration::ZERO, 2.0), 0.0);
    }

    /// CPU time of the calling thread alone.
    fn thread_cpu() -> Duration {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes the struct it is given.
        let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0;
        assert!(ok, "the thread's CPU clock");
        Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
    }

    #[test]
    fn a_busy_loop_shows_in_the_process_cpu() {
        let (before, thread_before) = (process_cpu(), thread_cpu());
        let mut x = 0u64;
        while thread_cpu() - thread_before < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let spent = process_cpu() - before;
        assert!(spent >= Duration::from_millis(45), "{spent:?}");
    }
}
