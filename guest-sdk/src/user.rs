//! The [`User`] trait, its [`UserSpec`], and [`export_user!`](crate::export_user)
//! which turns a `User` into the component's export.

use std::cell::{OnceCell, RefCell};
use std::fmt;

use crate::client::Client;
use crate::error::TaskResult;
use crate::shape::ShapeFn;
use crate::wait::WaitTime;
use crate::wit::wasmload::scenario::types as wit;

/// A virtual user's behaviour, like a Locust `HttpUser` subclass.
///
/// Each virtual user gets its own component instance and, in it, its own
/// value of the type (created with [`Default`]), so fields are per-user state
/// such as a token. [`spec`](User::spec) lists the tasks, their weights and
/// the wait time; export the type with [`export_user!`](crate::export_user).
///
/// # Example
///
/// ```no_run
/// use wasmload_guest::prelude::*;
///
/// #[derive(Default)]
/// struct FastAPIBasicUser;
///
/// impl User for FastAPIBasicUser {
///     fn spec() -> UserSpec<Self> {
///         UserSpec::new("FastAPIBasicUser")
///             .wait(between(1, 3))
///             .task("health_check", 2, Self::health_check)
///     }
/// }
///
/// impl FastAPIBasicUser {
///     fn health_check(&mut self, client: &Client) -> TaskResult {
///         client.get("/health").name("/health").send()?;
///         Ok(())
///     }
/// }
///
/// export_user!(FastAPIBasicUser);
/// ```
pub trait User: Default + 'static {
    /// Describes the user: name, weighted tasks and wait time. Called once
    /// per instance; the result is cached.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Idle;
    /// impl User for Idle {
    ///     fn spec() -> UserSpec<Self> {
    ///         UserSpec::new("Idle").wait(constant(1)).task("nothing", 1, |_, _| Ok(()))
    ///     }
    /// }
    /// assert_eq!(Idle::spec().name(), "Idle");
    /// ```
    fn spec() -> UserSpec<Self>;

    /// Runs once when the user starts, before any task (Locust's
    /// `on_start`), for example to log in. An `Err` is reported by the host.
    /// The default does nothing.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Agent;
    /// impl User for Agent {
    ///     fn spec() -> UserSpec<Self> {
    ///         UserSpec::new("Agent").task("noop", 1, |_, _| Ok(()))
    ///     }
    ///     fn on_start(&mut self, client: &Client) -> TaskResult {
    ///         let resp = client.post("/api/v1/auth/login")
    ///             .json(&serde_json::json!({"username": "agent@example.com", "password": "SupportPass123!"}))
    ///             .name("/api/v1/auth/login")
    ///             .send()?;
    ///         ensure!(resp.status() == 200, "login failed with status {}", resp.status());
    ///         Ok(())
    ///     }
    /// }
    /// ```
    fn on_start(&mut self, client: &Client) -> TaskResult {
        let _ = client;
        Ok(())
    }

    /// Runs once when the user stops (Locust's `on_stop`). The default does
    /// nothing.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use wasmload_guest::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Shopper;
    /// impl User for Shopper {
    ///     fn spec() -> UserSpec<Self> {
    ///         UserSpec::new("Shopper").task("noop", 1, |_, _| Ok(()))
    ///     }
    ///     fn on_stop(&mut self, client: &Client) {
    ///         // Errors cannot be returned here; log them instead.
    ///         if let Err(err) = client.post("/api/v1/auth/logout").send() {
    ///             log_warn(err);
    ///         }
    ///     }
    /// }
    /// ```
    fn on_stop(&mut self, client: &Client) {
        let _ = client;
    }
}

