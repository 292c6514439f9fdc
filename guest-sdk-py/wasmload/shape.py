"""``LoadTestShape``: a custom load shape, asked by the host once a second."""

from .exceptions import Unsupported


class LoadTestShape:
    """Subclass it and define ``tick()`` returning ``(users, spawn_rate)`` or ``None``.

    ``self.get_run_time()`` is the seconds since the run began, as in Locust.
    """

    abstract = True

    def __init__(self):
        self._elapsed_s = 0.0

    def get_run_time(self) -> float:
        """Seconds since the run began."""
        return getattr(self, "_elapsed_s", 0.0)

    def reset_time(self) -> None:
        """Locust restarts the shape's clock; wasmload's shape clock is the run's."""
        raise Unsupported("Locust's LoadTestShape.reset_time()", "the shape's clock is the run's")

    @property
    def runner(self):
        raise Unsupported("Locust's LoadTestShape.runner", "a shape sees only get_run_time()")

    def tick(self):
        """``(users, spawn_rate)`` now, or ``None`` to end the test."""
        raise NotImplementedError
