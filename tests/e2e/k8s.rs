//! `wasmload k8s render`: the manifests pass the Kubernetes schemas strictly, and the pod
//! commands they hold, run here as Kubernetes would run them (each shard with its
//! `JOB_COMPLETION_INDEX`, the components from the ConfigMap), make one run whose total the
//! server counted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::support::{
    demo_server, guest, library_flags, run, run_with_env, scratch_dir, script, workspace,
    Background, Run,
};

/// `wasmload k8s render` of guest `scenario` with `flags`; returns the manifests' text.
async fn render(scenario: &str, host: &str, flags: &[&str]) -> String {
    render_file(&guest(scenario), host, flags).await
}

/// `wasmload k8s render` of the scenario at `component` with `flags`.
async fn render_file(component: &Path, host: &str, flags: &[&str]) -> String {
    let mut flags = flags.to_vec();
    flags.extend(["--host", host]);
    let rendered = render_as_given(component, &flags).await;
    rendered.assert(rendered.code == 0, "the manifests render");
    rendered.stdout
}

/// `wasmload k8s render` of the scenario at `component` with `flags` (and its libraries),
/// however it ends.
async fn render_as_given(component: &Path, flags: &[&str]) -> Run {
    let mut args = vec!["k8s".to_string(), "render".to_string()];
    args.push(component.display().to_string());
    args.extend(library_flags(component));
    args.extend(flags.iter().map(|flag| flag.to_string()));
    run(args).await
}

/// The objects of the manifests, by kind and name.
fn objects(yaml: &str) -> Vec<Value> {
    yaml.split("\n---\n")
        .flat_map(|doc| doc.strip_prefix("---\n").or(Some(doc)))
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| serde_norway::from_str::<Value>(doc).expect("a YAML document"))
        .collect()
}

fn object<'a>(objects: &'a [Value], kind: &str, name_end: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| {
            o["kind"] == kind
                && o["metadata"]["name"]
                    .as_str()
                    .is_some_and(|name| name.ends_with(name_end))
        })
        .unwrap_or_else(|| panic!("no {kind} *{name_end}"))
}

fn command_of(job: &Value) -> Vec<String> {
    job["spec"]["template"]["spec"]["containers"][0]["command"]
        .as_array()
        .expect("a command")
        .iter()
        .map(|arg| arg.as_str().expect("a string").to_string())
        .collect()
}

/// The value after `flag` in `command`.
fn value_after<'a>(command: &'a [String], flag: &str) -> &'a str {
    let at = command
        .iter()
        .position(|arg| arg == flag)
        .expect("the flag");
    &command[at + 1]
}

fn kubernetes_validate() -> PathBuf {
    let tool = workspace().join("target/py-tools/bin/kubernetes-validate");
    assert!(
        tool.exists(),
        "kubernetes-validate is missing: tests/run.sh installs it into target/py-tools"
    );
    tool
}

/// Whether `kubernetes-validate --strict` passes the manifests `yaml` (written into `dir`),
/// and what it said.
fn validated(dir: &Path, yaml: &str) -> (bool, String) {
    let path = dir.join("run.yaml");
    std::fs::write(&path, yaml).expect("write the manifests");
    let checked = Command::new(kubernetes_validate())
        .args(["--strict", "-k", "1.31.0"])
        .arg(&path)
        .output()
        .expect("kubernetes-validate runs");
    let said = String::from_utf8_lossy(&checked.stdout).into_owned()
        + &String::from_utf8_lossy(&checked.stderr);
    (checked.status.success(), said)
}

