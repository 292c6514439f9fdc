//! `checkout_journey` — tasks in order, as Locust's `SequentialTaskSet`. By default a
//! weighted user browses the catalogue (weight 3) or runs the `checkout` sequence (weight 1):
//! view a product, list the orders, read the notifications, waiting 10–20 ms between the
//! steps as between tasks. With `--env ORDER=sequential` the whole user is a sequence of
//! the same four tasks, each in turn; with `ORDER=checkout`, of the checkout sequence alone.
//! `WAIT_S` sets the wait (between `WAIT_S` and twice that; 0.01 s by default). Its default host is the demo API's own address
//! (`DEMO_API` overrides it), so `wasmload run checkout_journey.wasm` needs no `--host`.

use serde::Deserialize;
use wasmload_guest::prelude::*;

/// The part of the login response the scenario uses.
#[derive(Deserialize)]
struct Token {
    access_token: String,
}

/// A shopper who browses and checks out.
#[derive(Default)]
struct CheckoutJourney;

impl User for CheckoutJourney {
    fn spec() -> UserSpec<Self> {
        // The demo API's address unless `--env DEMO_API=…` says otherwise; `--host` wins.
        let wait: f64 = env_or("WAIT_S", "0.01").parse().unwrap_or(0.01);
        let spec = UserSpec::new("CheckoutJourney")
            .host(env_or("DEMO_API", "http://127.0.0.1:8000"))
            .wait(between(wait, 2.0 * wait));
        if env("ORDER").as_deref() == Some("checkout") {
            return spec.sequence(
                "checkout",
                1,
                &[Self::view_product, Self::list_orders, Self::notifications],
            );
        }
        if env("ORDER").as_deref() == Some("sequential") {
            return spec
                .sequential()
                .task("browse", 1, Self::browse)
                .task("view_product", 1, Self::view_product)
                .task("list_orders", 1, Self::list_orders)
                .task("notifications", 1, Self::notifications);
        }
        spec.task("browse", 3, Self::browse).sequence(
            "checkout",
            1,
            &[Self::view_product, Self::list_orders, Self::notifications],
        )
    }

    fn on_start(&mut self, client: &Client) -> TaskResult {
        let response = client
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({"username": "loadtest1@example.com", "password": "TestPass123!"}))
            .send()?;
        ensure!(
            response.status() == 200,
            "login failed: {}",
            response.status()
        );
        let token: Token = response.json()?;
        client.set_default_header("Authorization", format!("Bearer {}", token.access_token));
        Ok(())
    }
}

impl CheckoutJourney {
    fn browse(&mut self, client: &Client) -> TaskResult {
        client
            .get("/api/v1/products")
            .query(&[("limit", "5")])
            .send()?;
        Ok(())
    }

    fn view_product(&mut self, client: &Client) -> TaskResult {
        client.get("/api/v1/products/1001").send()?;
        Ok(())
    }

    fn list_orders(&mut self, client: &Client) -> TaskResult {
        client.get("/api/v1/orders").send()?;
        Ok(())
    }

    fn notifications(&mut self, client: &Client) -> TaskResult {
        client.get("/api/v1/notifications").send()?;
        Ok(())
    }
}

export_user!(CheckoutJourney);
