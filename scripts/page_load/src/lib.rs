//! `page_load` — parallel requests of one user, as k6's `http.batch` or a browser loading a
//! page: each task asks for the product list, a product, the health check and the status
//! page at once, on the user's connections (one more for each request in flight), and
//! checks each answer. `--env STALL_MS=200 --env PARALLEL=4` asks instead for `PARALLEL`
//! calls of `/slow` that each stall `STALL_MS`, to see them overlap.

use wasmload_guest::prelude::*;

/// A visitor whose page loads its resources in parallel.
#[derive(Default)]
struct PageLoad;

impl User for PageLoad {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("PageLoad").task("load_page", 1, Self::load_page)
    }
}

impl PageLoad {
    fn load_page(&mut self, client: &Client) -> TaskResult {
        let paths: Vec<String> = match env("STALL_MS") {
            Some(stall_ms) => {
                let parallel: usize = env_or("PARALLEL", "4").parse().unwrap_or(4);
                let slow = format!("/slow?every=1&stall_ms={stall_ms}");
                vec![slow; parallel]
            }
            None => [
                "/api/v1/products?limit=5",
                "/api/v1/products/1001",
                "/health",
                "/status",
            ]
            .map(String::from)
            .to_vec(),
        };
        let requests = paths.iter().map(|path| client.get(path.as_str())).collect();
        for answer in client.batch(requests) {
            check("a page resource loads", answer?.status() == 200);
        }
        Ok(())
    }
}

export_user!(PageLoad);