#[tokio::test]
async fn rendered_manifests_pass_the_kubernetes_schemas_strictly() {
    let dir = scratch_dir("k8s-validate");
    let yaml = render(
        "login_flow",
        "http://api.staging:8000",
        &[
            "--users",
            "300",
            "--run-time",
            "5m",
            "--threshold",
            "p95<300ms",
            "--shards",
            "4",
        ],
    )
    .await;
    let (valid, said) = validated(&dir, &yaml);
    assert!(valid, "the manifests validate:\n{said}");
    assert_eq!(said.matches("passed for resource").count(), 5, "{said}");
    let objects = objects(&yaml);
    let shards = object(&objects, "Job", "-shards");
    assert_eq!(shards["spec"]["completionMode"], "Indexed");
    assert_eq!(shards["spec"]["completions"], 4);
    assert_eq!(shards["spec"]["parallelism"], 4);
    assert_eq!(
        shards["spec"]["backoffLimitPerIndex"], 0,
        "a re-run shard would count twice"
    );
    let broken = yaml.replace("completions: 4", "completions: 4\n  retries: 2");
    assert!(
        !validated(&dir, &broken).0,
        "the check refuses a field Kubernetes does not know"
    );
}

#[tokio::test]
async fn without_host_every_shard_is_given_the_scenarios_own() {
    let flags = ["--users", "2", "--shards", "2"];
    let own = render_as_given(&guest("login_flow"), &flags).await;
    own.assert(
        own.code == 0,
        "a scenario naming its host renders without --host",
    );
    let shards = command_of(object(&objects(&own.stdout), "Job", "-shards"));
    assert_eq!(value_after(&shards, "--host"), "http://127.0.0.1:8000/");
    let none = render_as_given(&guest("seeded_choices"), &flags).await;
    none.assert(none.code == 2, "a run with no host anywhere is bad input");
    assert!(
        none.stderr
            .contains("no host to send requests to: give --host URL"),
        "{}",
        none.stderr
    );
    assert!(none.stdout.is_empty(), "no manifests: {}", none.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rendered_pod_commands_run_here_make_one_run_the_server_counted() {
    let dir = scratch_dir("k8s-pods");
    let server = demo_server().await;
    let yaml = render(
        "seeded_choices",
        &server.url(),
        &["--users", "4", "--iterations", "40", "--shards", "2"],
    )
    .await;
    let (whole, first, second) = run_pods(&yaml, &dir).await;
    let served = server.shutdown().await;
    first.assert(first.code == 0, "pod 0 runs its shard");
    second.assert(second.code == 0, "pod 1 runs its shard");
    whole.assert(whole.code == 0, "the coordinator's run passes");
    assert_eq!(
        whole.aggregated(),
        (40, 0),
        "the pods' shards add up to the run"
    );
    assert_eq!(served, 40, "the server saw every request once");
}

/// Runs the coordinator and two shard pods of the manifests `yaml` here, as Kubernetes would:
/// every ConfigMap's files written into `dir`, each pod with its `JOB_COMPLETION_INDEX`;
/// returns the coordinator's run and the two pods'.
async fn run_pods(yaml: &str, dir: &Path) -> (Run, Run, Run) {
    let objects = objects(yaml);
    let config_maps = objects.iter().filter(|o| {
        o["kind"] == "ConfigMap"
            && o["metadata"]["name"]
                .as_str()
                .is_some_and(|name| name.contains("-components"))
    });
    for config_map in config_maps {
        for (key, encoded) in config_map["binaryData"].as_object().expect("binary data") {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.as_str().expect("a base64 string"))
                .expect("base64");
            std::fs::write(dir.join(key), bytes).expect("write a mounted file");
        }
    }
    let secret = object(&objects, "Secret", "-secret")["stringData"]["WASMLOAD_RUN_SECRET"]
        .as_str()
        .expect("the run's secret")
        .to_string();
    let listen = "127.0.0.1:0".to_string();
    let coordinator_command: Vec<String> = command_of(object(&objects, "Job", "-coordinator"))
        .into_iter()
        .map(|arg| {
            if arg.starts_with("0.0.0.0:") {
                listen.clone()
            } else {
                arg
            }
        })
        .collect();
    let args: Vec<&str> = coordinator_command[1..]
        .iter()
        .map(String::as_str)
        .collect();
    let coordinator = Background::spawn_with_env(&args, &[("WASMLOAD_RUN_SECRET", &secret)]);
    let port = coordinator.port_after("coordinator at").await;
    let shard_command = command_of(object(&objects, "Job", "-shards"));
    assert_eq!(
        value_after(&shard_command, "--shard"),
        "2",
        "the index comes from the pod"
    );
    let local_url = format!("http://127.0.0.1:{port}");
    let pod_args: Vec<String> = shard_command[1..]
        .iter()
        .map(|arg| here(arg, dir, &local_url))
        .collect();
    let pod = |index: &'static str| {
        let secret = secret.clone();
        let args = pod_args.clone();
        async move {
            run_with_env(
                args,
                &[
                    ("WASMLOAD_RUN_SECRET", &secret),
                    ("JOB_COMPLETION_INDEX", index),
                ],
            )
            .await
        }
    };
    let (first, second) = tokio::join!(pod("0"), pod("1"));
    let whole = coordinator.finish(Duration::from_secs(60)).await;
    (whole, first, second)
}

