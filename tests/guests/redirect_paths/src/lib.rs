//! `redirect_paths`: one task that walks the redirect rules of a browser or Python's
//! `requests` against the redirect server of the end-to-end tests, and records each rule as
//! a check: a login's session cookie set on a 302, POST turned into GET by 301/302/303 and
//! kept by 307/308, cookies kept with the origin that set them across hops, and a redirect
//! loop stopped by `--max-redirects`.

use wasmload_guest::prelude::*;

/// A user that follows redirects.
#[derive(Default)]
struct RedirectPaths;

impl User for RedirectPaths {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("RedirectPaths").task("walk", 1, Self::walk)
    }
}

impl RedirectPaths {
    fn walk(&mut self, client: &Client) -> TaskResult {
        let home = client.post("/login").form(&[("user", "ada")]).send()?;
        check(
            "a login's 302 keeps its session cookie",
            home.status() == 200 && home.text()? == "welcome",
        );
        for code in [301, 302, 303] {
            let echoed = client.post(format!("/r/{code}")).body("payload").send()?;
            check(
                &format!("{code} turns a POST into a GET without a body"),
                echoed.text()? == "GET ",
            );
        }
        for code in [307, 308] {
            let echoed = client.post(format!("/r/{code}")).body("payload").send()?;
            check(
                &format!("{code} keeps the method and the body"),
                echoed.text()? == "POST payload",
            );
        }
        // /hop/a on 127.0.0.1 sets a=1, /hop/b on localhost sets b=2, and /hop/check on
        // 127.0.0.1 answers with the cookies it got.
        let hops = client.get("/hop/a").send()?;
        let cookies = hops.text()?;
        check(
            "each hop's cookies stay with the origin that set them",
            cookies.contains("a=1") && !cookies.contains("b=2"),
        );
        check(
            "a redirect loop stops at --max-redirects",
            client.get("/loop").name("/loop").send().is_err(),
        );
        Ok(())
    }
}

export_user!(RedirectPaths);
