//! Parallel requests of one user (`http.send-batch`, k6's `http.batch`): like a browser
//! loading a page, the user sends several requests at once, each on a connection of its own
//! (its own connection for the first, one more for each other request in flight, kept for the
//! next batch), at most [`MAX_PARALLEL`] at a time. Each is timed and recorded on its own,
//! the cookies any of them is sent are the user's afterwards, and a stop cuts them off as it
//! cuts off a single request.

use std::time::Instant;

use futures_util::future::join_all;
use wasmtime::component::Resource;

use super::http_host::InFlight;
use super::state::VuState;
use crate::bindings::http::Response;
use crate::bindings::{HttpError, Request};

/// Requests of one batch in flight at once, as browsers open at most six connections to a
/// host.
pub const MAX_PARALLEL: usize = 6;

impl VuState {
    /// Sends `requests` at once, at most [`MAX_PARALLEL`] in flight, and answers each in
    /// order.
    pub(super) async fn send_all(
        &mut self,
        requests: Vec<Request>,
    ) -> Vec<Result<Resource<Response>, HttpError>> {
        let mut answers: Vec<Option<Result<Resource<Response>, HttpError>>> =
            (0..requests.len()).map(|_| None).collect();
        let mut ready = Vec::with_capacity(requests.len());
        for (index, request) in requests.into_iter().enumerate() {
            match self.outgoing(request) {
                Ok(outgoing) => ready.push((index, outgoing)),
                Err(failed) => answers[index] = Some(Err(failed)),
            }
        }
        let mut ready = ready.into_iter().peekable();
        while ready.peek().is_some() {
            let wave: Vec<_> = ready.by_ref().take(MAX_PARALLEL).collect();
            let siblings = wave.len() - 1;
            while self.batch_agents.len() < siblings {
                let sibling = self.agent.sibling();
                self.batch_agents.push(sibling);
            }
            for sibling in &mut self.batch_agents[..siblings] {
                self.agent.lend_cookies(sibling);
            }
            let tag = self.sample_tag();
            let (results, landed) = {
                let Self {
                    ctx,
                    agent,
                    batch_agents,
                    ..
                } = self;
                let ctx = &*ctx;
                // The guards stay armed until every request of the wave is in: a stop that
                // cuts the wave off records each request once, as cut off.
                let mut guards = Vec::with_capacity(wave.len());
                let mut calls = Vec::with_capacity(wave.len());
                let agents = std::iter::once(agent).chain(batch_agents.iter_mut());
                // One start for the wave: each request's own wall-clock start, which its
                // kernel stamps are measured from, is read when it is first polled.
                let started = Instant::now();
                for ((index, (method, name, outgoing)), agent) in wave.into_iter().zip(agents) {
                    guards.push((
                        index,
                        InFlight::new(&ctx.recorder, method, name, tag.clone(), started),
                    ));
                    calls.push(ctx.broker.execute(agent, outgoing, started));
                }
                let results = join_all(calls).await;
                let landed: Vec<_> = guards
                    .into_iter()
                    .map(|(index, guard)| (index, guard.landed()))
                    .collect();
                (results, landed)
            };
            for sibling in &mut self.batch_agents[..siblings] {
                self.agent.adopt_cookies(sibling);
            }
            for ((index, landed), exchanged) in landed.into_iter().zip(results) {
                answers[index] = Some(self.answer(landed, exchanged.result, exchanged.latency));
            }
        }
        answers
            .into_iter()
            .map(|answer| {
                answer
                    .unwrap_or_else(|| Err(HttpError::Transport("the request was not sent".into())))
            })
            .collect()
    }
}
