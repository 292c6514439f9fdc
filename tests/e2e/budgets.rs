//! Budgets and hostile guests: a guest that outgrows `--vu-memory` or floods the log harms
//! only itself, and every request is still counted once.

use crate::support::{paced_beside, run, run_against_demo, scratch_dir, Run};

#[tokio::test]
async fn a_memory_bomb_hits_its_budget_and_restarts() {
    let (run, served) = run_against_demo(
        "memory_bomb",
        &[
            "--vu-memory",
            "16MiB",
            "--users",
            "2",
            "--run-time",
            "3s",
            "--quiet",
        ],
    )
    .await;
    run.assert(run.code == 3, "exceptions exit 3");
    let traps = run.exceptions_containing("memory allocation of 1048576 bytes failed");
    run.assert(traps >= 2, "each user ran out of memory and was counted");
    run.assert(
        run.stdout.contains("limited to 16.0 MiB by --vu-memory"),
        "the message names the budget and the flag",
    );
    let (requests, failures) = run.aggregated();
    run.assert(
        requests > traps * 5 && failures == 0,
        "the users go on in fresh instances after each trap",
    );
    assert_eq!(requests, served, "reported vs served");
}

/// Two `Paced` users for 3 s, alone or beside two users of `neighbour`; returns the Paced
/// row's count, the run, and the server's count of `/health`.
async fn paced_requests(neighbour: Option<&str>) -> (u64, Run, u64) {
    let (result, row, health) = paced_beside(neighbour, 2, &["--run-time", "3s", "--quiet"]).await;
    (row.map_or(0, |row| row.requests), result, health)
}

#[tokio::test]
async fn a_guest_flooding_the_log_only_slows_itself() {
    let (alone, solo, served_alone) = paced_requests(None).await;
    solo.assert(
        alone == served_alone && alone >= 40,
        &format!("two paced users made {alone} calls alone, {served_alone} served"),
    );
    let (beside, result, served_beside) = paced_requests(Some("log_flood")).await;
    result.assert(result.code == 0, "a noisy guest is not an error");
    result.assert(result.aggregated().1 == 0, "the requests go on");
    result.assert(
        beside == served_beside,
        "the paced calls counted are the ones served",
    );
    result.assert(
        beside * 5 >= alone * 4,
        &format!("the paced users kept their pace beside the flood: {beside} calls, {alone} alone"),
    );
    result.assert(
        result.stderr.contains("[vu 1] log line 999")
            && result.stderr.contains("[vu 1] stdout: stdout line 999"),
        "guest output reaches the log with the user's id",
    );
    let guest_seconds: f64 = result
        .stdout
        .lines()
        .find(|line| line.starts_with("cpu: guest code"))
        .and_then(|line| line.split("LogFlood ").nth(1))
        .and_then(|rest| rest.split('s').next()?.parse().ok())
        .unwrap_or(0.0);
    result.assert(
        guest_seconds > 0.1,
        "the noisy guest's CPU time is reported",
    );
}

#[tokio::test]
async fn distinct_urls_share_an_overflow_row_and_memory_stays_bounded() {
    let summary = scratch_dir("distinct_urls").join("summary.json");
    let json = format!("--json={}", summary.display());
    let (result, served) = run_against_demo(
        "distinct_urls",
        &["--users", "20", "--iterations", "2000", "--quiet", &json],
    )
    .await;
    let (requests, _) = result.aggregated();
    assert_eq!(requests, 2000);
    assert_eq!(requests, served, "reported vs served");
    result.assert(
        result
            .stderr
            .contains("more than 1000 request names (--max-rows)")
            && result.stderr.contains(".name(\"/api/v1/products/:id\")"),
        "a warning names the cap and the way to group URLs",
    );
    let rows = result.rows();
    let overflow = rows.iter().find(|row| row.name == "(other names)");
    result.assert(
        rows.len() == 1001 && overflow.is_some_and(|row| row.requests == 1000),
        "1000 rows of their own, the other 1000 requests in the overflow row",
    );
    result.assert(
        result
            .stdout
            .contains("1000 requests had names past --max-rows 1000")
            && result
                .stdout
                .contains("1000 values of custom metrics or groups had names past --max-rows 1000"),
        "the report says how many requests and metric values overflowed",
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("a summary")).expect("JSON");
    crate::outputs::assert_follows_the_schema(&written);
    assert_eq!(written["past_the_cap"]["metric_values"], 1000);
    let merged = run(vec!["merge".into(), summary.display().to_string()]).await;
    merged.assert(
        merged.code == result.code
            && merged
                .stdout
                .contains("1000 requests had names past --max-rows (such as /api/v1/products/")
            && merged.stdout.contains(
                "1000 values of custom metrics or groups had names past --max-rows (such as product ",
            ),
        "the run's summary carries what overflowed into a merge",
    );
    let peak_mib: f64 = result
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("memory: wasmload's peak resident "))
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or(f64::MAX);
    result.assert(
        peak_mib < 150.0,
        &format!("2,000 distinct URLs peaked at {peak_mib} MiB resident"),
    );
}

