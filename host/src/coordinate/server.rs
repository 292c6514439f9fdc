//! The coordinator's HTTP endpoints: a shard's greeting (answered when every shard has
//! greeted, with the start), its seconds, and its last word. Every call must carry the run's
//! secret as a bearer token.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::room::{Phase, Room};
use crate::shard_link::wire::{
    DoneIn, Hello, SecondsIn, DONE_PATH, READY_PATH, SECONDS_PATH, SECRET_ENV,
};

/// The largest body a shard may post: a few seconds of a thousand rows, histograms included.
const BODY_LIMIT: usize = 64 << 20;

/// The most of a refused call's body the coordinator reads.
const REFUSED_BODY_LIMIT: usize = 64 << 10;

/// The coordinator's endpoint, serving.
pub struct Endpoint {
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    closing: CancellationToken,
}

impl Endpoint {
    /// Stops taking calls, answers those under way (shards waiting to be told the run was
    /// given up), and ends, within a few seconds.
    pub async fn close(self) {
        self.closing.cancel();
        let _ = tokio::time::timeout(CLOSE_GRACE, self.task).await;
    }
}

/// How long answers under way may take when the endpoint closes.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves `room` on `addr`.
pub async fn serve(addr: SocketAddr, room: Arc<Room>) -> anyhow::Result<Endpoint> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {addr} (--listen): {err}"))?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route(READY_PATH, post(ready))
        .route(SECONDS_PATH, post(seconds))
        .route(DONE_PATH, post(done))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&room),
            require_secret,
        ))
        .with_state(room);
    let closing = CancellationToken::new();
    let closed = closing.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { closed.cancelled().await })
            .await;
        if let Err(err) = served {
            tracing::error!("the coordinator's endpoint failed: {err}");
        }
    });
    Ok(Endpoint {
        addr: bound,
        task,
        closing,
    })
}

/// A shard's greeting, answered with the start once every shard has greeted.
async fn ready(State(room): State<Arc<Room>>, Json(hello): Json<Hello>) -> Response {
    let shard = hello.shard;
    let mut phase = room.phase();
    if let Err(refusal) = room.hello(hello) {
        return refusal.into_response();
    }
    tracing::info!("shard {shard} is ready");
    let settled = phase
        .wait_for(|phase| *phase != Phase::Gathering)
        .await
        .map(|phase| phase.clone());
    match settled {
        Ok(Phase::Started(_)) => match room.start() {
            Some(start) => Json(start).into_response(),
            None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        },
        Ok(Phase::Abandoned(why)) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// A shard's seconds.
async fn seconds(State(room): State<Arc<Room>>, body: Bytes) -> Response {
    // Read without axum's `Json`, whose error paths cost a coordinator of many shards.
    let batch: SecondsIn = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(err) => return (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
    };
    match room.seconds(batch) {
        Ok(reply) => Json(reply).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// A shard's last word.
async fn done(State(room): State<Arc<Room>>, Json(done): Json<DoneIn>) -> Response {
    let shard = done.shard;
    match room.done(done) {
        Ok(()) => {
            tracing::info!("shard {shard} has finished");
            Json(serde_json::json!({})).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// Refuses a call without the run's secret, before its body is parsed.
async fn require_secret(State(room): State<Arc<Room>>, request: Request, next: Next) -> Response {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if room.admits(authorization) {
        return next.run(request).await;
    }
    // Read a little of the body first, so that the refusal reaches a client still sending
    // it instead of a closed connection; a bigger body is not read.
    let _ = axum::body::to_bytes(request.into_body(), REFUSED_BODY_LIMIT).await;
    let message = format!("this run's secret is needed ({SECRET_ENV})");
    (StatusCode::UNAUTHORIZED, message).into_response()
}
