//! Running the router on a TCP listener with graceful shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::connections::CountingListener;
use crate::{router, DemoConfig, Traffic};

/// How long [`DemoServer::shutdown`] waits for open connections before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running demo service; dropping it without [`DemoServer::shutdown`] also stops it.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    traffic: Arc<Traffic>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl DemoServer {
    /// Binds `addr` (use "127.0.0.1:0" for a free port) and serves on the current tokio runtime in a spawned task.
    pub async fn start(addr: SocketAddr, config: DemoConfig) -> io::Result<DemoServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (app, traffic) = router(config);
        let listener = CountingListener::new(listener, Arc::clone(&traffic));
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            // Either an explicit stop or the handle being dropped ends the server.
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move { serve.await });
        Ok(DemoServer {
            addr,
            traffic,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address actually bound (with the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. "http://127.0.0.1:PORT".
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests served so far (every path and status, except `GET /__stats`).
    pub fn requests_served(&self) -> u64 {
        self.traffic.requests()
    }

    /// What the server has seen of its traffic: requests by route, arrival times.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Graceful shutdown; waits for the server task (aborting connections still open after 5 s)
    /// and returns the requests served in all, the last in-flight ones included.
    pub async fn shutdown(mut self) -> u64 {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
        self.requests_served()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
