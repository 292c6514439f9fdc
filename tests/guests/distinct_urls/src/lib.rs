//! `distinct_urls`: each task requests `/api/v1/products/{id}` with an id no request used
//! before, and gives the request no `.name()`, as a scenario that forgets to group URLs with
//! ids does; ids past the catalogue answer 404. It counts each product under a name of its
//! own too, as a scenario that puts ids in metric names does.

use wasmload_guest::prelude::*;

/// A user whose every request has a URL of its own.
#[derive(Default)]
struct DistinctUrls;

impl User for DistinctUrls {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("DistinctUrls").task("product", 1, Self::product)
    }
}

impl DistinctUrls {
    fn product(&mut self, client: &Client) -> TaskResult {
        let id = 1_000 + u64::from(vu_id()) * 1_000_000 + iteration();
        client.get(format!("/api/v1/products/{id}")).send()?;
        metrics::counter(&format!("product {id}"), 1);
        Ok(())
    }
}

export_user!(DistinctUrls);
