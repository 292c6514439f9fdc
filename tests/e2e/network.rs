//! Every user is a real client: its own keep-alive connection (or the shared pool, or fresh
//! ones each task), closed when it leaves, counted by the server; TLS with a private CA, the
//! system's store, `--insecure` and mutual TLS; `--resolve`, the HTTP version, and a proxy.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::support::{
    demo_server, eventually, guest, run, run_args, run_with_env, Background, Run,
};
use crate::targets::{connect_proxy, https_target, pki, plain_target, Pki, TlsSetup, TEST_HOST};

/// One user, five calls.
const FIVE_CALLS: [&str; 5] = ["--users", "1", "--iterations", "5", "--quiet"];

/// `paced_health` against `host` for five iterations, with `flags` and the environment `env`.
async fn five_calls_with_env(host: &str, flags: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = FIVE_CALLS.to_vec();
    all.extend_from_slice(flags);
    run_with_env(run_args(&guest("paced_health"), host, &all), env).await
}

/// `paced_health` against `host` for five iterations, with `flags`.
async fn five_calls(host: &str, flags: &[&str]) -> Run {
    five_calls_with_env(host, flags, &[]).await
}

#[tokio::test]
async fn each_user_holds_its_own_connection_and_closes_it_when_it_leaves() {
    let server = demo_server().await;
    let component = guest("paced_health").display().to_string();
    let url = server.url();
    // 40 users, then 4: the 36 that leave close their connections.
    let args = [
        "run",
        &component,
        "--host",
        &url,
        "--stages",
        "4s:40:40,30s:4:12",
        "--quiet",
    ];
    let running = Background::spawn(&args);
    let traffic = server.traffic();
    eventually("40 users calling", Duration::from_secs(60), || {
        traffic.connections_open() == 40
    })
    .await;
    eventually(
        "the 36 leaving users' connections closed",
        Duration::from_secs(60),
        || traffic.connections_open() == 4,
    )
    .await;
    running.signal("-INT");
    let result = running.finish(Duration::from_secs(60)).await;
    result.assert(result.code == 0, "the run succeeds");
    result.assert(
        // The pre-flight check's connection comes first and closes at once.
        traffic.connections_accepted() == 1 + 40 && traffic.connections_peak() == 40,
        &format!(
            "one connection per user: {} accepted, {} at most open",
            traffic.connections_accepted(),
            traffic.connections_peak()
        ),
    );
    assert_eq!(
        result.aggregated().0,
        server.requests_served(),
        "reported vs served"
    );
    eventually("every connection closed", Duration::from_secs(30), || {
        traffic.connections_open() == 0
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn shared_and_per_iteration_connections_are_there_when_asked_for() {
    let server = demo_server().await;
    let flags = [
        "--users",
        "40",
        "--run-time",
        "2s",
        "--connections",
        "shared",
        "--quiet",
    ];
    let shared = run(run_args(&guest("paced_health"), &server.url(), &flags)).await;
    shared.assert(shared.code == 0, "the shared run succeeds");
    let pooled = server.traffic().connections_peak();
    shared.assert(
        pooled <= 20,
        &format!("40 users held {pooled} pooled connections at most"),
    );
    server.shutdown().await;

    let server = demo_server().await;
    let flags = [
        "--users",
        "3",
        "--iterations",
        "30",
        "--connections",
        "per-iteration",
        "--quiet",
    ];
    let fresh = run(run_args(&guest("paced_health"), &server.url(), &flags)).await;
    fresh.assert(fresh.code == 0, "the per-iteration run succeeds");
    let accepted = server.traffic().connections_accepted();
    fresh.assert(
        accepted == 1 + 30 && server.requests_served() == 30,
        &format!("the pre-flight check's and a fresh one for each of the 30 tasks: {accepted}"),
    );
    server.shutdown().await;
}

#[tokio::test]
async fn too_few_open_files_for_the_users_is_refused_before_the_run() {
    let server = demo_server().await;
    let component = guest("paced_health").display().to_string();
    let command = format!(
        "ulimit -n 300 && exec {} run {component} --host {} --users 500 --run-time 1s",
        env!("CARGO_BIN_EXE_wasmload"),
        server.url()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &command])
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("500 users with their own connections need about")
            && stderr.contains("may open 300"),
        "{stderr}"
    );
    assert_eq!(server.requests_served(), 0, "nothing was sent");
    server.shutdown().await;
}

/// A limit that holds each user's one connection but not the six a batch opens: the run is
/// warned of before it starts, and the requests that find no descriptor fail saying what to
/// do, every one of them counted.
#[tokio::test]
async fn running_out_of_open_files_in_a_batch_says_what_to_do() {
    let server = demo_server().await;
    let component = guest("page_load").display().to_string();
    let command = format!(
        "ulimit -n 400 && exec {} run {component} --host {} --users 100 --spawn-rate 1000 \
         --run-time 3s --quiet",
        env!("CARGO_BIN_EXE_wasmload"),
        server.url()
    );
    let output = tokio::process::Command::new("sh")
        .args(["-c", &command])
        .output()
        .await
        .expect("sh runs");
    let run = crate::support::Run::from_output(output);
    run.assert(
        run.stderr
            .contains("a scenario that sends batches (client.batch) opens up to 6 connections"),
        "warned before the run",
    );
    run.assert(
        run.stdout.contains(
            "Too many open files (os error 24): no connection can be opened; raise the \
             open-file limit (ulimit -n)",
        ),
        "the failures say what to do",
    );
    let (requests, failures) = run.aggregated();
    assert_eq!(requests - failures, server.requests_served());
    server.shutdown().await;
}

/// The certificates and an HTTPS target showing the CA-signed certificate.
async fn ca_target(
    test: &str,
    client_ca: bool,
) -> (Pki, String, std::sync::Arc<crate::targets::Seen>) {
    let pki = pki(test);
    let (addr, seen) = https_target(TlsSetup {
        cert: &pki.server_cert,
        key: &pki.server_key,
        client_ca: client_ca.then_some(pki.ca.as_path()),
    })
    .await;
    (pki, format!("https://localhost:{}", addr.port()), seen)
}

#[tokio::test]
async fn a_private_ca_is_trusted_from_a_flag_or_the_system_store() {
    let (pki, url, seen) = ca_target("tls-ca", false).await;
    let untrusted = five_calls(&url, &[]).await;
    untrusted.assert(
        untrusted.code == 1 && untrusted.aggregated() == (5, 5),
        "without the CA, every request fails",
    );
    untrusted.assert(
        untrusted.stdout.contains("connection failed") && seen.requests() == 0,
        "the TLS handshake is refused before any request",
    );
    let ca = pki.ca.display().to_string();
    let trusted = five_calls(&url, &["--ca-cert", &ca]).await;
    trusted.assert(
        trusted.code == 0 && trusted.aggregated() == (5, 0) && seen.requests() == 5,
        "with --ca-cert, every request is served",
    );
    let system_ca = pki.ca.display().to_string();
    let system = five_calls_with_env(&url, &[], &[("SSL_CERT_FILE", &system_ca)]).await;
    system.assert(
        system.code == 0 && system.aggregated() == (5, 0),
        "a CA in the system's store (SSL_CERT_FILE) is trusted",
    );
    assert_eq!(seen.requests(), 10);
}

#[tokio::test]
async fn insecure_accepts_a_self_signed_server_and_says_so() {
    let pki = pki("tls-insecure");
    let (addr, seen) = https_target(TlsSetup {
        cert: &pki.self_signed_cert,
        key: &pki.self_signed_key,
        client_ca: None,
    })
    .await;
    let url = format!("https://127.0.0.1:{}", addr.port());
    let refused = five_calls(&url, &[]).await;
    refused.assert(
        refused.aggregated() == (5, 5),
        "a self-signed server is not trusted",
    );
    let insecure = five_calls(&url, &["--insecure"]).await;
    insecure.assert(
        insecure.code == 0 && insecure.aggregated() == (5, 0) && seen.requests() == 5,
        "--insecure reaches it",
    );
    insecure.assert(
        insecure
            .stdout
            .contains("TLS certificates were not verified (--insecure)"),
        "the report warns",
    );
}

#[tokio::test]
async fn mutual_tls_presents_the_client_certificate() {
    let (pki, url, seen) = ca_target("tls-mutual", true).await;
    let ca = pki.ca.display().to_string();
    let anonymous = five_calls(&url, &["--ca-cert", &ca]).await;
    anonymous.assert(
        anonymous.aggregated() == (5, 5) && seen.requests() == 0,
        "without a client certificate the server refuses",
    );
    let (cert, key) = (
        pki.client_cert.display().to_string(),
        pki.client_key.display().to_string(),
    );
    let flags = [
        "--ca-cert",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ];
    let identified = five_calls(&url, &flags).await;
    identified.assert(
        identified.code == 0 && identified.aggregated() == (5, 0) && seen.requests() == 5,
        "with --client-cert and --client-key every request is served",
    );
}

#[tokio::test]
async fn resolve_sends_a_name_to_a_chosen_address_and_versions_are_chosen() {
    let (pki, url, seen) = ca_target("tls-resolve", false).await;
    let port = url.rsplit(':').next().unwrap_or_default().to_string();
    let ca = pki.ca.display().to_string();
    let named = format!("https://{TEST_HOST}:{port}");
    let entry = format!("{TEST_HOST}:{port}:127.0.0.1");
    let resolved = five_calls(&named, &["--ca-cert", &ca, "--resolve", &entry]).await;
    resolved.assert(
        resolved.code == 0 && resolved.aggregated() == (5, 0),
        "the name reaches 127.0.0.1 and its certificate is checked against the name",
    );
    resolved.assert(
        seen.versions().get("HTTP/2.0") == Some(&5),
        "TLS negotiates HTTP/2 by default",
    );
    let http1 = five_calls(&url, &["--ca-cert", &ca, "--http1"]).await;
    http1.assert(http1.code == 0, "--http1 succeeds");
    assert_eq!(
        seen.versions().get("HTTP/1.1"),
        Some(&5),
        "--http1 speaks HTTP/1.1"
    );

    let (plain, plain_seen) = plain_target().await;
    let prior_knowledge = five_calls(&format!("http://{plain}"), &["--http2"]).await;
    prior_knowledge.assert(prior_knowledge.code == 0, "--http2 succeeds over plain TCP");
    assert_eq!(
        plain_seen.versions().get("HTTP/2.0"),
        Some(&5),
        "--http2 speaks HTTP/2"
    );
}

#[tokio::test]
async fn a_proxy_carries_the_requests_from_the_flag_or_the_environment() {
    let (pki, url, seen) = ca_target("proxy", false).await;
    let ca = pki.ca.display().to_string();
    let (proxy, tunnels) = connect_proxy().await;
    let proxy_url = format!("http://{proxy}");
    let flagged = five_calls(&url, &["--ca-cert", &ca, "--proxy", &proxy_url]).await;
    flagged.assert(
        flagged.code == 0 && seen.requests() == 5,
        "the requests are served through the proxy",
    );
    let through_flag = tunnels.load(Ordering::SeqCst);
    flagged.assert(through_flag >= 1, "they went through its tunnel");

    let env_flags = ["--ca-cert", ca.as_str()];
    let from_env = five_calls_with_env(&url, &env_flags, &[("HTTPS_PROXY", &proxy_url)]).await;
    from_env.assert(from_env.code == 0, "HTTPS_PROXY is followed");
    let through_env = tunnels.load(Ordering::SeqCst);
    assert!(through_env > through_flag, "HTTPS_PROXY is used");
    let bypass = [
        ("HTTPS_PROXY", proxy_url.as_str()),
        ("NO_PROXY", "localhost"),
    ];
    let bypassed = five_calls_with_env(&url, &env_flags, &bypass).await;
    bypassed.assert(bypassed.code == 0, "NO_PROXY is followed");
    assert_eq!(
        tunnels.load(Ordering::SeqCst),
        through_env,
        "NO_PROXY bypasses the proxy"
    );
    assert_eq!(seen.requests(), 15);
}
