//! The test harness: a running server plus a client that counts what it sends.

use std::time::Duration;

use demo_api::{DemoConfig, DemoServer};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

/// The password of the three `loadtestN@example.com` accounts.
pub const PASSWORD: &str = "TestPass123!";

/// A running server plus a client that counts every request it sends.
pub struct Harness {
    /// The server under test.
    pub server: DemoServer,
    /// A keep-alive client.
    pub http: reqwest::Client,
    /// Requests sent so far (stats requests excluded).
    pub sent: u64,
}

impl Harness {
    /// Starts a server on a free loopback port.
    pub async fn start(config: DemoConfig) -> Self {
        let addr = "127.0.0.1:0".parse().expect("socket address");
        let server = DemoServer::start(addr, config)
            .await
            .expect("server starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Harness {
            server,
            http,
            sent: 0,
        }
    }

    /// A request builder for `path` on the server.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.server.url()))
    }

    /// Sends a request, counting it.
    pub async fn send(&mut self, req: RequestBuilder) -> reqwest::Response {
        self.sent += 1;
        req.send().await.expect("response")
    }

    /// Sends and decodes a JSON body (Null when the body is not JSON).
    pub async fn call(&mut self, req: RequestBuilder) -> (StatusCode, Value) {
        let res = self.send(req).await;
        let status = res.status();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// `GET path`, with a bearer token when given.
    pub async fn get(&mut self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.req(Method::GET, path);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.call(req).await
    }

    /// Sends a JSON body with a bearer token.
    pub async fn send_json(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let req = self.req(method, path).bearer_auth(token).json(body);
        self.call(req).await
    }

    /// Logs in and returns the access token.
    pub async fn login(&mut self, username: &str, password: &str) -> String {
        let req = self
            .req(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "username": username, "password": password }));
        let (status, body) = self.call(req).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Checks the server counted exactly what was sent (and `/__stats` agrees), then stops it.
    pub async fn finish(self) {
        assert_eq!(self.server.requests_served(), self.sent);
        let url = format!("{}/__stats", self.server.url());
        for _ in 0..2 {
            let stats: Value = self
                .http
                .get(&url)
                .send()
                .await
                .expect("stats")
                .json()
                .await
                .expect("stats json");
            assert_eq!(stats["requests"], json!(self.sent), "stats are not counted");
        }
        assert_eq!(self.server.requests_served(), self.sent);
        self.server.shutdown().await;
    }
}

/// Whether the `detail` of an error body mentions `needle`.
pub fn detail_mentions(body: &Value, needle: &str) -> bool {
    body["detail"].to_string().contains(needle)
}
