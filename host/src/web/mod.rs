//! `--web`: a live dashboard, as Locust's web UI: charts and tables updated every second over
//! server-sent events, a failures tab, and start, stop and user-count controls.

mod access;
mod snapshot;

pub use snapshot::Snapshot;

use access::Access;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::metrics::LiveStats;
use crate::plan::Step;

/// The page, with its script and styles inline.
const PAGE: &str = include_str!("page.html");
/// How often the page gets a new snapshot.
const PUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Where the run is, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for Start.
    Waiting,
    /// Running.
    Running,
    /// Finished or stopped.
    Stopped,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Waiting => "waiting",
            Phase::Running => "running",
            Phase::Stopped => "stopped",
        }
    }
}

/// What the handlers share.
struct Shared {
    live: LiveStats,
    phase: watch::Sender<Phase>,
    /// The user count the page may change (closed model with a fixed count only), once
    /// the run offers it.
    users: OnceLock<UsersControl>,
    /// Cancelled by the Stop button.
    stop: CancellationToken,
    /// Who may use the dashboard.
    access: Access,
}

/// The user count a page may change, and the most it may ask for (the engine is sized for
/// them).
pub struct UsersControl {
    /// Where a new count goes.
    pub users: watch::Sender<Step>,
    /// The most users a control may ask for.
    pub max_users: u32,
}

/// A running dashboard.
pub struct Dashboard {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Dashboard {
    /// Serves the dashboard on `addr`. `users` is the adjustable user count, if the run has
    /// one; `stop` is cancelled when the page asks the run to stop.
    pub async fn start(
        addr: SocketAddr,
        auth: Option<&str>,
        live: LiveStats,
        users: Option<UsersControl>,
        stop: CancellationToken,
    ) -> anyhow::Result<Self> {
        let access = Access::new(addr, auth)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on --web {addr}"))?;
        let addr = listener.local_addr()?;
        let (phase, _) = watch::channel(Phase::Running);
        let shared = Arc::new(Shared {
            live,
            phase,
            users: users.map(OnceLock::from).unwrap_or_default(),
            stop,
            access,
        });
        let app = Router::new()
            .route("/", get(|| async { Html(PAGE) }))
            .route("/stats", get(stats))
            .route("/events", get(events))
            .route("/start", post(start))
            .route("/users", post(set_users))
            .route("/stop", post(stop_run))
            .layer(middleware::from_fn_with_state(Arc::clone(&shared), guard))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!("the web dashboard stopped: {err}");
            }
        });
        Ok(Self { shared, task, addr })
    }

    /// Shows the run as waiting and resolves when Start is pressed (with the user count and
    /// spawn rate asked for), or `None` if the run is stopped first.
    pub async fn wait_for_start(&self) -> Option<Step> {
        self.shared.phase.send_replace(Phase::Waiting);
        let mut phase = self.shared.phase.subscribe();
        loop {
            tokio::select! {
                changed = phase.changed() => {
                    changed.ok()?;
                    if *phase.borrow() == Phase::Running {
                        return self.shared.users.get().map(|control| *control.users.borrow());
                    }
                }
                _ = self.shared.stop.cancelled() => return None,
            }
        }
    }

    /// Lets the page change the user count from now on (a coordinator learns whether its
    /// shards' count can change only once they have joined); a second offer is ignored.
    pub fn offer_users(&self, control: UsersControl) {
        let _ = self.shared.users.set(control);
    }

    /// Shows the run as finished; the page keeps its last numbers.
    pub fn finished(&self) {
        self.shared.phase.send_replace(Phase::Stopped);
    }

    /// Stops serving.
    pub fn shut_down(self) {
        self.task.abort();
    }
}

/// `GET /stats`: the snapshot as JSON.
async fn stats(State(shared): State<Arc<Shared>>) -> Json<Snapshot> {
    Json(snapshot(&shared))
}

fn snapshot(shared: &Shared) -> Snapshot {
    Snapshot::take(
        &shared.live,
        shared.phase.borrow().name(),
        shared.users.get().is_some(),
    )
}

/// `GET /events`: a snapshot every second, as server-sent events.
async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ticks = tokio::time::interval(PUSH_INTERVAL);
    let stream = stream::unfold((shared, ticks), |(shared, mut ticks)| async move {
        ticks.tick().await;
        let event = Event::default()
            .event("snapshot")
            .json_data(snapshot(&shared))
            .unwrap_or_else(|_| Event::default().comment("snapshot unavailable"));
        Some((Ok(event), (shared, ticks)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The user count and spawn rate a control asks for.
#[derive(Debug, Deserialize)]
struct UsersForm {
    users: u32,
    spawn_rate: Option<f64>,
}

/// Refuses what did not come from the dashboard's own page: without the credentials of
/// `--web-auth` when it has them, or, on loopback, with a `Host` that is not this machine
/// (DNS rebinding); and a control whose `Origin` is another site's.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if let Some(refusal) = shared.access.refusal(&request) {
        return refusal;
    }
    next.run(request).await
}

/// `POST /start` with `{"users": N, "spawn_rate": R}`: starts a run that waits for Start.
async fn start(State(shared): State<Arc<Shared>>, Json(form): Json<UsersForm>) -> Response {
    if *shared.phase.borrow() != Phase::Waiting {
        return (StatusCode::CONFLICT, "the run has already started").into_response();
    }
    if let Err(refusal) = change_users(&shared, &form) {
        return refusal.into_response();
    }
    shared.phase.send_replace(Phase::Running);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /users` with `{"users": N, "spawn_rate": R}`: changes the number of users of a
/// running run.
async fn set_users(State(shared): State<Arc<Shared>>, Json(form): Json<UsersForm>) -> Response {
    match change_users(&shared, &form) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// Why a control was refused: the status and a one-line reason.
type Refusal = (StatusCode, String);

fn change_users(shared: &Shared, form: &UsersForm) -> Result<(), Refusal> {
    let Some(UsersControl { users, max_users }) = shared.users.get() else {
        return Err((
            StatusCode::CONFLICT,
            "this run's user count follows its load shape or arrival rate".into(),
        ));
    };
    let current = *users.borrow();
    let spawn_rate = form.spawn_rate.unwrap_or(current.spawn_rate);
    if !(spawn_rate.is_finite() && spawn_rate > 0.0) || form.users == 0 {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "users must be at least 1 and the spawn rate above 0".into(),
        ));
    }
    if form.users > *max_users {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("at most {max_users} users (raise --max-users for more)"),
        ));
    }
    users.send_replace(Step {
        users: form.users,
        spawn_rate,
    });
    Ok(())
}

/// A control with nothing to say: `{}`. Asking for a JSON body makes every control a
/// request that another site's form cannot send.
#[derive(Debug, Deserialize)]
struct NoArguments {}

/// `POST /stop` with `{}`: stops the run gracefully.
async fn stop_run(State(shared): State<Arc<Shared>>, Json(_): Json<NoArguments>) -> StatusCode {
    shared.stop.cancel();
    StatusCode::NO_CONTENT
}
