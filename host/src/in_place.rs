//! Futures made straight in their boxes. `Box::pin(future)` builds the future on the stack
//! and copies it, thousands of bytes for a request's; allocating first lets the compiler
//! write the future where it lives.

use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;

/// The future `make` returns, made in its box.
pub fn boxed_future<F: Future>(make: impl FnOnce() -> F) -> Pin<Box<F>> {
    let mut slot = Box::<F>::new_uninit();
    MaybeUninit::write(&mut *slot, make());
    // SAFETY: the value was written just above.
    Box::into_pin(unsafe { slot.assume_init() })
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll, Waker};

    use super::*;

    #[test]
    fn the_boxed_future_runs_as_made() {
        let large = [7u8; 8192];
        let mut future =
            boxed_future(|| async move { large.iter().map(|&byte| u32::from(byte)).sum::<u32>() });
        let polled = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        assert_eq!(polled, Poll::Ready(7 * 8192));
    }
}
