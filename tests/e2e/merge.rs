//! `wasmload merge`: the summaries of a run's shards add up exactly to the whole run, its
//! thresholds are judged once, and summaries that are not one whole run are refused.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use crate::support::{demo_server, guest, run, run_args, scratch_dir};

/// Runs the three shards of one `seeded_choices` run (60 iterations, seed `seed`) at once
/// against one demo API, each writing its summary into `dir`; returns the summaries and the
/// server's count of requests.
async fn shard_summaries(dir: &Path, seed: &str) -> (Vec<PathBuf>, u64) {
    let server = demo_server().await;
    let paths: Vec<PathBuf> = (0..3)
        .map(|i| dir.join(format!("s{i}-{seed}.json")))
        .collect();
    let shard_args = |index: usize| {
        let (shard, json) = (format!("{index}/3"), paths[index].display().to_string());
        let flags = ["--users", "5", "--spawn-rate", "1000", "--iterations", "60"];
        let flags = [
            &flags[..],
            &["--seed", seed, "--shard", &shard, "--json", &json],
        ]
        .concat();
        run_args(&guest("seeded_choices"), &server.url(), &flags)
    };
    let runs = tokio::join!(run(shard_args(0)), run(shard_args(1)), run(shard_args(2)));
    for shard in [runs.0, runs.1, runs.2] {
        shard.assert(shard.code == 0, "each shard passes");
    }
    (paths, server.shutdown().await)
}

/// Shard 2 of the seed-5 run, made by a component that differs from `seeded_choices.wasm`
/// only by a custom section (another build of the same scenario); returns its summary.
async fn shard_of_another_build(dir: &Path) -> PathBuf {
    let mut bytes = std::fs::read(guest("seeded_choices")).expect("the component");
    bytes.extend_from_slice(b"\x00\x05\x04note");
    let component = dir.join("seeded_choices.wasm");
    std::fs::write(&component, bytes).expect("write the copy");
    let server = demo_server().await;
    let json = dir.join("rebuilt.json");
    let shard = [
        "--users",
        "5",
        "--iterations",
        "60",
        "--seed",
        "5",
        "--shard",
        "2/3",
    ];
    let json_arg = json.display().to_string();
    let flags = [&shard[..], &["--json", &json_arg]].concat();
    let result = run(run_args(&component, &server.url(), &flags)).await;
    server.shutdown().await;
    result.assert(result.code == 0, "the other build runs");
    json
}

fn merge_args(summaries: &[&PathBuf], extra: &[&str]) -> Vec<String> {
    let mut args = vec!["merge".to_string()];
    args.extend(summaries.iter().map(|path| path.display().to_string()));
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("a summary")).expect("JSON")
}

