//! Login, refresh, and rejection of missing, foreign and expired tokens.

use std::time::Duration;

use demo_api::DemoConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Harness, PASSWORD};

#[tokio::test]
async fn login_and_refresh() {
    let mut h = Harness::start(DemoConfig::default()).await;
    for (user, pass) in [
        ("loadtest1@example.com", PASSWORD),
        ("loadtest2@example.com", PASSWORD),
        ("loadtest3@example.com", PASSWORD),
        ("agent@example.com", "SupportPass123!"),
        ("ops@example.com", "OpsPass123!"),
    ] {
        let req = h
            .req(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "username": user, "password": pass }));
        let (s, body) = h.call(req).await;
        assert_eq!(s, StatusCode::OK, "{user}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 900);
        assert!(body["access_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3));
    }
    for body in [
        json!({"username": "loadtest1@example.com", "password": "wrong"}),
        json!({"username": "nobody@example.com", "password": PASSWORD}),
        json!({"username": "agent@example.com", "password": PASSWORD}),
    ] {
        let (s, resp) = h
            .call(h.req(Method::POST, "/api/v1/auth/login").json(&body))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        assert!(resp["detail"].is_string());
    }
    let bad_payloads = [
        h.req(Method::POST, "/api/v1/auth/login")
            .header("content-type", "application/json")
            .body("not json"),
        h.req(Method::POST, "/api/v1/auth/login")
            .json(&json!({"username": "x"})),
        h.req(Method::POST, "/api/v1/auth/login")
            .json(&json!({"username": 1, "password": 2})),
        h.req(Method::POST, "/api/v1/auth/login")
            .json(&json!(["a", "b"])),
        h.req(Method::POST, "/api/v1/auth/login")
            .body(r#"{"username":"a","password":"b"}"#),
        h.req(Method::POST, "/api/v1/auth/login"),
    ];
    for req in bad_payloads {
        let (s, body) = h.call(req).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["detail"].is_array(), "{body}");
    }

    let token = h.login("loadtest1@example.com", PASSWORD).await;
    let (s, body) = h
        .call(
            h.req(Method::POST, "/api/v1/auth/refresh")
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let fresh = body["access_token"].as_str().expect("token").to_owned();
    assert_ne!(fresh, token);
    let (s, me) = h.get("/api/v1/users/me", Some(&fresh)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], "loadtest1@example.com");
    assert_eq!(me["preferences"]["theme"], "light");
    let (s, _) = h.call(h.req(Method::POST, "/api/v1/auth/refresh")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    h.finish().await;
}

#[tokio::test]
async fn protected_routes_reject_missing_and_bad_tokens() {
    let mut h = Harness::start(DemoConfig::default()).await;
    let protected = [
        "/api/v1/users/me",
        "/api/v1/orders?status=completed&limit=10",
        "/api/v1/notifications?unread_only=true",
        "/api/v1/customers/search?query=smith",
        "/api/v1/reports/rpt_0/status",
    ];
    for path in protected {
        let (s, body) = h.get(path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body, json!({"detail": "Not authenticated"}));
        let (s, _) = h.get(path, Some("garbage.token.here")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    let res = h
        .send(
            h.req(Method::GET, "/api/v1/users/me")
                .header("authorization", "Basic Zm9vOmJhcg=="),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    // A token signed by another process's secret is rejected too.
    let other = Harness::start(DemoConfig::default()).await;
    let mut other = other;
    let foreign = other.login("loadtest1@example.com", PASSWORD).await;
    other.finish().await;
    assert_eq!(
        h.get("/api/v1/users/me", Some(&foreign)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, body) = h
        .send_json(Method::POST, "/api/v1/tickets", "nope", &json!({}))
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "auth is checked before the body: {body}"
    );
    h.finish().await;
}

#[tokio::test]
async fn expired_tokens_are_rejected() {
    let zero = DemoConfig {
        token_ttl: Duration::ZERO,
        ..DemoConfig::default()
    };
    let mut h = Harness::start(zero).await;
    let token = h.login("ops@example.com", "OpsPass123!").await;
    let (s, body) = h.get("/api/v1/users/me", Some(&token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["detail"], "Token has expired");
    h.finish().await;

    // A one-second token works at first (unless issued at the very end of a second) and
    // expires within about two seconds; poll with a bound instead of sleeping and hoping.
    let one = DemoConfig {
        token_ttl: Duration::from_secs(1),
        ..DemoConfig::default()
    };
    let mut h = Harness::start(one).await;
    let token = h.login("ops@example.com", "OpsPass123!").await;
    let mut expired = false;
    for _ in 0..60 {
        let (s, _) = h.get("/api/v1/users/me", Some(&token)).await;
        if s == StatusCode::UNAUTHORIZED {
            expired = true;
            break;
        }
        assert_eq!(s, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(expired, "token never expired");
    h.finish().await;
}
