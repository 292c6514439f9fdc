//! A plain WASI command: a component of a different world (`wasi:cli/command`)
//! than `wasmload:scenario/scenario`. The end-to-end tests use it to check that
//! the host rejects components that do not export the scenario's `user`
//! interface.

fn main() {
    println!("hello");
}