#[tokio::test]
async fn a_run_past_what_one_process_holds_is_refused_with_the_number_it_holds() {
    let (result, served) = run_against_demo(
        "paced_health",
        &[
            "--users",
            "40000",
            "--processes",
            "1",
            "--connections",
            "shared",
            "--run-time",
            "1s",
            "--quiet",
        ],
    )
    .await;
    result.assert_rejected("40000 users need about");
    result.assert(
        result.stderr.contains("vm.max_map_count")
            && result.stderr.contains("so it can hold about"),
        "the line has the number this process can hold and what to do",
    );
    assert_eq!(served, 0, "nothing was sent");
}

/// What the run will see as left to it, in bytes: the machine's available memory, or less
/// where a cgroup limits this process (as in a CI container).
fn available_memory() -> u64 {
    wasmload::scheduler::MemoryRoom::now()
        .expect("the memory left to this process")
        .bytes
}

/// `memory_bomb` users, eight a process (each leaks a MiB a task up to 256 MiB, then starts
/// afresh: eight hold about 1 GiB), with a floor that leaves them 500 MiB, and `flags`,
/// against a fresh demo API.
/// One at a time, since each takes up to 4 GiB for a moment.
async fn fill_the_machine(users: &str, flags: &[&str]) -> (Run, u64) {
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let available = available_memory();
    assert!(
        available > 6 << 30,
        "this test needs 6 GiB of available memory; the machine has {available} bytes"
    );
    let floor = format!("{}KiB", (available - (500 << 20)) >> 10);
    let mut args = vec![
        "--vu-memory",
        "256MiB",
        "--users",
        users,
        "--run-time",
        "60s",
        "--min-free-memory",
        &floor,
    ];
    args.extend_from_slice(flags);
    run_against_demo("memory_bomb", &args).await
}

/// The run stopped for memory: exit 2, the reason in the report, and every request the
/// server saw reported.
fn assert_stopped_for_memory(result: &Run, served: u64) {
    result.assert(result.code == 2, "a limit the machine cannot hold exits 2");
    result.assert(
        result.stdout.contains("(memory ran low)"),
        "the report says why the run ended",
    );
    let (requests, _) = result.aggregated();
    result.assert(
        requests > 0 && requests == served,
        &format!("{requests} requests reported, the server saw {served}"),
    );
}

#[tokio::test]
async fn users_who_fill_the_machine_stop_the_run_which_still_reports() {
    let (result, served) = fill_the_machine("8", &[]).await;
    assert_stopped_for_memory(&result, served);
    let said = result
        .stderr
        .lines()
        .find(|line| line.contains("memory ran low:"))
        .unwrap_or_default();
    result.assert(
        said.contains("below --min-free-memory")
            && said.contains("users running, about")
            && said.contains("such users: run at most that many"),
        "one line says what each user held, how many fit, and what to do",
    );
}

#[tokio::test]
async fn workers_who_fill_the_machine_stop_the_whole_run_which_still_reports() {
    let (result, served) = fill_the_machine("16", &["--processes", "2"]).await;
    assert_stopped_for_memory(&result, served);
    result.assert(
        result
            .stderr
            .lines()
            .any(|line| line.contains("failed: memory ran low:")),
        "the workers' lines reach the user",
    );
}

#[tokio::test]
async fn a_run_that_would_start_below_its_memory_floor_is_refused() {
    let (result, served) = run_against_demo(
        "paced_health",
        &[
            "--users",
            "2",
            "--run-time",
            "1s",
            "--min-free-memory",
            "1PiB",
        ],
    )
    .await;
    result.assert_rejected("of memory is left to");
    result.assert(
        result.stderr.contains("give a smaller --min-free-memory"),
        "the line says what to do",
    );
    assert_eq!(served, 0, "nothing was sent");
}