/// A pod's argument as it reads here: the mounted files from `dir`, and the coordinator's
/// Service at `coordinator`.
fn here(arg: &str, dir: &Path, coordinator: &str) -> String {
    if arg.starts_with("http://") && arg.ends_with("-coordinator:7070") {
        return coordinator.to_string();
    }
    match arg.strip_prefix("/components/") {
        Some(file) => dir.join(file).display().to_string(),
        None => arg.to_string(),
    }
}

#[tokio::test]
async fn data_sets_travel_in_the_config_map_to_every_shard() {
    let data = workspace().join("examples").join("data");
    let products = format!("products={}", data.join("products.csv").display());
    let accounts = format!("accounts={}", data.join("accounts.csv").display());
    let flags = [
        "--shards", "2", "--users", "4", "--data", &products, "--data", &accounts,
    ];
    let yaml = render("shop_data", "http://127.0.0.1:9", &flags).await;
    let objects = objects(&yaml);
    let command = command_of(object(&objects, "Job", "-shards")).join(" ");
    for expected in [
        "--data products=/components/products.csv",
        "--data accounts=/components/accounts.csv",
    ] {
        assert!(command.contains(expected), "`{expected}` in {command}");
    }
    assert!(
        !command.contains(&products),
        "no local path reaches a pod: {command}"
    );
    let config_map = object(&objects, "ConfigMap", "-components");
    let mounted = config_map["binaryData"].as_object().expect("binary data");
    let csv = base64::engine::general_purpose::STANDARD
        .decode(mounted["products.csv"].as_str().expect("base64"))
        .expect("decodes");
    assert_eq!(
        csv,
        std::fs::read(data.join("products.csv")).expect("the file"),
        "the ConfigMap holds the data file as it is"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_scenario_too_big_for_one_config_map_travels_in_parts() {
    let dir = scratch_dir("k8s-python");
    let server = demo_server().await;
    let script = script("examples/locust/flask_basic.py");
    let flags = ["--users", "4", "--iterations", "40", "--shards", "2"];
    let yaml = render_file(&script, &server.url(), &flags).await;
    let objects = objects(&yaml);
    let maps = objects.iter().filter(|o| o["kind"] == "ConfigMap").count();
    assert!(
        maps > 1,
        "an 18 MiB component takes several ConfigMaps: {maps}"
    );
    let shards = object(&objects, "Job", "-shards");
    let sources = &shards["spec"]["template"]["spec"]["volumes"][0]["projected"]["sources"];
    assert_eq!(
        sources.as_array().map(Vec::len),
        Some(maps),
        "the shards see every ConfigMap in one directory"
    );
    let (valid, said) = validated(&dir, &yaml);
    assert!(valid, "the manifests validate:\n{said}");
    let (whole, first, second) = run_pods(&yaml, &dir).await;
    let served = server.shutdown().await;
    first.assert(first.code == 0, "pod 0 joins the parts and runs its shard");
    second.assert(second.code == 0, "pod 1 does too");
    whole.assert(
        whole.code == 0 && whole.aggregated() == (served, 0) && served == 40,
        &format!("the pods' shards add up to the run the server saw: {served}"),
    );
}
