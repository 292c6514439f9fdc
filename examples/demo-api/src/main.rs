//! The `demo-api` binary: serves the demo service until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use demo_api::{DemoConfig, DemoServer};

/// In-memory HTTP demo service for wasmload load tests.
#[derive(Debug, Parser)]
#[command(name = "demo-api", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: SocketAddr,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 900)]
    token_ttl_secs: u64,
    /// Shortest delay before a sales report completes, in milliseconds.
    #[arg(long, default_value_t = 200)]
    report_delay_min_ms: u64,
    /// Longest delay before a sales report completes, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    report_delay_max_ms: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = DemoConfig {
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        report_delay: (
            Duration::from_millis(args.report_delay_min_ms),
            Duration::from_millis(args.report_delay_max_ms),
        ),
        record_arrivals: false,
        record_paths: false,
    };
    let server = match DemoServer::start(args.addr, config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("demo-api: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    println!("demo-api listening on {}", server.url());
    stop_signal().await;
    let served = server.requests_served();
    server.shutdown().await;
    println!("demo-api stopped after serving {served} requests");
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn stop_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("demo-api: cannot wait for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
