"""User classes and the ``@task`` decorator, with Locust's names and meaning."""

from .client import HttpSession
from .exceptions import Unsupported


def task(weight=1):
    """Marks a method as a task, picked in proportion to ``weight`` (``@task`` or ``@task(3)``)."""

    def mark(function, weight=weight):
        function.locust_task_weight = int(weight)
        return function

    if callable(weight):
        return mark(weight, 1)
    return mark


def tag(*names):
    """Tags a task (kept for Locust scripts; wasmload runs every task)."""

    def mark(function):
        function.locust_tag_set = set(names)
        return function

    return mark


class _Environment:
    """Stands for Locust's ``self.environment``, which a sandboxed user cannot reach."""

    def __getattr__(self, name):
        raise Unsupported(
            f"Locust's self.environment.{name}",
            "a wasmload user sees only its own client; use --env with wasmload.metrics.env(), "
            "thresholds, or a LoadTestShape instead",
        )


class User:
    """A virtual user (Locust's ``User``): tasks, a wait time and ``on_start``/``on_stop``."""

    abstract = True
    host = None
    wait_time = None
    weight = 1
    fixed_count = 0
    tasks = []
    environment = _Environment()

    def __init__(self, environment=None):
        """Locust passes the environment; a sandboxed user keeps the stand-in that names
        what it cannot reach."""

    def on_start(self):
        """Runs once when the user starts."""

    def on_stop(self):
        """Runs once when the user stops."""

    @classmethod
    def task_list(cls):
        """``[(name, function, weight)]``: the class's ``tasks`` attribute, then its ``@task`` methods."""
        found = []
        declared = cls.tasks
        if isinstance(declared, dict):
            pairs = list(declared.items())
        else:
            pairs = [(item, 1) for item in declared]
        for function, weight in pairs:
            if isinstance(function, type):
                raise Unsupported(
                    f"Locust's TaskSet {function.__name__} in {cls.__name__}.tasks",
                    "write its tasks as methods of the user class",
                )
            found.append((function.__name__, function, int(weight)))
        seen = set()
        for klass in cls.__mro__:
            for name, value in vars(klass).items():
                if name in seen or not callable(value):
                    continue
                seen.add(name)
                weight = getattr(value, "locust_task_weight", None)
                if weight is not None:
                    found.append((name, value, weight))
        return found


class HttpUser(User):
    """A user with an HTTP client, ``self.client`` (Locust's ``HttpUser``)."""

    abstract = True

    def __init__(self, environment=None):
        super().__init__(environment)
        self.client = HttpSession()
