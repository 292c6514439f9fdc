//! The `wasmload` command; all the work is in the library.

fn main() -> std::process::ExitCode {
    wasmload::error::exit_code(wasmload::main_with_args())
}
