//! The glue between a [`User`] and the component's exports: the per-instance runner and
//! the [`export_user!`](crate::export_user) macro.

use std::cell::{OnceCell, RefCell};

use crate::client::Client;
use crate::user::{User, UserSpec};
use crate::wit::wasmload::scenario::types as wit;

/// The per-instance state behind [`export_user!`](crate::export_user): the
/// cached spec and the user value. Not part of the API.
#[doc(hidden)]
pub struct Runner<U: User> {
    spec: OnceCell<UserSpec<U>>,
    user: RefCell<Option<U>>,
}

impl<U: User> Runner<U> {
    /// An empty runner; the user is created on first use.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Runner {
            spec: OnceCell::new(),
            user: RefCell::new(None),
        }
    }

    fn spec(&self) -> &UserSpec<U> {
        self.spec.get_or_init(U::spec)
    }

    /// The WIT `describe`.
    pub fn describe(&self) -> wit::UserInfo {
        self.spec().to_wit()
    }

    /// The WIT `on-start`.
    pub fn on_start(&self) -> Result<(), String> {
        let mut slot = self.user.borrow_mut();
        let user = slot.get_or_insert_with(U::default);
        user.on_start(&Client::new()).map_err(|err| err.to_string())
    }

    /// The WIT `run-task`.
    pub fn run_task(&self, index: u32) -> Result<(), String> {
        let spec = self.spec();
        let Some(task) = usize::try_from(index)
            .ok()
            .and_then(|i| spec.tasks().get(i))
        else {
            return Err(format!(
                "no task with index {index}: user {:?} has {} task(s)",
                spec.name(),
                spec.tasks().len()
            ));
        };
        let mut slot = self.user.borrow_mut();
        let user = slot.get_or_insert_with(U::default);
        task.run(user, &Client::new())
            .map_err(|err| err.to_string())
    }

    /// The WIT `shape`: the custom load shape's step at `elapsed_ms`, or `None` (also when
    /// the scenario has no shape, which the host never asks).
    pub fn shape(&self, elapsed_ms: u64) -> Option<wit::ShapeStep> {
        let shape = self.spec().load_shape()?;
        shape(std::time::Duration::from_millis(elapsed_ms)).map(crate::shape::ShapeStep::to_wit)
    }

    /// The WIT `setup`: the scenario's setup, or nothing without one.
    pub fn setup(&self) -> Result<Vec<u8>, String> {
        match self.spec().hooks().0 {
            Some(setup) => setup(&Client::new()).map_err(|err| err.to_string()),
            None => Ok(Vec::new()),
        }
    }

    /// The WIT `teardown`: the scenario's teardown, if it has one.
    pub fn teardown(&self, setup_data: Option<Vec<u8>>) {
        if let Some(teardown) = self.spec().hooks().1 {
            teardown(&Client::new(), setup_data.as_deref());
        }
    }

    /// The WIT `on-stop`: runs `on_stop` and drops the user, so that a later
    /// `on-start` would begin with a fresh one.
    pub fn on_stop(&self) {
        let user = self.user.borrow_mut().take();
        if let Some(mut user) = user {
            user.on_stop(&Client::new());
        }
    }
}

