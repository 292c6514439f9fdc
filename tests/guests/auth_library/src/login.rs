// The library's code, shared by `auth_library` and `auth_library_v2`: each crate generates
// its own `bindings` for its version of the interface and includes this file.

use bindings::exports::test::auth::login::Guest;
use bindings::wasmload::scenario::http::send;
use bindings::wasmload::scenario::session::set_header;
use bindings::wasmload::scenario::types::{Method, Request};

struct Library;

impl Guest for Library {
    fn login(username: String, password: String) -> Result<(), String> {
        if username == "trap" {
            panic!("the library was asked to trap");
        }
        let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
        let response = send(&Request {
            method: Method::Post,
            url: "/api/v1/auth/login".into(),
            query: Vec::new(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(body.into_bytes()),
            name: Some("auth: login".into()),
            timeout_ms: None,
        })
        .map_err(|err| format!("login request failed: {err:?}"))?;
        if response.status() != 200 {
            return Err(format!(
                "login as {username} returned {}",
                response.status()
            ));
        }
        let text = String::from_utf8(response.body()).map_err(|err| err.to_string())?;
        let token = text
            .split("\"access_token\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| format!("no access_token in {text}"))?;
        set_header("Authorization", &format!("Bearer {token}"));
        Ok(())
    }
}

bindings::export!(Library with_types_in bindings);
