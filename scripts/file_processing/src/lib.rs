//! `file_processing` — the Locust `FastAPIFileProcessingUser` from the
//! LoadForge *FastAPI Load Testing Guide* ("File upload and report generation
//! scenario"): an operations user logs in, uploads generated
//! customer CSV imports as multipart forms, and requests sales reports,
//! polling their status and downloading them once completed, waiting 3–6 s
//! between tasks.

use serde::Serialize;
use serde_json::Value;
use wasmload_guest::prelude::*;

/// The login, imported from the `demo:auth` library component (`auth.wasm`).
#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod auth {
    wit_bindgen::generate!({ path: "../demo_auth/wit", world: "client" });
}

use auth::demo::auth::login::login;

/// `POST /api/v1/reports/sales`'s body.
#[derive(Serialize)]
struct SalesReport {
    start_date: &'static str,
    end_date: &'static str,
    group_by: &'static str,
    format: &'static str,
}

/// How many times a report's status is polled.
const STATUS_POLLS: usize = 5;

/// An operations user running imports and reports.
#[derive(Default)]
struct FastAPIFileProcessingUser;

impl User for FastAPIFileProcessingUser {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("FastAPIFileProcessingUser")
            .wait(between(3, 6))
            .task("upload_customer_import", 2, Self::upload_customer_import)
            .task("generate_sales_report", 1, Self::generate_sales_report)
    }

    /// Logs in as the operations user and keeps the bearer token.
    fn on_start(&mut self, _client: &Client) -> TaskResult {
        login("ops@example.com", "OpsPass123!").map_err(Error::msg)
    }
}

impl FastAPIFileProcessingUser {
    /// The guide's `generate_csv_file`: a header and 100 customers with a
    /// random plan, written like Python's `csv.writer` (CRLF line endings).
    fn generate_csv_file() -> Vec<u8> {
        let mut csv = String::from("email,first_name,last_name,plan\r\n");
        for i in 0..100 {
            let plan = choose(&["free", "pro", "enterprise"]);
            csv.push_str(&format!("user{i}@example.com,User{i},LoadTest,{plan}\r\n"));
        }
        csv.into_bytes()
    }

    /// `@task(2)`: uploads a customer import as `multipart/form-data` with
    /// `source=dashboard`, `send_welcome_email=false` and `customers.csv`.
    fn upload_customer_import(&mut self, client: &Client) -> TaskResult {
        let csv_content = Self::generate_csv_file();
        // Like `requests`, the `data=` fields come before the `files=` part.
        let form = Multipart::new()
            .text("source", "dashboard")
            .text("send_welcome_email", "false")
            .file("file", "customers.csv", "text/csv", csv_content);
        client
            .post("/api/v1/imports/customers")
            .multipart(form)
            .name("/api/v1/imports/customers")
            .send()?;
        Ok(())
    }

    /// `@task(1)`: requests a January sales report; if it is accepted (202),
    /// polls its status up to 5 times, one second apart, and downloads it
    /// once completed.
    fn generate_sales_report(&mut self, client: &Client) -> TaskResult {
        let payload = SalesReport {
            start_date: "2025-01-01",
            end_date: "2025-01-31",
            group_by: "region",
            format: "csv",
        };
        let report_id = {
            let response = client
                .post("/api/v1/reports/sales")
                .json(&payload)
                .name("/api/v1/reports/sales")
                .send()?;
            if response.status() != 202 {
                return Ok(());
            }
            let body: Value = response.json()?;
            report_id(&body)?
        };

        for _ in 0..STATUS_POLLS {
            let completed = {
                let status_response = client
                    .get(format!("/api/v1/reports/{report_id}/status"))
                    .name("/api/v1/reports/:id/status")
                    .send()?;
                status_response.status() == 200
                    && status_response.json::<Value>()?.get("status")
                        == Some(&Value::from("completed"))
            };
            if completed {
                client
                    .get(format!("/api/v1/reports/{report_id}/download"))
                    .name("/api/v1/reports/:id/download")
                    .send()?;
                break;
            }
            sleep(Duration::from_secs(1));
        }
        Ok(())
    }
}

/// The `report_id` of an accepted report, as it goes in a URL.
fn report_id(body: &Value) -> Result<String, Error> {
    match body.get("report_id") {
        Some(Value::String(id)) => Ok(id.clone()),
        Some(Value::Number(id)) => Ok(id.to_string()),
        _ => fail!("POST /api/v1/reports/sales returned 202 without a report_id: {body}"),
    }
}

export_user!(FastAPIFileProcessingUser);
