//! The machine's limits a run must fit, checked before it starts: open files (one connection
//! per user; the soft limit is raised to the hard one first), memory mappings (each user
//! takes a few, and the kernel caps them per process) and the memory left, which must be
//! above the floor the run keeps free. A run past the first two is refused with the number
//! of users this process can hold.

use anyhow::anyhow;

use crate::config::RunConfig;
use crate::error::Failure;
use crate::plan::display_size;
use crate::plan::ConnectionMode;
use crate::scheduler::MemoryRoom;
use crate::vu::{max_mappings, process_mappings, MAX_PARALLEL};

/// Mappings kept free for everything else the process maps while the run goes on.
const SPARE_MAPPINGS: u64 = 2_000;

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
        Some(limit) => {
            // A batch opens more of the user's connections, as a browser does for a page.
            let batching = u64::from(users) * per_user * MAX_PARALLEL as u64 + BASE_DESCRIPTORS;
            if batching > limit {
                tracing::warn!(
                    "a scenario that sends batches (client.batch) opens up to {MAX_PARALLEL} \
                     connections a user: {users} users would need about {batching} open files, \
                     and this process may open {limit} (ulimit -n)"
                );
            }
            Ok(())
        }
        None => Ok(()),
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

/// Mappings the engine's pool takes for each user slot as it is made (a stack and its guard).
const POOL_MAPPINGS_PER_SLOT: f64 = 2.0;
/// Mappings one more user's instance takes, before it is measured (about 3.5 here).
const INSTANCE_MAPPINGS_ESTIMATE: f64 = 4.0;

/// About how many users one process holds before the kernel's cap on memory mappings,
/// estimated before anything is loaded; `None` if the cap cannot be read.
pub fn users_one_process_holds() -> Option<u64> {
    let cap = max_mappings()?;
    let per_user = POOL_MAPPINGS_PER_SLOT + INSTANCE_MAPPINGS_ESTIMATE;
    Some((cap.saturating_sub(SPARE_MAPPINGS) as f64 / per_user) as u64)
}

/// Before the engine is made: refuses a run of `users` whose pool and instances would
/// clearly take more memory mappings than the kernel allows the process.
pub fn check_mappings_before_engine(users: u32) -> Result<(), Failure> {
    check_mappings(
        users,
        POOL_MAPPINGS_PER_SLOT + INSTANCE_MAPPINGS_ESTIMATE,
        POOL_MAPPINGS_PER_SLOT + INSTANCE_MAPPINGS_ESTIMATE,
    )
}

/// After the engine is made and one user measured: refuses a run of `users` whose instances
/// would take more memory mappings, `per_user` each, than the kernel allows the process.
pub fn check_mappings_of_instances(users: u32, per_user: Option<f64>) -> Result<(), Failure> {
    match per_user {
        Some(per_user) => check_mappings(users, per_user, POOL_MAPPINGS_PER_SLOT + per_user),
        None => Ok(()),
    }
}

/// Refuses `users` that need `needed_per_user` more mappings each than are free; a user
/// takes `per_user` in all, which gives the ceiling to report.
fn check_mappings(users: u32, needed_per_user: f64, per_user: f64) -> Result<(), Failure> {
    let (Some(cap), Some(now)) = (max_mappings(), process_mappings()) else {
        return Ok(());
    };
    let free = cap.saturating_sub(now).saturating_sub(SPARE_MAPPINGS) as f64;
    tracing::debug!("memory mappings: {now} in use of {cap}, {per_user:.1} per user");
    if f64::from(users) * needed_per_user <= free {
        return Ok(());
    }
    let ceiling = (cap.saturating_sub(SPARE_MAPPINGS) as f64 / per_user) as u64;
    let wanted = (f64::from(users) * per_user) as u64 + SPARE_MAPPINGS;
    Err(Failure::bad_input(anyhow!(
        "{users} users need about {wanted} memory mappings ({per_user:.1} each), but this \
         process may have {cap} (vm.max_map_count), so it can hold about {ceiling} users: run \
         at most that many, or raise the limit (sysctl -w vm.max_map_count={})",
        wanted.next_power_of_two()
    )))
}

/// Refuses a run that would start with less memory left to it than the `--min-free-memory`
/// given keeps free: it would stop as soon as it began. (The default floor is at most half
/// the room.)
pub fn check_memory_floor(floor: Option<u64>) -> Result<(), Failure> {
    let (Some(floor), Some(room)) = (floor, MemoryRoom::now()) else {
        return Ok(());
    };
    if room.bytes >= floor {
        return Ok(());
    }
    Err(Failure::bad_input(anyhow!(
        "only {} of memory is left to {}, less than the {} --min-free-memory keeps free: free \
         some memory, or give a smaller --min-free-memory (0 never stops the run)",
        display_size(room.bytes),
        room.whose,
        display_size(floor)
    )))
}
