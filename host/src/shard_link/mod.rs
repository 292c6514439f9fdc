//! A shard's line to its coordinator (`--coordinator URL`): it greets the coordinator and
//! waits for the agreed start, sends every second's exact statistics as the run goes, obeys
//! a stop or a user count the coordinator orders, and says how its run went. Every call
//! carries the run's secret; the coordinator's side is `coordinate`.

pub mod wire;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::metrics::Interval;
use crate::plan::{Shard, Step};
use wire::{
    DoneOut, Hello, Reply, SecondOut, SecondsOut, Start, DONE_PATH, READY_PATH, SECONDS_PATH,
};

/// How long a shard keeps trying to reach a coordinator that is not up yet, or has gone.
const PATIENCE: Duration = Duration::from_secs(120);
/// The pause between attempts.
const RETRY_EVERY: Duration = Duration::from_millis(500);
/// The most seconds one call carries, so a backlog goes in bounded bodies.
const SECONDS_PER_CALL: usize = 20;
/// How long one call of seconds or of the end may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a shard's run is stopped or steered with when its coordinator says so.
#[derive(Debug, Clone)]
pub struct Orders {
    /// Cancelled when the coordinator stops the run by hand.
    pub halt: CancellationToken,
    /// Cancelled when a threshold failed on the whole run (`--abort-on-fail`).
    pub abort: CancellationToken,
    /// The shard's user count, when it may change, and which shard it is.
    pub users: Option<(watch::Sender<Step>, Shard)>,
}