/// The signature of a task: a method of the user taking the client, like a
/// Locust `@task` method.
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
/// use wasmload_guest::TaskFn;
///
/// #[derive(Default)]
/// struct Counter { runs: u32 }
/// impl Counter {
///     fn count(&mut self, _client: &Client) -> TaskResult {
///         self.runs += 1;
///         Ok(())
///     }
/// }
/// let task: TaskFn<Counter> = Counter::count;
/// let mut user = Counter::default();
/// task(&mut user, &Client::new())?;
/// assert_eq!(user.runs, 1);
/// # Ok::<(), Error>(())
/// ```
pub type TaskFn<U> = fn(&mut U, &Client) -> TaskResult;

/// A named, weighted task of a [`UserSpec`].
///
/// # Example
///
/// ```
/// use wasmload_guest::prelude::*;
///
/// let spec = UserSpec::<()>::new("U").task("ping", 3, |_, _| Ok(()));
/// let task = &spec.tasks()[0];
/// assert_eq!((task.name(), task.weight()), ("ping", 3));
/// ```
pub struct Task<U> {
    name: String,
    weight: u32,
    run: TaskFn<U>,
}

impl<U> Task<U> {
    /// The task's name, as reported by the host.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("U").task("get_profile", 4, |_, _| Ok(()));
    /// assert_eq!(spec.tasks()[0].name(), "get_profile");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How often the task is picked relative to the others (Locust's
    /// `@task(weight)`).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("U").task("get_profile", 4, |_, _| Ok(()));
    /// assert_eq!(spec.tasks()[0].weight(), 4);
    /// ```
    pub fn weight(&self) -> u32 {
        self.weight
    }

    /// Runs the task for `user`.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<u32>::new("U").task("bump", 1, |n, _| {
    ///     *n += 1;
    ///     Ok(())
    /// });
    /// let mut state = 41;
    /// spec.tasks()[0].run(&mut state, &Client::new())?;
    /// assert_eq!(state, 42);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn run(&self, user: &mut U, client: &Client) -> TaskResult {
        (self.run)(user, client)
    }
}

impl<U> fmt::Debug for Task<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .finish_non_exhaustive()
    }
}

/// What a [`User`] does: its name, weighted tasks and wait time — the
/// attributes and `@task` decorators of a Locust user class.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use wasmload_guest::prelude::*;
///
/// #[derive(Default)]
/// struct FastAPIAuthenticatedUser;
///
/// impl FastAPIAuthenticatedUser {
///     fn get_profile(&mut self, client: &Client) -> TaskResult {
///         client.get("/api/v1/users/me").name("/api/v1/users/me").send()?;
///         Ok(())
///     }
///     fn refresh_token(&mut self, client: &Client) -> TaskResult {
///         client.post("/api/v1/auth/refresh").name("/api/v1/auth/refresh").send()?;
///         Ok(())
///     }
/// }
///
/// let spec = UserSpec::new("FastAPIAuthenticatedUser")
///     .wait(between(1, 2))
///     .task("get_profile", 4, FastAPIAuthenticatedUser::get_profile)
///     .task("refresh_token", 1, FastAPIAuthenticatedUser::refresh_token);
///
/// assert_eq!(spec.name(), "FastAPIAuthenticatedUser");
/// assert_eq!(spec.wait_time(), WaitTime::Between { min: Duration::from_secs(1), max: Duration::from_secs(2) });
/// let tasks: Vec<_> = spec.tasks().iter().map(|t| (t.name(), t.weight())).collect();
/// assert_eq!(tasks, [("get_profile", 4), ("refresh_token", 1)]);
/// ```
pub struct UserSpec<U> {
    name: String,
    wait: WaitTime,
    tasks: Vec<Task<U>>,
    shape: Option<ShapeFn>,
}

