//! `shop_data` — test data from files, as Gatling's feeders: each user logs in with an
//! account of the `accounts` data set (handed out in turn, wrapping: the demo's three
//! accounts shared by any number of users), then each task opens the product whose id the
//! next row of `products` names.
//!
//! `wasmload run shop_data.wasm --data accounts=examples/data/accounts.csv
//! --data products=examples/data/products.csv`: each product is viewed once, and the run
//! stops when they have all been handed out. `--env PICK=circular|random|per-user` picks
//! products the other ways instead.

use serde::Deserialize;
use wasmload_guest::data::Pick;
use wasmload_guest::prelude::*;

/// A row of `accounts`.
#[derive(Deserialize)]
struct Account {
    username: String,
    password: String,
}

/// The part of the login response the scenario uses.
#[derive(Deserialize)]
struct Token {
    access_token: String,
}

/// A shopper whose credentials and products come from data files.
#[derive(Default)]
struct DataShopper;

impl User for DataShopper {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("DataShopper")
            .data("accounts")
            .data("products")
            .task("view_product", 1, Self::view_product)
    }

    fn on_start(&mut self, client: &Client) -> TaskResult {
        let account: Account = data::circular("accounts")?;
        let response = client
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({"username": account.username, "password": account.password}))
            .send()?;
        ensure!(
            response.status() == 200,
            "login as {} failed: {}",
            account.username,
            response.status()
        );
        let token: Token = response.json()?;
        client.set_default_header("Authorization", format!("Bearer {}", token.access_token));
        Ok(())
    }
}

impl DataShopper {
    /// `GET /api/v1/products/{id}` for the id of the next `products` row.
    fn view_product(&mut self, client: &Client) -> TaskResult {
        let pick = match env_or("PICK", "next").as_str() {
            "circular" => Pick::Circular,
            "random" => Pick::Random,
            "per-user" => Pick::PerUser,
            _ => Pick::Next,
        };
        let row = data::row("products", pick)?;
        let id = row.get("id").context("a products row has no `id`")?;
        let response = client
            .get(format!("/api/v1/products/{id}"))
            .name("/api/v1/products/:id")
            .send()?;
        check("the product exists", response.status() == 200);
        Ok(())
    }
}

export_user!(DataShopper);
