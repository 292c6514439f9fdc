"""The exceptions a Locust script raises or catches, with Locust's names."""


class StopUser(Exception):
    """Raised in a task or ``on_start``: this user stops (its ``on_stop`` runs)."""


class RescheduleTask(Exception):
    """Raised in a task: the task ends at once, not counted as an error."""


class RescheduleTaskImmediately(RescheduleTask):
    """As ``RescheduleTask``; wasmload waits the wait time either way."""


class InterruptTaskSet(Exception):
    """Raised in a task: the task ends at once (wasmload has no nested task sets)."""


class ResponseError(Exception):
    """A response judged a failure."""


class CatchResponseError(ResponseError):
    """Raised inside ``with ... catch_response=True``: the response fails with its message."""


class Unsupported(Exception):
    """A Locust feature this SDK does not offer; the message names it and what to do."""

    def __init__(self, feature: str, hint: str = ""):
        message = f"wasmload does not support {feature}"
        if hint:
            message += f": {hint}"
        super().__init__(message)


class ScenarioError(Exception):
    """A locustfile wasmload cannot run as it is (no user class, a class without tasks)."""