/// Exports a [`User`] type as this component's `wasmload:scenario/user`
/// interface. Use it once, at the top level of the scenario crate (a
/// `cdylib` built for `wasm32-wasip2`).
///
/// It expands to a hidden type implementing the generated WIT `Guest` trait
/// (`describe`, `on-start`, `run-task`, `on-stop`) that keeps one value of
/// the user type per component instance, created with `Default` on first
/// use, plus the wit-bindgen export glue. The glue only exists when
/// compiling for `wasm32` (the export names are not valid native symbols), so
/// a scenario crate still builds, and its helpers can be unit-tested, on the
/// native target.
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// #[derive(Default)]
/// struct APIUser;
///
/// impl User for APIUser {
///     fn spec() -> UserSpec<Self> {
///         UserSpec::new("APIUser").wait(between(1, 3)).task("get_home", 1, Self::get_home)
///     }
/// }
///
/// impl APIUser {
///     fn get_home(&mut self, client: &Client) -> TaskResult {
///         client.get("/").send()?;
///         Ok(())
///     }
/// }
///
/// export_user!(APIUser);
/// ```
#[macro_export]
macro_rules! export_user {
    ($user:ty $(,)?) => {
        const _: () = {
            #[allow(dead_code)]
            struct __WasmloadGuest;

            ::std::thread_local! {
                static __WASMLOAD_RUNNER: $crate::__private::Runner<$user> =
                    const { $crate::__private::Runner::new() };
            }

            impl $crate::__private::Guest for __WasmloadGuest {
                fn describe() -> $crate::__private::UserInfo {
                    __WASMLOAD_RUNNER.with(|runner| runner.describe())
                }

                fn on_start() -> ::core::result::Result<(), ::std::string::String> {
                    __WASMLOAD_RUNNER.with(|runner| runner.on_start())
                }

                fn run_task(index: u32) -> ::core::result::Result<(), ::std::string::String> {
                    __WASMLOAD_RUNNER.with(|runner| runner.run_task(index))
                }

                fn on_stop() {
                    __WASMLOAD_RUNNER.with(|runner| runner.on_stop())
                }

                fn shape(elapsed_ms: u64) -> ::core::option::Option<$crate::__private::ShapeStep> {
                    __WASMLOAD_RUNNER.with(|runner| runner.shape(elapsed_ms))
                }

                fn setup() -> ::core::result::Result<::std::vec::Vec<u8>, ::std::string::String> {
                    __WASMLOAD_RUNNER.with(|runner| runner.setup())
                }

                fn teardown(setup_data: ::core::option::Option<::std::vec::Vec<u8>>) {
                    __WASMLOAD_RUNNER.with(|runner| runner.teardown(setup_data))
                }
            }

            // The component's exports. Their symbol names are not valid for
            // native linkers, so they only exist on wasm32.
            #[cfg(target_arch = "wasm32")]
            const _: () = {
                $crate::wit::__export_scenario! { __WasmloadGuest with_types_in $crate::wit }
            };

            // Keeps the user type and its tasks "used" on the native target,
            // where the exports above do not exist.
            #[allow(dead_code)]
            fn __wasmload_keep_alive() {
                let _ = <__WasmloadGuest as $crate::__private::Guest>::describe;
                let _ = <__WasmloadGuest as $crate::__private::Guest>::on_start;
                let _ = <__WasmloadGuest as $crate::__private::Guest>::run_task;
                let _ = <__WasmloadGuest as $crate::__private::Guest>::on_stop;
                let _ = <__WasmloadGuest as $crate::__private::Guest>::shape;
                let _ = <__WasmloadGuest as $crate::__private::Guest>::setup;
                let _ = <__WasmloadGuest as $crate::__private::Guest>::teardown;
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, TaskResult};
    use crate::wait::between;

    #[derive(Default)]
    struct Probe {
        started: bool,
        runs: u32,
    }

    impl User for Probe {
        fn spec() -> UserSpec<Self> {
            UserSpec::new("Probe")
                .wait(between(1, 2))
                .task("count", 3, Self::count)
                .task("refuse", 1, |_, _| Err(Error::msg("task said no")))
        }

        fn on_start(&mut self, _client: &Client) -> TaskResult {
            self.started = true;
            Ok(())
        }
    }

    impl Probe {
        fn count(&mut self, _client: &Client) -> TaskResult {
            if !self.started {
                return Err(Error::msg("on_start did not run"));
            }
            self.runs += 1;
            Ok(())
        }
    }

    #[test]
    fn runner_describes_and_dispatches() {
        let runner = Runner::<Probe>::new();
        let info = runner.describe();
        assert_eq!(info.name, "Probe");
        let tasks: Vec<_> = info
            .tasks
            .iter()
            .map(|t| (t.name.as_str(), t.weight))
            .collect();
        assert_eq!(tasks, [("count", 3), ("refuse", 1)]);
        assert!(matches!(info.wait, wit::WaitTime::Between((1000, 2000))));

        assert_eq!(runner.run_task(0), Err("on_start did not run".to_string()));
        assert_eq!(runner.on_start(), Ok(()));
        assert_eq!(runner.run_task(0), Ok(()));
        assert_eq!(runner.run_task(0), Ok(()));
        assert_eq!(runner.user.borrow().as_ref().map(|u| u.runs), Some(2));
        assert_eq!(runner.run_task(1), Err("task said no".to_string()));
        assert_eq!(
            runner.run_task(2),
            Err("no task with index 2: user \"Probe\" has 2 task(s)".to_string())
        );
        runner.on_stop();
        assert!(runner.user.borrow().is_none());
    }
}
