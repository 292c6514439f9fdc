//! The [`User`] trait and its [`UserSpec`]: what a user does, as a Locust user class says.

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

/// A test-wide setup (k6's `setup()`, Locust's `test_start`): it runs once before any user
/// starts, and what it returns every user reads with [`data::setup_data`](crate::data::setup_data)
/// or [`data::setup_json`](crate::data::setup_json).
pub type SetupFn = fn(&Client) -> Result<Vec<u8>, crate::Error>;

/// A test-wide teardown (k6's `teardown()`, Locust's `test_stop`): it runs once when the run
/// ends, also after Ctrl-C, with what the setup returned.
pub type TeardownFn = fn(&Client, Option<&[u8]>);

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
    steps: Vec<TaskFn<U>>,
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

    /// How many steps the task runs: 1, or a [sequence](UserSpec::sequence)'s.
    pub fn steps(&self) -> usize {
        self.steps.len()
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
        for (index, step) in self.steps.iter().enumerate() {
            if index > 0 {
                crate::runtime::wait_between_steps();
            }
            step(user, client)?;
        }
        Ok(())
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
    host: Option<String>,
    data: Vec<String>,
    sequential: bool,
    setup: Option<SetupFn>,
    teardown: Option<TeardownFn>,
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
            host: None,
            data: Vec::new(),
            sequential: false,
            setup: None,
            teardown: None,
        }
    }

    /// Sets the test-wide setup: it runs once, in an instance of its own, before any user
    /// starts; its requests are recorded under names starting with `setup: `. If it fails,
    /// the run stops before it begins.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// fn fetch_token(client: &Client) -> Result<Vec<u8>, Error> {
    ///     let response = client.post("/api/v1/auth/login").send()?;
    ///     Ok(response.bytes().to_vec())
    /// }
    /// let spec = UserSpec::<()>::new("Reader").setup(fetch_token);
    /// assert!(spec.has_setup());
    /// ```
    #[must_use]
    pub fn setup(mut self, setup: SetupFn) -> Self {
        self.setup = Some(setup);
        self
    }

    /// Sets the test-wide teardown: it runs once when the run ends (also after Ctrl-C), in
    /// an instance of its own, with what the setup returned; its requests are recorded under
    /// names starting with `teardown: `.
    #[must_use]
    pub fn teardown(mut self, teardown: TeardownFn) -> Self {
        self.teardown = Some(teardown);
        self
    }

    /// Whether a [`setup`](Self::setup) is set.
    pub fn has_setup(&self) -> bool {
        self.setup.is_some()
    }

    /// The setup and teardown, if set.
    pub(crate) fn hooks(&self) -> (Option<SetupFn>, Option<TeardownFn>) {
        (self.setup, self.teardown)
    }

    /// Sets the host requests go to when the run names none (Locust's `host = ...` on a
    /// user class): `--host` and a plan's `host` override it.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("APIUser").host("http://127.0.0.1:8000");
    /// assert_eq!(spec.default_host(), Some("http://127.0.0.1:8000"));
    /// ```
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The host set with [`host`](Self::host), if any.
    pub fn default_host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// Declares a data set the user reads with [`data`](crate::data) (given to the run
    /// as `--data NAME=FILE`), so that a run without it is refused before it starts and
    /// `wasmload inspect` lists it.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("Shopper").data("users").data("products");
    /// assert_eq!(spec.data_sets(), ["users", "products"]);
    /// ```
    #[must_use]
    pub fn data(mut self, name: impl Into<String>) -> Self {
        self.data.push(name.into());
        self
    }

    /// The data sets declared with [`data`](Self::data).
    pub fn data_sets(&self) -> &[String] {
        &self.data
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
            steps: vec![task],
        });
        self
    }

    /// Adds a task that runs `steps` in order, waiting the user's wait time between them
    /// (a Locust `SequentialTaskSet` nested in a weighted user), picked by `weight` like any
    /// task. A step that fails ends the sequence.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Shopper;
    /// impl Shopper {
    ///     fn browse(&mut self, _: &Client) -> TaskResult { Ok(()) }
    ///     fn view_cart(&mut self, _: &Client) -> TaskResult { Ok(()) }
    ///     fn check_out(&mut self, _: &Client) -> TaskResult { Ok(()) }
    /// }
    /// let spec = UserSpec::new("Shopper")
    ///     .task("browse", 5, Shopper::browse)
    ///     .sequence("checkout", 1, &[Shopper::view_cart, Shopper::check_out]);
    /// assert_eq!(spec.tasks()[1].steps(), 2);
    /// ```
    #[must_use]
    pub fn sequence(mut self, name: impl Into<String>, weight: u32, steps: &[TaskFn<U>]) -> Self {
        self.tasks.push(Task {
            name: name.into(),
            weight,
            steps: steps.to_vec(),
        });
        self
    }

    /// Runs the user's tasks in the order they were added, each in turn, then again from
    /// the first (Locust's `SequentialTaskSet` as the whole user); weights are ignored.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::prelude::*;
    ///
    /// let spec = UserSpec::<()>::new("Journey")
    ///     .sequential()
    ///     .task("log_in", 1, |_, _| Ok(()))
    ///     .task("buy", 1, |_, _| Ok(()));
    /// assert!(spec.is_sequential());
    /// ```
    #[must_use]
    pub fn sequential(mut self) -> Self {
        self.sequential = true;
        self
    }

    /// Whether [`sequential`](Self::sequential) was set.
    pub fn is_sequential(&self) -> bool {
        self.sequential
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

    pub(crate) fn to_wit(&self) -> wit::UserInfo {
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
            host: self.host.clone(),
            order: if self.sequential {
                wit::TaskOrder::Sequential
            } else {
                wit::TaskOrder::Weighted
            },
            data: self.data.clone(),
            hooks: {
                let mut hooks = wit::Hooks::empty();
                if self.setup.is_some() {
                    hooks = hooks | wit::Hooks::SETUP;
                }
                if self.teardown.is_some() {
                    hooks = hooks | wit::Hooks::TEARDOWN;
                }
                hooks
            },
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
            .field("host", &self.host)
            .field("data", &self.data)
            .field("sequential", &self.sequential)
            .field("setup", &self.setup.is_some())
            .field("teardown", &self.teardown.is_some())
            .finish()
    }
}
