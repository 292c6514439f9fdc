//! The host's network work for a guest, polled on one stack per thread instead of on the
//! waiting user's own fiber stack. The fiber runs the guest; were the broker's futures polled
//! there too, every user would keep tens of KiB of its own stack hot, and with a hundred
//! users the requests of one thread would touch megabytes of stacks. On a stack shared by
//! all the thread's users they touch the same few pages.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use corosensei::stack::DefaultStack;

use crate::in_place::boxed_future;

/// How deep the host's work may go on the shared stack: as deep as a worker thread's own.
const SHARED_STACK_BYTES: usize = 2 << 20;

thread_local! {
    /// This thread's shared stack, mapped on first use; `None` if it could not be.
    static SHARED_STACK: RefCell<Option<DefaultStack>> =
        RefCell::new(DefaultStack::new(SHARED_STACK_BYTES).ok());
}

/// A boxed future whose every poll runs on its thread's shared stack.
pub struct OnSharedStack<F>(Pin<Box<F>>);

impl<F: Future> OnSharedStack<F> {
    /// Wraps the future `make` returns, made in its box so that the host call's own future
    /// stays small to move.
    pub fn new(make: impl FnOnce() -> F) -> Self {
        Self(boxed_future(make))
    }
}

impl<F: Future> Future for OnSharedStack<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.0.as_mut();
        SHARED_STACK.with(|cell| {
            // A poll nested in another (never expected) runs where it is.
            let Ok(mut stack) = cell.try_borrow_mut() else {
                return inner.poll(cx);
            };
            match stack.as_mut() {
                // Panics inside are carried back to this stack and resumed here.
                Some(stack) => corosensei::on_stack(stack, || inner.poll(cx)),
                None => inner.poll(cx),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::task::Waker;

    use corosensei::Coroutine;

    use super::*;

    /// The address of a local of the frame that polls: where the work ran.
    fn frame_address() -> usize {
        let local = 0u8;
        std::hint::black_box(&local) as *const u8 as usize
    }

    /// A user's fiber: it polls a future that notes where it ran, on the shared stack or
    /// on its own, and returns that address.
    fn fiber(shared: bool) -> Coroutine<(), (), usize> {
        Coroutine::new(move |_, ()| {
            let mut noted = 0;
            let note = poll_fn(|_| {
                noted = frame_address();
                Poll::Ready(())
            });
            let mut cx = Context::from_waker(Waker::noop());
            if shared {
                let mut future = OnSharedStack::new(|| note);
                assert!(Pin::new(&mut future).poll(&mut cx).is_ready());
            } else {
                assert!(std::pin::pin!(note).poll(&mut cx).is_ready());
            }
            noted
        })
    }

    /// Where each of two live fibers ran its future.
    fn where_polled(shared: bool) -> (usize, usize) {
        let (mut first, mut second) = (fiber(shared), fiber(shared));
        let run = |fiber: &mut Coroutine<(), (), usize>| {
            fiber.resume(()).as_return().expect("the fiber returns")
        };
        (run(&mut first), run(&mut second))
    }

    #[test]
    fn every_fiber_polls_on_the_same_stack() {
        let (first, second) = where_polled(true);
        assert!(first.abs_diff(second) < 4096, "{first:#x} vs {second:#x}");
        let (own, other) = where_polled(false);
        assert!(
            own.abs_diff(other) >= 4096,
            "each fiber has a stack of its own"
        );
        assert!(
            own.abs_diff(first) >= 4096,
            "the shared stack is not a fiber's"
        );
    }

    #[test]
    fn a_panic_inside_reaches_the_poller() {
        let mut future = OnSharedStack::new(|| poll_fn(|_| -> Poll<()> { panic!("inside") }));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = Pin::new(&mut future).poll(&mut Context::from_waker(Waker::noop()));
        }));
        let message = caught.expect_err("the panic comes back");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"inside"));
    }

    #[test]
    fn a_nested_poll_runs_in_place() {
        let inner = OnSharedStack::new(|| async { 7 });
        let mut outer = OnSharedStack::new(|| async { inner.await * 6 });
        let polled = Pin::new(&mut outer).poll(&mut Context::from_waker(Waker::noop()));
        assert_eq!(polled, Poll::Ready(42));
    }
}