/// The histogram a summary keeps at `pointer` (e.g. `/aggregated/hdr_histogram`).
fn histogram(summary: &serde_json::Value, pointer: &str) -> Histogram<u64> {
    let encoded = summary
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .expect("a histogram");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("a V2 histogram")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shards_summaries_merge_into_the_whole_run_exactly_and_are_judged_once() {
    let dir = scratch_dir("merge-exact");
    let (paths, served) = shard_summaries(&dir, "77").await;
    let merged_path = dir.join("merged.json");
    let merged_arg = merged_path.display().to_string();
    let all: Vec<&PathBuf> = paths.iter().collect();
    let flags = ["--threshold", "error_rate<1%", "--json", &merged_arg];
    let result = run(merge_args(&all, &flags)).await;
    result.assert(result.code == 0, "the merged run passes its threshold");
    result.assert(
        result.stdout.contains("merged the 3 shards of one run") && result.aggregated() == (60, 0),
        "one report of the whole run's 60 requests",
    );
    let merged = read_json(&merged_path);
    crate::outputs::assert_follows_the_schema(&merged);
    assert_eq!(
        merged["aggregated"]["count"], served,
        "as many as the server saw"
    );
    let mut added = Histogram::<u64>::new(3).expect("a histogram");
    for path in &paths {
        added
            .add(histogram(&read_json(path), "/aggregated/hdr_histogram"))
            .expect("the same layout");
    }
    assert_eq!(
        histogram(&merged, "/aggregated/hdr_histogram"),
        added,
        "the merged histogram holds every shard's samples, bucket for bucket"
    );
    let seconds = merged["timeline"].as_array().expect("a timeline");
    let by_second: u64 = seconds.iter().filter_map(|p| p["requests"].as_u64()).sum();
    assert_eq!(by_second, 60, "every request is in one merged second");
    let failing = run(merge_args(&all, &["--threshold", "rps>1000000"])).await;
    failing.assert(
        failing.code == 4 && failing.stdout.matches("rps>1000000").count() == 1,
        "a threshold the whole run fails is judged once and exits 4",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_that_are_not_one_whole_run_are_refused_naming_why() {
    let dir = scratch_dir("merge-refused");
    let (paths, _) = shard_summaries(&dir, "5").await;
    let (others, _) = shard_summaries(&dir, "6").await;
    let rebuilt = shard_of_another_build(&dir).await;
    // Shard 2 as a run of another name would have recorded it.
    let mut renamed = read_json(&paths[2]);
    renamed["config"]["run_id"] = "nightly-2".into();
    let renamed_path = dir.join("s2-renamed.json");
    std::fs::write(&renamed_path, renamed.to_string()).expect("the summary is written");
    let cases = [
        (
            vec![&paths[0], &paths[1], &renamed_path],
            "their run ids differ (none and nightly-2)",
        ),
        (vec![&paths[0], &paths[1]], "shard 2 of 3 is missing"),
        (
            vec![&paths[0], &paths[0], &paths[1], &paths[2]],
            "shard 0 of 3 is given twice",
        ),
        (
            vec![&paths[0], &paths[1], &others[2]],
            "their seeds differ (5 and 6)",
        ),
        (
            vec![&paths[0], &paths[1], &rebuilt],
            "their scenarios differ",
        ),
    ];
    for (summaries, reason) in cases {
        let refused = run(merge_args(&summaries, &[])).await;
        refused.assert(
            refused.code == 2 && refused.stderr.contains(reason),
            &format!("refused as bad input: {reason}"),
        );
    }
}

/// The libraries linked into a scenario are part of the run: shards that linked different
/// builds of a library are not one run, and the whole run's report names the library.
#[tokio::test]
async fn shards_that_linked_different_libraries_are_not_one_run() {
    let dir = scratch_dir("merge-libraries");
    let mut bytes = std::fs::read(guest("auth_library")).expect("the library");
    bytes.extend_from_slice(b"\x00\x05\x04note");
    let rebuilt = dir.join("auth_library.wasm");
    std::fs::write(&rebuilt, bytes).expect("write the copy");
    let server = demo_server().await;
    let shard = |index: usize, library: &Path, name: &str| {
        let json = dir.join(format!("{name}.json"));
        let flags = ["--users", "2", "--iterations", "4", "--seed", "7", "--lib"];
        let shard = format!("{index}/2");
        let json_arg = json.display().to_string();
        let library = library.display().to_string();
        let extra = ["--shard", shard.as_str(), "--json", json_arg.as_str()];
        let args = [&flags[..], &[library.as_str()], &extra[..]].concat();
        (
            run(run_args(&guest("uses_auth"), &server.url(), &args)),
            json,
        )
    };
    let original = guest("auth_library");
    let ((first, s0), (second, s1), (other, s1_rebuilt)) = {
        let (a, a_json) = shard(0, &original, "s0");
        let (b, b_json) = shard(1, &original, "s1");
        let (c, c_json) = shard(1, &rebuilt, "s1-rebuilt");
        let (a, b, c) = tokio::join!(a, b, c);
        ((a, a_json), (b, b_json), (c, c_json))
    };
    server.shutdown().await;
    for result in [&first, &second, &other] {
        result.assert(result.code == 0, "each shard passes");
    }
    let summary = read_json(&s0);
    assert_eq!(
        summary["scenarios"][0]["libraries"][0]["file"], "auth_library.wasm",
        "the summary records the library"
    );
    let whole = run(merge_args(&[&s0, &s1], &[])).await;
    whole.assert(
        whole.code == 0 && whole.stdout.contains("with auth_library.wasm"),
        "the same library merges, and the whole run's report names it",
    );
    let refused = run(merge_args(&[&s0, &s1_rebuilt], &[])).await;
    refused.assert(
        refused.code == 2 && refused.stderr.contains("their scenarios differ"),
        "another build of the library is another run",
    );
}
