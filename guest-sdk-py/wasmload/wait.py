"""Wait times, as Locust's: functions a user class assigns to ``wait_time``.

Each returns a callable (so ``self.wait_time()`` works as in Locust) that also tells
wasmload's host how to wait, so the host paces the user and cuts waits short at a stop.
"""

import random as _random


class WaitTime:
    """A wait time the host understands: its kind and parameters in seconds."""

    def __init__(self, kind: str, *args: float):
        self.kind = kind
        self.args = args

    def __call__(self, *_user) -> float:
        """The seconds to wait after a task (Locust's meaning, for scripts that call it)."""
        if self.kind == "between":
            return _random.uniform(self.args[0], self.args[1])
        if self.kind == "constant":
            return self.args[0]
        return 0.0

    def __eq__(self, other) -> bool:
        return isinstance(other, WaitTime) and (self.kind, self.args) == (other.kind, other.args)

    def __hash__(self) -> int:
        return hash((self.kind, self.args))


def between(min_wait: float, max_wait: float) -> WaitTime:
    """Waits a random time in ``[min_wait, max_wait]`` seconds after each task."""
    return WaitTime("between", float(min_wait), float(max_wait))


def constant(wait_time: float) -> WaitTime:
    """Waits ``wait_time`` seconds after each task."""
    return WaitTime("constant", float(wait_time))


def constant_pacing(wait_time: float) -> WaitTime:
    """Each task takes at least ``wait_time`` seconds, its own time included."""
    return WaitTime("constant_pacing", float(wait_time))


def constant_throughput(task_runs_per_second: float) -> WaitTime:
    """At most ``task_runs_per_second`` tasks a second for this user."""
    return WaitTime("constant_throughput", float(task_runs_per_second))
