//! The `wasmload` command; all the work is in the library.

/// mimalloc: the hot path allocates per request, and glibc's allocator costs measurably more.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    wasmload::error::exit_code(wasmload::main_with_args())
}
