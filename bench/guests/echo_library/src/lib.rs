//! `echo_library`: the benchmark's library component. `length` does next to nothing, so the
//! time a scenario spends calling it is the cost of crossing into a library and back.

#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "library" });
}

/// The library's exports.
struct Echo;

impl bindings::exports::bench::echo::echo::Guest for Echo {
    fn length(text: String) -> u32 {
        u32::try_from(text.len()).unwrap_or(u32::MAX)
    }
}

bindings::export!(Echo with_types_in bindings);
