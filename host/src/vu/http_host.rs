//! The `http` and `session` imports: guest requests become broker calls, and responses become
//! resources whose samples are recorded when the guest drops them.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use ::http::Method as HttpMethod;
use wasmtime::component::Resource;

use super::responses::{PendingResponse, Verdict};
use super::shared_stack::OnSharedStack;
use super::state::VuState;
use crate::bindings::http::{self, Response};
use crate::bindings::{session, HttpError, Method, Request};
use crate::broker::{header_pair, BrokerError, HeaderRecipe, Outgoing, Received};
use crate::metrics::{Recorder, Sample, SampleTag};

impl http::Host for VuState {
    async fn send(
        &mut self,
        request: Request,
    ) -> wasmtime::Result<Result<Resource<Response>, HttpError>> {
        self.leave_guest();
        let (method_label, name, outgoing) = match self.outgoing(request) {
            Ok(ready) => ready,
            Err(failed) => return Ok(Err(failed)),
        };
        let tag = self.sample_tag();
        let Self { ctx, agent, .. } = self;
        let started = Instant::now();
        let in_flight = InFlight::new(&ctx.recorder, method_label, name, tag, started);
        // Polled on the thread's shared stack, not this user's fiber stack (see shared_stack).
        let exchanged = OnSharedStack::new(|| ctx.broker.execute(agent, outgoing, started)).await;
        let landed = in_flight.landed();
        self.guest_since = Instant::now();
        Ok(self.answer(landed, exchanged.result, exchanged.latency))
    }

    async fn send_batch(
        &mut self,
        requests: Vec<Request>,
    ) -> wasmtime::Result<Vec<Result<Resource<Response>, HttpError>>> {
        self.leave_guest();
        let answers = OnSharedStack::new(|| self.send_all(requests)).await;
        self.guest_since = Instant::now();
        Ok(answers)
    }
}

/// What a landed request hands back: its row's method and name, and its tag.
pub(super) type Landed = (Cow<'static, str>, String, SampleTag);

impl VuState {
    /// The row (method and name) a request is recorded under, and what the broker sends;
    /// or, for a request that cannot be sent, its failure, recorded.
    pub(super) fn outgoing(
        &mut self,
        mut request: Request,
    ) -> Result<(Cow<'static, str>, String, Outgoing), HttpError> {
        let method = http_method(&request.method);
        let method_label = method_label(&request.method);
        let mut name = request
            .name
            .take()
            .unwrap_or_else(|| default_name(&request.url));
        if let Some(prefix) = self.row_prefix {
            name = format!("{prefix}: {name}");
        }
        match method.and_then(|method| self.prepare(method, request)) {
            Ok(outgoing) => Ok((method_label, name, outgoing)),
            Err(err) => Err(self.fail(method_label, name, 0, err)),
        }
    }

    /// The guest's answer to a request that landed: a response it holds until it drops it,
    /// or the failure, recorded.
    pub(super) fn answer(
        &mut self,
        (method_label, name, tag): Landed,
        result: Result<Received, BrokerError>,
        elapsed: std::time::Duration,
    ) -> Result<Resource<Response>, HttpError> {
        let latency_us = elapsed.as_micros().min(u128::from(u64::MAX)) as u64;
        match result {
            Ok(received) => {
                let id = self.responses.insert(PendingResponse {
                    method: method_label,
                    name,
                    latency_us,
                    received,
                    verdict: Verdict::ByStatus,
                    tag,
                });
                Ok(Resource::new_own(id))
            }
            Err(err) => Err(self.fail(method_label, name, latency_us, err)),
        }
    }
}

impl VuState {
    /// Resolves the URL and merges the session's default headers with the request's own (the
    /// broker adds the cookies of each hop); the body moves on without a copy.
    fn prepare(&self, method: HttpMethod, request: Request) -> Result<Outgoing, BrokerError> {
        let url = self.ctx.broker.resolve(&request.url, &request.query)?;
        let recipe = HeaderRecipe::new(Arc::clone(&self.session.default_headers), request.headers);
        Ok(Outgoing {
            method,
            url,
            headers: recipe.build()?,
            recipe,
            body: request.body,
            timeout: request
                .timeout_ms
                .map(|ms| std::time::Duration::from_millis(u64::from(ms))),
        })
    }

    /// Records a request that got no response and returns the guest-visible error.
    fn fail(
        &mut self,
        method: Cow<'static, str>,
        name: String,
        latency_us: u64,
        err: BrokerError,
    ) -> HttpError {
        self.failed_sends += 1;
        self.record(Sample {
            method,
            name,
            latency_us,
            bytes: 0,
            failure: Some(err.to_string()),
            tag: self.sample_tag(),
        });
        match err {
            BrokerError::Refused(message) => HttpError::Refused(message),
            BrokerError::InvalidRequest(message) => HttpError::InvalidRequest(message),
            BrokerError::Connect(message) => HttpError::Connect(message),
            BrokerError::Timeout => HttpError::Timeout,
            BrokerError::Transport(message) => HttpError::Transport(message),
        }
    }

    fn pending(&self, response: &Resource<Response>) -> wasmtime::Result<&PendingResponse> {
        self.responses
            .get(response.rep())
            .ok_or_else(|| wasmtime::format_err!("unknown response handle"))
    }
}

impl http::HostResponse for VuState {
    fn status(&mut self, response: Resource<Response>) -> wasmtime::Result<u16> {
        Ok(self.pending(&response)?.received.status)
    }

    fn headers(&mut self, response: Resource<Response>) -> wasmtime::Result<Vec<(String, String)>> {
        let headers = &self.pending(&response)?.received.headers;
        Ok(headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect())
    }

    fn header(
        &mut self,
        response: Resource<Response>,
        name: String,
    ) -> wasmtime::Result<Option<String>> {
        let headers = &self.pending(&response)?.received.headers;
        Ok(headers
            .get(name.as_str())
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()))
    }

    fn body(&mut self, response: Resource<Response>) -> wasmtime::Result<Vec<u8>> {
        Ok(self.pending(&response)?.received.body.to_vec())
    }

    fn elapsed_us(&mut self, response: Resource<Response>) -> wasmtime::Result<u64> {
        Ok(self.pending(&response)?.latency_us)
    }

    fn failure(&mut self, response: Resource<Response>, message: String) -> wasmtime::Result<()> {
        self.set_verdict(&response, Verdict::Failure(message))
    }

    fn success(&mut self, response: Resource<Response>) -> wasmtime::Result<()> {
        self.set_verdict(&response, Verdict::Success)
    }

    fn drop(&mut self, response: Resource<Response>) -> wasmtime::Result<()> {
        if let Some(pending) = self.responses.remove(response.rep()) {
            self.record(pending.into_sample());
        }
        Ok(())
    }
}

