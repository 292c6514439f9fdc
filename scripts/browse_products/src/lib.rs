//! `browse_products` — the Locust `FastAPIBasicUser` from the LoadForge
//! *FastAPI Load Testing Guide* ("Writing Your First Load Test"):
//! a user that checks service health, browses the laptop listing and opens a
//! product detail page, waiting 1–3 s between tasks.

use wasmload_guest::prelude::*;

/// Read-only catalogue traffic: `GET /health`, the product list and one
/// product's detail.
#[derive(Default)]
struct FastAPIBasicUser;

impl User for FastAPIBasicUser {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("FastAPIBasicUser")
            .wait(between(1, 3))
            .task("health_check", 2, Self::health_check)
            .task("list_products", 3, Self::list_products)
            .task("get_product_detail", 1, Self::get_product_detail)
    }
}

impl FastAPIBasicUser {
    /// `@task(2)`: `GET /health`.
    fn health_check(&mut self, client: &Client) -> TaskResult {
        client.get("/health").name("/health").send()?;
        Ok(())
    }

    /// `@task(3)`: `GET /api/v1/products?category=laptops&limit=20&sort=price_asc`.
    fn list_products(&mut self, client: &Client) -> TaskResult {
        client
            .get("/api/v1/products")
            .query(&[
                ("category", "laptops"),
                ("limit", "20"),
                ("sort", "price_asc"),
            ])
            .name("/api/v1/products")
            .send()?;
        Ok(())
    }

    /// `@task(1)`: `GET /api/v1/products/1001`, reported as `/api/v1/products/:id`.
    fn get_product_detail(&mut self, client: &Client) -> TaskResult {
        let product_id = 1001;
        client
            .get(format!("/api/v1/products/{product_id}"))
            .name("/api/v1/products/:id")
            .send()?;
        Ok(())
    }
}

export_user!(FastAPIBasicUser);
