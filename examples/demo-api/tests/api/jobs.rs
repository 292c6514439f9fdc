//! Multipart CSV imports and background sales reports.

use std::time::Duration;

use demo_api::DemoConfig;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{detail_mentions, Harness, PASSWORD};

fn customers_csv(rows: usize) -> String {
    let plans = ["free", "pro", "enterprise"];
    let mut csv = String::from("email,first_name,last_name,plan\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "user{i}@example.com,First{i},Last{i},{}\n",
            plans[i % 3]
        ));
    }
    csv
}

fn import_form(csv: String) -> Form {
    let part = Part::text(csv)
        .file_name("customers.csv")
        .mime_str("text/csv")
        .expect("mime");
    Form::new()
        .part("file", part)
        .text("source", "load-test")
        .text("send_welcome_email", "false")
}

#[tokio::test]
async fn customer_imports() {
    let mut h = Harness::start(DemoConfig::default()).await;
    let token = h.login("ops@example.com", "OpsPass123!").await;
    let url = "/api/v1/imports/customers";
    let req = h
        .req(Method::POST, url)
        .bearer_auth(&token)
        .multipart(import_form(customers_csv(100)));
    let (s, body) = h.call(req).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["rows_imported"], 100);
    assert_eq!(body["source"], "load-test");
    let id = body["import_id"].as_str().expect("import_id").to_owned();
    let (s, _) = h.get(&format!("/api/v1/imports/{id}"), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let other = h.login("loadtest1@example.com", PASSWORD).await;
    let (s, _) = h.get(&format!("/api/v1/imports/{id}"), Some(&other)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let bad_header = customers_csv(3).replacen("first_name", "firstname", 1);
    let (s, body) = h
        .call(
            h.req(Method::POST, url)
                .bearer_auth(&token)
                .multipart(import_form(bad_header)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(detail_mentions(&body, "header"), "{body}");
    let bad_plan = customers_csv(3).replacen(",pro", ",platinum", 1);
    let (s, body) = h
        .call(
            h.req(Method::POST, url)
                .bearer_auth(&token)
                .multipart(import_form(bad_plan)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(detail_mentions(&body, "line 3"), "{body}");
    let no_file = Form::new().text("source", "load-test");
    let (s, _) = h
        .call(
            h.req(Method::POST, url)
                .bearer_auth(&token)
                .multipart(no_file),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let not_multipart = h
        .req(Method::POST, url)
        .bearer_auth(&token)
        .json(&json!({}));
    assert_eq!(
        h.call(not_multipart).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    h.finish().await;
}

#[tokio::test]
async fn sales_report_lifecycle() {
    let delay = Duration::from_secs(2);
    let mut h = Harness::start(DemoConfig {
        report_delay: (delay, delay),
        ..DemoConfig::default()
    })
    .await;
    let token = h.login("loadtest1@example.com", PASSWORD).await;
    let request = json!({"start_date": "2024-01-01", "end_date": "2024-01-31", "group_by": "day", "format": "csv"});
    let (s, body) = h
        .send_json(Method::POST, "/api/v1/reports/sales", &token, &request)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");
    let id = body["report_id"].as_str().expect("report_id").to_owned();
    let download = format!("/api/v1/reports/{id}/download");
    let status = format!("/api/v1/reports/{id}/status");

    let (s, body) = h.get(&download, Some(&token)).await;
    assert_eq!(
        (s, body),
        (StatusCode::CONFLICT, json!({"detail": "report not ready"}))
    );
    let other = h.login("loadtest2@example.com", PASSWORD).await;
    assert_eq!(h.get(&status, Some(&other)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        h.get(&download, Some(&other)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.get("/api/v1/reports/rpt_missing/status", Some(&token))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let mut completed = false;
    for _ in 0..150 {
        let (s, body) = h.get(&status, Some(&token)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["report_id"], id.as_str());
        if body["status"] == "completed" {
            completed = true;
            break;
        }
        assert_eq!(body["status"], "pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(completed, "report never completed");

    let res = h
        .send(h.req(Method::GET, &download).bearer_auth(&token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/csv"));
    let csv = res.text().await.expect("body");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.first(), Some(&"day,orders,units,revenue"));
    assert_eq!(lines.len(), 1 + 31 + 1, "header, one row per day, total");
    assert!(lines[1].starts_with("2024-01-01,"));

    for bad in [
        json!({"start_date": "2024-02-30", "end_date": "2024-03-01", "group_by": "day", "format": "csv"}),
        json!({"start_date": "2024-03-01", "end_date": "2024-02-01", "group_by": "day", "format": "csv"}),
        json!({"start_date": "2024-01-01", "end_date": "2024-01-31", "group_by": "day", "format": "pdf"}),
        json!({"start_date": "01/01/2024", "end_date": "2024-01-31", "group_by": "day", "format": "csv"}),
    ] {
        let (s, resp) = h
            .send_json(Method::POST, "/api/v1/reports/sales", &token, &bad)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad} -> {resp}");
    }
    h.finish().await;
}