impl VuState {
    fn set_verdict(
        &mut self,
        response: &Resource<Response>,
        verdict: Verdict,
    ) -> wasmtime::Result<()> {
        let pending = self
            .responses
            .get_mut(response.rep())
            .ok_or_else(|| wasmtime::format_err!("unknown response handle"))?;
        pending.verdict = verdict;
        Ok(())
    }
}

impl session::Host for VuState {
    fn set_header(&mut self, name: String, value: String) -> wasmtime::Result<()> {
        match header_pair(&name, &value) {
            Ok((name, value)) => {
                let defaults = Arc::make_mut(&mut self.session.default_headers);
                defaults.retain(|(existing, _)| *existing != name);
                defaults.push((name, value));
            }
            Err(err) => tracing::warn!("[vu {}] set-header ignored: {err}", self.identity.vu_id),
        }
        Ok(())
    }

    fn remove_header(&mut self, name: String) -> wasmtime::Result<()> {
        Arc::make_mut(&mut self.session.default_headers)
            .retain(|(existing, _)| !existing.as_str().eq_ignore_ascii_case(&name));
        Ok(())
    }

    fn clear_cookies(&mut self) -> wasmtime::Result<()> {
        self.agent.clear_cookies();
        Ok(())
    }
}

/// Records a request as cancelled if the user is stopped while it is in flight, so every
/// request sent is counted exactly once (as a request, not as a failure).
pub(super) struct InFlight<'a> {
    recorder: &'a Recorder,
    method: Cow<'static, str>,
    name: String,
    tag: SampleTag,
    started: Instant,
    landed: bool,
}

impl<'a> InFlight<'a> {
    pub(super) fn new(
        recorder: &'a Recorder,
        method: Cow<'static, str>,
        name: String,
        tag: SampleTag,
        started: Instant,
    ) -> Self {
        Self {
            recorder,
            method,
            name,
            tag,
            started,
            landed: false,
        }
    }

    /// The response arrived: disarms the guard and hands back the row's method, name and tag.
    pub(super) fn landed(mut self) -> Landed {
        self.landed = true;
        (
            std::mem::take(&mut self.method),
            std::mem::take(&mut self.name),
            std::mem::take(&mut self.tag),
        )
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.landed {
            self.recorder.cancelled(Sample {
                method: std::mem::take(&mut self.method),
                name: std::mem::take(&mut self.name),
                latency_us: self.started.elapsed().as_micros() as u64,
                bytes: 0,
                failure: None,
                tag: std::mem::take(&mut self.tag),
            });
        }
    }
}

/// The report label of a method: static for the standard ones, upper case for the others.
fn method_label(method: &Method) -> Cow<'static, str> {
    match method {
        Method::Get => Cow::Borrowed("GET"),
        Method::Head => Cow::Borrowed("HEAD"),
        Method::Post => Cow::Borrowed("POST"),
        Method::Put => Cow::Borrowed("PUT"),
        Method::Patch => Cow::Borrowed("PATCH"),
        Method::Delete => Cow::Borrowed("DELETE"),
        Method::Options => Cow::Borrowed("OPTIONS"),
        Method::Other(name) => Cow::Owned(name.to_ascii_uppercase()),
    }
}