impl<U> UserSpec<U> {
    /// A user named `name` (shown in the report), with no tasks yet and no
    /// wait between tasks.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("APIUser");
    /// assert_eq!(spec.name(), "APIUser");
    /// assert!(spec.tasks().is_empty());
    /// assert_eq!(spec.wait_time(), no_wait());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        UserSpec {
            name: name.into(),
            wait: WaitTime::None,
            tasks: Vec::new(),
            shape: None,
        }
    }

    /// Sets the wait time between tasks (Locust's `wait_time = ...`).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("APIUser").wait(between(1, 3));
    /// assert_eq!(spec.wait_time(), between(1, 3));
    /// ```
    #[must_use]
    pub fn wait(mut self, wait: WaitTime) -> Self {
        self.wait = wait;
        self
    }

    /// Adds a task with a weight (Locust's `@task(weight)`; use 1 for a bare
    /// `@task`). Tasks are picked at random in proportion to their weights,
    /// by the host's seeded RNG.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct APIUser;
    /// impl APIUser {
    ///     fn get_home(&mut self, client: &Client) -> TaskResult {
    ///         client.get("/").send()?;
    ///         Ok(())
    ///     }
    /// }
    /// let spec = UserSpec::new("APIUser").task("get_home", 3, APIUser::get_home);
    /// assert_eq!(spec.tasks().len(), 1);
    /// ```
    #[must_use]
    pub fn task(mut self, name: impl Into<String>, weight: u32, task: TaskFn<U>) -> Self {
        self.tasks.push(Task {
            name: name.into(),
            weight,
            run: task,
        });
        self
    }

    /// Sets the run's load shape from this scenario, like a Locust `LoadTestShape`: the
    /// host asks `shape` about once a second how many users to run, and ends the test when
    /// it answers `None`. It overrides `--users` and `--spawn-rate`.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// const STAGES: [Stage; 2] = [Stage::new(30, 10, 2.0), Stage::new(30, 0, 5.0)];
    /// fn shape(run_time: Duration) -> Option<ShapeStep> {
    ///     stage_at(&STAGES, run_time)
    /// }
    /// let spec = UserSpec::<()>::new("APIUser").shape(shape);
    /// assert!(spec.load_shape().is_some());
    /// ```
    #[must_use]
    pub fn shape(mut self, shape: ShapeFn) -> Self {
        self.shape = Some(shape);
        self
    }

    /// The custom load shape, if [`shape`](Self::shape) set one.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// assert!(UserSpec::<()>::new("APIUser").load_shape().is_none());
    /// ```
    pub fn load_shape(&self) -> Option<ShapeFn> {
        self.shape
    }

    /// The user's name.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// assert_eq!(UserSpec::<()>::new("FastAPIWorkflowUser").name(), "FastAPIWorkflowUser");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The wait time between tasks.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("U").wait(constant_pacing(2));
    /// assert_eq!(spec.wait_time(), constant_pacing(2));
    /// ```
    pub fn wait_time(&self) -> WaitTime {
        self.wait
    }

    /// The tasks, in the order they were added (their indexes are the ones
    /// the host uses).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("U")
    ///     .task("a", 1, |_, _| Ok(()))
    ///     .task("b", 2, |_, _| Ok(()));
    /// assert_eq!(spec.tasks()[1].name(), "b");
    /// ```
    pub fn tasks(&self) -> &[Task<U>] {
        &self.tasks
    }

    fn to_wit(&self) -> wit::UserInfo {
        wit::UserInfo {
            name: self.name.clone(),
            tasks: self
                .tasks
                .iter()
                .map(|task| wit::Task {
                    name: task.name.clone(),
                    weight: task.weight,
                })
                .collect(),
            wait: self.wait.to_wit(),
            custom_shape: self.shape.is_some(),
        }
    }
}

impl<U> fmt::Debug for UserSpec<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSpec")
            .field("name", &self.name)
            .field("wait", &self.wait)
            .field("tasks", &self.tasks)
            .field("shape", &self.shape.is_some())
            .finish()
    }
}

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
        let Some(task) = usize::try_from(index).ok().and_then(|i| spec.tasks.get(i)) else {
            return Err(format!(
                "no task with index {index}: user {:?} has {} task(s)",
                spec.name,
                spec.tasks.len()
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
        let shape = self.spec().shape?;
        shape(std::time::Duration::from_millis(elapsed_ms)).map(crate::shape::ShapeStep::to_wit)
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
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
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
