//! `ticket_workflow` — the Locust `FastAPIWorkflowUser` from the LoadForge
//! *FastAPI Load Testing Guide* ("API write operations and validation-heavy
//! endpoints"): a support agent logs in, then searches
//! customers, opens billing tickets and updates their preferences, waiting
//! 2–5 s between tasks.

use serde::Serialize;
use wasmload_guest::prelude::*;

/// The login, imported from the `demo:auth` library component (`auth.wasm`).
#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod auth {
    wit_bindgen::generate!({ path: "../demo_auth/wit", world: "client" });
}

use auth::demo::auth::login::login;

/// `POST /api/v1/tickets`'s body, fields in the guide's order.
#[derive(Serialize)]
struct NewTicket {
    customer_id: u32,
    subject: String,
    priority: &'static str,
    category: &'static str,
    message: &'static str,
    tags: [&'static str; 2],
}

/// `PATCH /api/v1/users/me/preferences`'s body.
#[derive(Serialize)]
struct Preferences {
    email_notifications: bool,
    sms_notifications: bool,
    theme: &'static str,
    timezone: &'static str,
}

/// A support agent working tickets.
#[derive(Default)]
struct FastAPIWorkflowUser;

impl User for FastAPIWorkflowUser {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("FastAPIWorkflowUser")
            .wait(between(2, 5))
            .task("search_customers", 3, Self::search_customers)
            .task("create_ticket", 2, Self::create_ticket)
            .task("update_preferences", 1, Self::update_preferences)
    }

    /// Logs in as the support agent and keeps the bearer token.
    fn on_start(&mut self, _client: &Client) -> TaskResult {
        login("agent@example.com", "SupportPass123!").map_err(Error::msg)
    }
}

impl FastAPIWorkflowUser {
    /// `@task(3)`: `GET /api/v1/customers/search?query=smith&page=1&page_size=25&include_inactive=false`.
    fn search_customers(&mut self, client: &Client) -> TaskResult {
        client
            .get("/api/v1/customers/search")
            .query(&[
                ("query", "smith"),
                ("page", "1"),
                ("page_size", "25"),
                ("include_inactive", "false"),
            ])
            .name("/api/v1/customers/search")
            .send()?;
        Ok(())
    }

    /// `@task(2)`: `POST /api/v1/tickets` with a random customer, subject
    /// suffix and priority.
    fn create_ticket(&mut self, client: &Client) -> TaskResult {
        // Drawn in the guide's order: customer id, subject suffix, priority.
        let customer_id = random_range(1000..=1500);
        let subject = format!("Payment issue {}", random_hex(8));
        let priority = *choose(&["low", "medium", "high"]);
        let payload = NewTicket {
            customer_id,
            subject,
            priority,
            category: "billing",
            message: "Customer reports duplicate charge on latest invoice.",
            tags: ["billing", "chargeback-review"],
        };
        client
            .post("/api/v1/tickets")
            .json(&payload)
            .name("/api/v1/tickets")
            .send()?;
        Ok(())
    }

    /// `@task(1)`: `PATCH /api/v1/users/me/preferences` with random
    /// notification and theme choices.
    fn update_preferences(&mut self, client: &Client) -> TaskResult {
        let email_notifications = *choose(&[true, false]);
        let theme = *choose(&["light", "dark"]);
        let payload = Preferences {
            email_notifications,
            sms_notifications: false,
            theme,
            timezone: "America/New_York",
        };
        client
            .patch("/api/v1/users/me/preferences")
            .json(&payload)
            .name("/api/v1/users/me/preferences")
            .send()?;
        Ok(())
    }
}

export_user!(FastAPIWorkflowUser);