fn http_method(method: &Method) -> Result<HttpMethod, BrokerError> {
    Ok(match method {
        Method::Get => HttpMethod::GET,
        Method::Head => HttpMethod::HEAD,
        Method::Post => HttpMethod::POST,
        Method::Put => HttpMethod::PUT,
        Method::Patch => HttpMethod::PATCH,
        Method::Delete => HttpMethod::DELETE,
        Method::Options => HttpMethod::OPTIONS,
        Method::Other(name) => HttpMethod::from_bytes(name.to_ascii_uppercase().as_bytes())
            .map_err(|_| BrokerError::InvalidRequest(format!("`{name}` is not an HTTP method")))?,
    })
}

/// The report row of a request without a `name`: its URL without the query string.
fn default_name(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::runtime::Host as _;
    use crate::bindings::session::Host as _;
    use crate::vu::testing::vu_state;

    fn get(url: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: Method::Get,
            url: url.into(),
            query: vec![("page".into(), "1".into())],
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: None,
            name: None,
            timeout_ms: None,
        }
    }

    #[test]
    fn session_headers_go_on_every_request_unless_the_request_overrides_them() {
        let mut state = vu_state();
        state
            .set_header("Authorization".into(), "Bearer one".into())
            .expect("set");
        let plain = state
            .prepare(
                HttpMethod::GET,
                get("/api/v1/users/me", &[("X-Trace", "7")]),
            )
            .expect("allowed");
        assert_eq!(
            plain.url.as_str(),
            "http://127.0.0.1:9/api/v1/users/me?page=1"
        );
        assert_eq!(plain.headers["authorization"], "Bearer one");
        assert_eq!(plain.headers["x-trace"], "7");
        let overridden = state
            .prepare(
                HttpMethod::GET,
                get("/x", &[("authorization", "Bearer two")]),
            )
            .expect("allowed");
        assert_eq!(
            overridden.headers.get_all("authorization").iter().count(),
            1
        );
        assert_eq!(overridden.headers["authorization"], "Bearer two");
        state.remove_header("AUTHORIZATION".into()).expect("remove");
        let bare = state
            .prepare(HttpMethod::GET, get("/x", &[]))
            .expect("allowed");
        assert!(bare.headers.get("authorization").is_none());
    }

    #[test]
    fn each_user_keeps_its_own_cookies() {
        use ::http::header::{HeaderMap, HeaderValue, SET_COOKIE};
        use url::Url;
        let mut state = vu_state();
        let login = Url::parse("http://127.0.0.1:9/login").expect("url");
        let cart = Url::parse("http://127.0.0.1:9/cart").expect("url");
        let mut received = HeaderMap::new();
        received.insert(SET_COOKIE, HeaderValue::from_static("sid=abc; Path=/"));
        state.agent.store_cookies(&login, &received);
        assert_eq!(
            state.agent.cookie_header(&cart),
            Some(HeaderValue::from_static("sid=abc"))
        );
        assert_eq!(
            vu_state().agent.cookie_header(&cart),
            None,
            "another user's jar"
        );
        state.clear_cookies().expect("clear");
        assert_eq!(state.agent.cookie_header(&cart), None);
    }

    #[test]
    fn other_origins_and_bad_headers_are_refused_before_sending() {
        let state = vu_state();
        let refused = state.prepare(HttpMethod::GET, get("http://example.com/", &[]));
        assert!(matches!(refused, Err(BrokerError::Refused(_))));
        let bad = state.prepare(HttpMethod::GET, get("/", &[("bad header", "x")]));
        assert!(matches!(bad, Err(BrokerError::InvalidRequest(_))));
    }

    #[test]
    fn run_parameters_come_from_env_flags() {
        let mut state = vu_state();
        assert_eq!(
            state.env("TENANT".into()).expect("env"),
            Some("acme".into())
        );
        assert_eq!(state.env("HOME".into()).expect("env"), None);
    }

    #[test]
    fn unnamed_requests_are_grouped_by_url_without_query() {
        assert_eq!(
            default_name("/api/v1/orders?status=completed"),
            "/api/v1/orders"
        );
        assert_eq!(default_name("/"), "/");
        assert_eq!(default_name("http://h/x#frag"), "http://h/x");
    }

    #[test]
    fn custom_methods_are_upper_cased_and_checked() {
        assert_eq!(
            http_method(&Method::Other("purge".into())).expect("valid"),
            HttpMethod::from_bytes(b"PURGE").expect("valid")
        );
        assert!(http_method(&Method::Other("BAD METHOD".into())).is_err());
    }
}
