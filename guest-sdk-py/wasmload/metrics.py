"""wasmload's own additions for Python scenarios: run parameters, checks, custom metrics
and groups, recorded by the host with the same histograms as requests."""

from contextlib import contextmanager

from wit_world.imports import metrics as _metrics
from wit_world.imports import runtime as _runtime


def env(key, default=None):
    """A run parameter given with ``--env KEY=VALUE``."""
    value = _runtime.env(key)
    return default if value is None else value


def check(name, passed):
    """Counts the named check as passed or failed; returns ``passed``."""
    _runtime.check(name, bool(passed))
    return passed


def trend(name, value):
    """Records a value of trend ``name`` (k6's ``Trend``)."""
    _metrics.trend(name, float(value))


def counter(name, n=1):
    """Adds ``n`` to counter ``name``."""
    _metrics.counter(name, int(n))


def rate(name, happened):
    """Records whether something happened, for the share of trues of rate ``name``."""
    _metrics.rate(name, bool(happened))


def gauge(name, value):
    """Sets gauge ``name``."""
    _metrics.gauge(name, float(value))


@contextmanager
def group(name):
    """Times the requests inside the ``with`` as one step, reported as a ``GROUP`` row."""
    _metrics.begin_group(name)
    try:
        yield
    finally:
        _metrics.end_group()
