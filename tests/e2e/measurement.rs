//! Measurements describe the server, not the generator: users whose guests compute without
//! end, on the same two cores, leave the latency measured for their neighbours as it was, and
//! `--vu-cpu` holds a computing user to its share of a core.

use crate::support::{demo_server, guest, paced_beside, run, Run};

/// Four `Paced` users for 4 s, alone or beside four users of `neighbour` (interrupted after
/// 1 s of computing each time); returns the run and the Paced row's median, in ms.
async fn paced_median(neighbour: Option<&str>) -> (Run, f64) {
    let flags = [
        "--run-time",
        "4s",
        "--task-timeout",
        "1s",
        "--stop-timeout",
        "2s",
        "--quiet",
    ];
    let (result, row, _) = paced_beside(neighbour, 4, &flags).await;
    let median = row
        .filter(|row| row.failures == 0)
        .map_or(f64::NAN, |row| row.median_ms);
    (result, median)
}

#[tokio::test]
async fn computing_neighbours_leave_the_latency_of_others_as_it_was() {
    let (solo, alone) = paced_median(None).await;
    solo.assert(alone.is_finite(), "the paced users' latency alone");
    let (mixed, beside) = paced_median(Some("busy_loop")).await;
    mixed.assert(
        mixed.exceptions_containing("task timeout") > 0,
        "the neighbours computed until their task timeout",
    );
    mixed.assert(
        beside <= 2.0 * alone + 1.0,
        &format!("median {beside} ms beside four spinning users, {alone} ms alone"),
    );
}

#[tokio::test]
async fn vu_cpu_holds_a_computing_user_to_its_share() {
    let server = demo_server().await;
    let flags = [
        "--users",
        "1",
        "--run-time",
        "3s",
        "--vu-cpu",
        "10%",
        "--stop-timeout",
        "1s",
        "--quiet",
    ];
    let mut args = vec![
        "run".to_string(),
        guest("busy_loop").display().to_string(),
        "--host".to_string(),
        server.url(),
    ];
    args.extend(flags.iter().map(|flag| flag.to_string()));
    let result = run(args).await;
    server.shutdown().await;
    let guest_seconds: f64 = result
        .stdout
        .lines()
        .find(|line| line.starts_with("cpu: guest code"))
        .and_then(|line| line.split("BusyLoop ").nth(1))
        .and_then(|rest| rest.split('s').next()?.parse().ok())
        .unwrap_or(f64::MAX);
    result.assert(
        (0.1..=0.6).contains(&guest_seconds),
        &format!("{guest_seconds}s of guest code in a 3 s run at 10% of a core"),
    );
}
