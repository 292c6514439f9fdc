//! The machine's limits a run must fit: with one connection per user, open files are the
//! first to run out, so the soft limit is raised to the hard one, and a run that needs more
//! than that is refused before it starts.

use anyhow::anyhow;

use crate::config::RunConfig;
use crate::error::Failure;
use crate::plan::ConnectionMode;

/// Descriptors the process uses besides the users' connections: the engine, the runtime,
/// listeners, files.
const BASE_DESCRIPTORS: u64 = 256;

/// Raises the open-file limit as far as the system allows, and refuses a run whose `users`
/// (at most, at once) would not fit in it with their connections.
pub fn check_open_files(config: &RunConfig, users: u32) -> Result<(), Failure> {
    let limit = raise_open_file_limit();
    let origins = 1 + config.broker.allow_hosts.len() as u64;
    let per_user = match config.broker.connections {
        ConnectionMode::Shared => 0,
        ConnectionMode::PerUser | ConnectionMode::PerIteration => origins,
    };
    let needed = u64::from(users) * per_user + BASE_DESCRIPTORS;
    match limit {
        Some(limit) if needed > limit => Err(Failure::bad_input(anyhow!(
            "{users} users with their own connections need about {needed} open files, but \
             this process may open {limit}: raise the limit (ulimit -n), run fewer users, or \
             share connections with --connections shared"
        ))),
        _ => Ok(()),
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the limit now in force, or
/// `None` if it cannot be read.
fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
    }
    Some(limit.rlim_cur)
}
