//! Components built against `wasmload:scenario@0.1.0`: its imports served by the 0.2.0
//! implementation (0.2.0 only adds to it), and what its exports return read as 0.2.0.

use wasmtime::component::Resource;

use super::state::VuState;
use crate::bindings::v1::wasmload::scenario as v1;
use crate::bindings::{self, http as v2_http, runtime as v2_runtime, session as v2_session};

impl v1::types::Host for VuState {}

impl v1::http::Host for VuState {
    async fn send(
        &mut self,
        request: v1::types::Request,
    ) -> wasmtime::Result<Result<Resource<v1::http::Response>, v1::types::HttpError>> {
        let sent = v2_http::Host::send(self, request_v2(request)).await?;
        Ok(sent
            .map(|response| Resource::new_own(response.rep()))
            .map_err(http_error_v1))
    }
}

/// The response resource of 0.1.0 is the same host response as 0.2.0's.
fn v2(response: Resource<v1::http::Response>) -> Resource<v2_http::Response> {
    Resource::new_own(response.rep())
}

impl v1::http::HostResponse for VuState {
    fn status(&mut self, response: Resource<v1::http::Response>) -> wasmtime::Result<u16> {
        v2_http::HostResponse::status(self, v2(response))
    }

    fn headers(
        &mut self,
        response: Resource<v1::http::Response>,
    ) -> wasmtime::Result<Vec<(String, String)>> {
        v2_http::HostResponse::headers(self, v2(response))
    }

    fn header(
        &mut self,
        response: Resource<v1::http::Response>,
        name: String,
    ) -> wasmtime::Result<Option<String>> {
        v2_http::HostResponse::header(self, v2(response), name)
    }

    fn body(&mut self, response: Resource<v1::http::Response>) -> wasmtime::Result<Vec<u8>> {
        v2_http::HostResponse::body(self, v2(response))
    }

    fn elapsed_us(&mut self, response: Resource<v1::http::Response>) -> wasmtime::Result<u64> {
        v2_http::HostResponse::elapsed_us(self, v2(response))
    }

    fn failure(
        &mut self,
        response: Resource<v1::http::Response>,
        message: String,
    ) -> wasmtime::Result<()> {
        v2_http::HostResponse::failure(self, v2(response), message)
    }

    fn success(&mut self, response: Resource<v1::http::Response>) -> wasmtime::Result<()> {
        v2_http::HostResponse::success(self, v2(response))
    }

    fn drop(&mut self, response: Resource<v1::http::Response>) -> wasmtime::Result<()> {
        v2_http::HostResponse::drop(self, v2(response))
    }
}

impl v1::session::Host for VuState {
    fn set_header(&mut self, name: String, value: String) -> wasmtime::Result<()> {
        v2_session::Host::set_header(self, name, value)
    }

    fn remove_header(&mut self, name: String) -> wasmtime::Result<()> {
        v2_session::Host::remove_header(self, name)
    }

    fn clear_cookies(&mut self) -> wasmtime::Result<()> {
        v2_session::Host::clear_cookies(self)
    }
}

impl v1::runtime::Host for VuState {
    async fn sleep(&mut self, ms: u64) -> wasmtime::Result<()> {
        v2_runtime::Host::sleep(self, ms).await
    }

    fn log(&mut self, level: v1::types::LogLevel, message: String) -> wasmtime::Result<()> {
        use bindings::LogLevel as Level;
        let level = match level {
            v1::types::LogLevel::Trace => Level::Trace,
            v1::types::LogLevel::Debug => Level::Debug,
            v1::types::LogLevel::Info => Level::Info,
            v1::types::LogLevel::Warn => Level::Warn,
            v1::types::LogLevel::Error => Level::Error,
        };
        v2_runtime::Host::log(self, level, message)
    }

    fn vu_id(&mut self) -> wasmtime::Result<u32> {
        v2_runtime::Host::vu_id(self)
    }

    fn iteration(&mut self) -> wasmtime::Result<u64> {
        v2_runtime::Host::iteration(self)
    }

    fn env(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        v2_runtime::Host::env(self, key)
    }

    fn check(&mut self, name: String, passed: bool) -> wasmtime::Result<()> {
        v2_runtime::Host::check(self, name, passed)
    }

    fn random(&mut self) -> wasmtime::Result<u64> {
        v2_runtime::Host::random(self)
    }
}

fn request_v2(request: v1::types::Request) -> bindings::Request {
    use bindings::Method;
    let method = match request.method {
        v1::types::Method::Get => Method::Get,
        v1::types::Method::Head => Method::Head,
        v1::types::Method::Post => Method::Post,
        v1::types::Method::Put => Method::Put,
        v1::types::Method::Patch => Method::Patch,
        v1::types::Method::Delete => Method::Delete,
        v1::types::Method::Options => Method::Options,
        v1::types::Method::Other(name) => Method::Other(name),
    };
    bindings::Request {
        method,
        url: request.url,
        query: request.query,
        headers: request.headers,
        body: request.body,
        name: request.name,
        timeout_ms: request.timeout_ms,
    }
}

fn http_error_v1(error: bindings::HttpError) -> v1::types::HttpError {
    use bindings::HttpError as Error;
    match error {
        Error::Refused(message) => v1::types::HttpError::Refused(message),
        Error::InvalidRequest(message) => v1::types::HttpError::InvalidRequest(message),
        Error::Connect(message) => v1::types::HttpError::Connect(message),
        Error::Timeout => v1::types::HttpError::Timeout,
        Error::Transport(message) => v1::types::HttpError::Transport(message),
    }
}

/// A 0.1.0 user's description, in 0.2.0's terms: weighted tasks, no default host, no data,
/// no test-wide hooks.
pub fn user_info_v2(user: v1::types::UserInfo) -> bindings::UserInfo {
    use bindings::WaitTime;
    let wait = match user.wait {
        v1::types::WaitTime::None => WaitTime::None,
        v1::types::WaitTime::Constant(ms) => WaitTime::Constant(ms),
        v1::types::WaitTime::Between(range) => WaitTime::Between(range),
        v1::types::WaitTime::ConstantPacing(ms) => WaitTime::ConstantPacing(ms),
        v1::types::WaitTime::ConstantThroughput(rate) => WaitTime::ConstantThroughput(rate),
    };
    bindings::UserInfo {
        name: user.name,
        tasks: user
            .tasks
            .into_iter()
            .map(|task| bindings::types::Task {
                name: task.name,
                weight: task.weight,
            })
            .collect(),
        wait,
        custom_shape: user.custom_shape,
        host: None,
        order: bindings::TaskOrder::Weighted,
        data: Vec::new(),
        hooks: bindings::Hooks::empty(),
    }
}

/// A 0.1.0 shape step, in 0.2.0's terms.
pub fn shape_step_v2(step: v1::types::ShapeStep) -> bindings::ShapeStep {
    bindings::ShapeStep {
        users: step.users,
        spawn_rate: step.spawn_rate,
    }
}