/// A shard's connection to its coordinator.
#[derive(Debug, Clone)]
pub struct ShardLink {
    base: String,
    secret: String,
    shard: u32,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// Why a call to the coordinator failed: worth another try, or not.
enum CallError {
    Retry(anyhow::Error),
    Refused(anyhow::Error),
}

impl ShardLink {
    /// A link of shard `shard` to the coordinator at `url` (`http://host:port`).
    pub fn new(url: &str, secret: String, shard: u32) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/').to_string();
        let uri: http::Uri = base
            .parse()
            .map_err(|err| anyhow!("--coordinator {url} is not a URL ({err})"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            bail!("--coordinator {url}: give the coordinator's address as http://HOST:PORT");
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(Self {
            base,
            secret,
            shard,
            client,
        })
    }

    /// The shard this link speaks for.
    pub fn shard(&self) -> u32 {
        self.shard
    }

    /// Greets the coordinator (waiting for it to come up) and returns the instant every
    /// shard starts at, once all have greeted it, and what the run's setups returned.
    pub async fn join(&self, hello: &Hello) -> anyhow::Result<(SystemTime, Vec<Option<String>>)> {
        let give_up = tokio::time::Instant::now() + PATIENCE;
        let mut warned = false;
        loop {
            match self.call::<_, Start>(READY_PATH, hello, None).await {
                Ok(start) => {
                    let at = UNIX_EPOCH + Duration::from_millis(start.start_at_ms);
                    return Ok((at, start.setup));
                }
                Err(CallError::Refused(err)) => return Err(err),
                Err(CallError::Retry(err)) if tokio::time::Instant::now() >= give_up => {
                    return Err(err.context(format!(
                        "cannot reach the coordinator at {} for {} s: start `wasmload coordinate` first, or check --coordinator",
                        self.base,
                        PATIENCE.as_secs()
                    )));
                }
                Err(CallError::Retry(err)) => {
                    if !std::mem::replace(&mut warned, true) {
                        tracing::warn!(
                            "no answer from the coordinator at {} yet ({err:#}); trying again for up to {} s: start `wasmload coordinate` first, or check --coordinator",
                            self.base,
                            PATIENCE.as_secs()
                        );
                    }
                    tokio::time::sleep(RETRY_EVERY).await;
                }
            }
        }
    }

    /// Sends the run's seconds as they come, none dropped (those the coordinator missed go
    /// again with the next, oldest first, at most [`SECONDS_PER_CALL`] a call), and stops the
    /// run when the coordinator says so; returns how many seconds the run had, once the last
    /// is delivered. A coordinator out of reach for [`PATIENCE`] stops the run too.
    pub async fn upload(
        &self,
        mut seconds: mpsc::UnboundedReceiver<Interval>,
        orders: Orders,
    ) -> u32 {
        let mut pending: Vec<SecondOut> = Vec::new();
        let (mut open, mut made) = (true, 0u32);
        let mut unreachable_since: Option<tokio::time::Instant> = None;
        loop {
            // With seconds still to send, take what is there and go on; else wait for one.
            if open && pending.is_empty() {
                match seconds.recv().await {
                    Some(interval) => {
                        self.queue(&interval, &mut pending);
                        made += 1;
                    }
                    None => open = false,
                }
            }
            loop {
                match seconds.try_recv() {
                    Ok(interval) => {
                        self.queue(&interval, &mut pending);
                        made += 1;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => open = false,
                    Err(mpsc::error::TryRecvError::Empty) => break,
                }
                if !open {
                    break;
                }
            }
            if pending.is_empty() {
                if open {
                    continue;
                }
                return made;
            }
            let batch = pending.len().min(SECONDS_PER_CALL);
            let body = SecondsOut {
                shard: self.shard,
                seconds: &pending[..batch],
            };
            match self
                .call::<_, Reply>(SECONDS_PATH, &body, Some(CALL_TIMEOUT))
                .await
            {
                Ok(reply) => {
                    pending.drain(..batch);
                    unreachable_since = None;
                    obey(&reply, &orders);
                }
                Err(CallError::Retry(err) | CallError::Refused(err)) => {
                    let since = *unreachable_since.get_or_insert_with(tokio::time::Instant::now);
                    if since.elapsed() >= PATIENCE {
                        tracing::error!(
                            "the coordinator at {} did not take {} seconds of this shard for {} s: stopping ({err:#})",
                            self.base,
                            pending.len(),
                            PATIENCE.as_secs()
                        );
                        orders.halt.cancel();
                        return made;
                    }
                    tokio::time::sleep(RETRY_EVERY).await;
                }
            }
        }
    }

    /// Says how the shard's run went, after its last second.
    pub async fn done(&self, done: &DoneOut<'_>) -> anyhow::Result<()> {
        let give_up = tokio::time::Instant::now() + PATIENCE;
        loop {
            match self
                .call::<_, serde_json::Value>(DONE_PATH, done, Some(CALL_TIMEOUT))
                .await
            {
                Ok(_) => return Ok(()),
                Err(CallError::Refused(err)) => return Err(err),
                Err(CallError::Retry(err)) if tokio::time::Instant::now() >= give_up => {
                    return Err(err);
                }
                Err(CallError::Retry(_)) => tokio::time::sleep(RETRY_EVERY).await,
            }
        }
    }

    /// Queues a second to send.
    fn queue(&self, interval: &Interval, pending: &mut Vec<SecondOut>) {
        match SecondOut::of(interval) {
            Ok(second) => pending.push(second),
            Err(err) => tracing::warn!("cannot encode second {}: {err:#}", interval.second),
        }
    }

    /// One POST of `body` as JSON, with the run's secret.
    async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        timeout: Option<Duration>,
    ) -> Result<R, CallError> {
        let json = serde_json::to_vec(body).map_err(|err| CallError::Refused(err.into()))?;
        let request = Request::post(format!("{}{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {}", self.secret))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(json)))
            .map_err(|err| CallError::Refused(err.into()))?;
        let exchange = async {
            let response = self.client.request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        let outcome = match timeout {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| Err(anyhow!("no answer within {} s", limit.as_secs()))),
            None => exchange.await,
        };
        let (status, body) = outcome.map_err(CallError::Retry)?;
        let text = || String::from_utf8_lossy(&body).trim().to_string();
        match status {
            StatusCode::OK => serde_json::from_slice(&body)
                .context("the coordinator's answer is not what this wasmload expects")
                .map_err(CallError::Refused),
            StatusCode::UNAUTHORIZED => Err(CallError::Refused(anyhow!(
                "the coordinator at {} refused this shard's secret: give the coordinator and every shard the same {}",
                self.base,
                wire::SECRET_ENV
            ))),
            status if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE => {
                Err(CallError::Retry(anyhow!("the coordinator answered {status}: {}", text())))
            }
            _ => Err(CallError::Refused(anyhow!("the coordinator: {}", text()))),
        }
    }
}

/// Stops the run, or sets this shard's share of the run's users, as the coordinator's
/// `reply` says, if it does.
fn obey(reply: &Reply, orders: &Orders) {
    match reply.stop.as_deref() {
        Some("aborted") => orders.abort.cancel(),
        Some(_) => orders.halt.cancel(),
        None => {}
    }
    if let (Some(whole), Some((users, shard))) = (reply.users, &orders.users) {
        let share = shard.step(whole.step());
        users.send_if_modified(|current| {
            let changed = *current != share;
            *current = share;
            changed
        });
    }
}

/// How far `now` is past `start`, in milliseconds (negative if early).
pub fn skew_ms(start: SystemTime, now: SystemTime) -> f64 {
    match now.duration_since(start) {
        Ok(late) => late.as_secs_f64() * 1e3,
        Err(early) => -early.duration().as_secs_f64() * 1e3,
    }
}
