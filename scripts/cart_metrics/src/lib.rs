//! `cart_metrics` — a scenario's own metrics, as k6's `Trend`, `Counter`, `Rate` and `Gauge`:
//! each task opens one of the first 20 products in turn (by the user's iteration) and
//! records its price as a trend (`price`), counts the view (`views`), records whether it
//! was in stock as a rate (`in_stock`), and sets its stock as a gauge (`stock`). Thresholds
//! judge them: `--threshold trend:price:p95<2000 --threshold rate:in_stock:rate>=50%`. The
//! list and the product page are one group, `browse`, timed as a row of type `GROUP`
//! (`--threshold 'GROUP browse:p95<500ms'`).

use serde::Deserialize;
use wasmload_guest::prelude::*;

/// The fields of a product page the metrics use.
#[derive(Deserialize)]
struct Product {
    price: f64,
    stock: u32,
    in_stock: bool,
}

/// A shopper who measures what it sees.
#[derive(Default)]
struct CartMetrics;

impl User for CartMetrics {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("CartMetrics").task("view_product", 1, Self::view_product)
    }
}

impl CartMetrics {
    /// Opens the list and a product's page as one group, `browse`.
    fn view_product(&mut self, client: &Client) -> TaskResult {
        let id = 1000 + (iteration() - 1) % 20;
        let product: Product = client.group("browse", |client| {
            client
                .get("/api/v1/products")
                .query(&[("limit", "5")])
                .send()?;
            let response = client
                .get(format!("/api/v1/products/{id}"))
                .name("/api/v1/products/:id")
                .send()?;
            response.json()
        })?;
        metrics::trend("price", product.price);
        metrics::counter("views", 1);
        metrics::rate("in_stock", product.in_stock);
        metrics::gauge("stock", f64::from(product.stock));
        Ok(())
    }
}

export_user!(CartMetrics);
