"""wasmload's Python SDK: Locust's user API, run in wasmload's sandbox.

A locustfile runs with its import line changed from ``from locust import ...`` to
``from wasmload import ...``. Each virtual user is its own sandboxed instance; every
request goes through wasmload's host, which times and records it.
"""

from .exceptions import (
    CatchResponseError,
    InterruptTaskSet,
    RescheduleTask,
    RescheduleTaskImmediately,
    ScenarioError,
    ResponseError,
    StopUser,
    Unsupported,
)
from .shape import LoadTestShape
from .user import HttpUser, User, tag, task
from .wait import between, constant, constant_pacing, constant_throughput
from . import metrics

__all__ = [
    "CatchResponseError",
    "HttpUser",
    "InterruptTaskSet",
    "LoadTestShape",
    "RescheduleTask",
    "RescheduleTaskImmediately",
    "ResponseError",
    "StopUser",
    "Unsupported",
    "User",
    "between",
    "constant",
    "constant_pacing",
    "constant_throughput",
    "metrics",
    "tag",
    "task",
]
