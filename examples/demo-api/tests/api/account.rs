//! Per-user data: orders, notifications, customer search, tickets and preferences.

use demo_api::DemoConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Harness, PASSWORD};

#[tokio::test]
async fn account_data() {
    let mut h = Harness::start(DemoConfig::default()).await;
    let token = h.login("loadtest2@example.com", PASSWORD).await;
    let (s, orders) = h
        .get("/api/v1/orders?status=completed&limit=10", Some(&token))
        .await;
    assert_eq!(s, StatusCode::OK);
    let orders = orders.as_array().expect("orders");
    assert!(!orders.is_empty() && orders.len() <= 10);
    assert!(orders.iter().all(|o| o["status"] == "completed"));
    let (s, _) = h.get("/api/v1/orders?limit=0", Some(&token)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, all) = h.get("/api/v1/notifications", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, unread) = h
        .get("/api/v1/notifications?unread_only=true", Some(&token))
        .await;
    assert_eq!(s, StatusCode::OK);
    let unread = unread.as_array().expect("list");
    assert!(!unread.is_empty() && unread.len() < all.as_array().expect("list").len());
    assert!(unread.iter().all(|n| n["read"] == false));
    let (s, _) = h
        .get("/api/v1/notifications?unread_only=maybe", Some(&token))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let path = "/api/v1/customers/search?query=smith&page=1&page_size=25&include_inactive=false";
    let (s, page) = h.get(path, Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 25);
    assert!(items.iter().all(|c| c["name"]
        .as_str()
        .is_some_and(|n| n.to_lowercase().contains("smith"))));
    assert!(items.iter().all(|c| c["active"] == true));
    let total = page["total"].as_u64().expect("total");
    let (_, with_inactive) = h
        .get(
            "/api/v1/customers/search?query=SMITH&include_inactive=true",
            Some(&token),
        )
        .await;
    assert!(with_inactive["total"].as_u64().expect("total") > total);
    let last = total.div_ceil(25);
    let (_, tail) = h
        .get(
            &format!("/api/v1/customers/search?query=smith&page={last}"),
            Some(&token),
        )
        .await;
    assert_eq!(
        tail["items"].as_array().expect("items").len() as u64,
        total - (last - 1) * 25
    );
    let (s, _) = h
        .get("/api/v1/customers/search?query=smith&page=0", Some(&token))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    h.finish().await;
}

#[tokio::test]
async fn tickets() {
    let mut h = Harness::start(DemoConfig::default()).await;
    let token = h.login("agent@example.com", "SupportPass123!").await;
    let good = json!({
        "customer_id": 1234,
        "subject": "Cannot log in",
        "priority": "high",
        "category": "account",
        "message": "User reports repeated login failures.",
        "tags": ["login", "urgent"],
    });
    let (s, ticket) = h
        .send_json(Method::POST, "/api/v1/tickets", &token, &good)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["customer_id"], 1234);
    assert_eq!(ticket["priority"], "high");
    assert_eq!(ticket["status"], "open");
    let id = ticket["id"].as_u64().expect("id");
    let (s, again) = h.get(&format!("/api/v1/tickets/{id}"), Some(&token)).await;
    assert_eq!((s, again["id"].as_u64()), (StatusCode::OK, Some(id)));
    let other = h.login("loadtest1@example.com", PASSWORD).await;
    let (s, _) = h.get(&format!("/api/v1/tickets/{id}"), Some(&other)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another user's ticket");

    let mut bad = Vec::new();
    for (field, value) in [
        ("customer_id", json!(999)),
        ("customer_id", json!(1501)),
        ("customer_id", json!("1234")),
        ("subject", json!("   ")),
        ("priority", json!("urgent")),
        ("tags", json!("login")),
    ] {
        let mut body = good.clone();
        body[field] = value;
        bad.push(body);
    }
    let mut missing = good.clone();
    missing.as_object_mut().expect("object").remove("subject");
    bad.push(missing);
    for body in bad {
        let (s, resp) = h
            .send_json(Method::POST, "/api/v1/tickets", &token, &body)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {resp}");
    }
    let (s, resp) = h
        .send_json(Method::POST, "/api/v1/tickets", &token, &json!({"customer_id": 1, "subject": "", "priority": "low", "category": "", "message": ""}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp["detail"].as_array().map(Vec::len),
        Some(2),
        "all violations listed"
    );
    h.finish().await;
}

#[tokio::test]
async fn preferences() {
    let mut h = Harness::start(DemoConfig::default()).await;
    let token = h.login("loadtest3@example.com", PASSWORD).await;
    let path = "/api/v1/users/me/preferences";
    let patch = json!({"theme": "dark", "sms_notifications": true, "timezone": "Europe/Berlin"});
    let (s, prefs) = h.send_json(Method::PATCH, path, &token, &patch).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        prefs,
        json!({"email_notifications": true, "sms_notifications": true, "theme": "dark", "timezone": "Europe/Berlin"})
    );
    let (s, prefs) = h
        .send_json(
            Method::PATCH,
            path,
            &token,
            &json!({"email_notifications": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(prefs["email_notifications"], false);
    assert_eq!(prefs["theme"], "dark", "untouched fields keep their value");
    let (_, me) = h.get("/api/v1/users/me", Some(&token)).await;
    assert_eq!(me["preferences"], prefs);
    for body in [
        json!({"theme": "blue"}),
        json!({"email_notifications": "yes"}),
        json!({"sms_notifications": 1}),
        json!({"timezone": 5}),
        json!({"timezone": ""}),
        json!("dark"),
    ] {
        let (s, resp) = h.send_json(Method::PATCH, path, &token, &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {resp}");
    }
    let other = h.login("loadtest1@example.com", PASSWORD).await;
    let (_, me) = h.get("/api/v1/users/me", Some(&other)).await;
    assert_eq!(
        me["preferences"]["theme"], "light",
        "preferences are per user"
    );
    h.finish().await;
}
