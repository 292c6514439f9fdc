"""The bridge between a locustfile and wasmload's contract (``wasmload:scenario/user``).

The build wraps the script in a module whose ``User`` export this file makes. Each
virtual user is its own instance of the component, so the module's state is the user's.
"""

import random
import sys
import time
import traceback

from componentize_py_types import Err
from wit_world.imports import runtime, types

from .exceptions import InterruptTaskSet, RescheduleTask, ScenarioError, StopUser, Unsupported
from .shape import LoadTestShape
from .user import User
from .wait import WaitTime

_WAIT_UNITS = {
    "between": lambda a: types.WaitTime_Between((int(a[0] * 1000), int(a[1] * 1000))),
    "constant": lambda a: types.WaitTime_Constant(int(a[0] * 1000)),
    "constant_pacing": lambda a: types.WaitTime_ConstantPacing(int(a[0] * 1000)),
    "constant_throughput": lambda a: types.WaitTime_ConstantThroughput(a[0]),
}


def _own(cls, base):
    """Whether ``cls`` is a concrete subclass of ``base`` (Locust's ``abstract`` rule)."""
    return isinstance(cls, type) and issubclass(cls, base) and not cls.__dict__.get("abstract", False)


class Scenario:
    """What the script declares: its user classes (a weighted mix) and its load shape."""

    def __init__(self, module):
        found = list(vars(module).values())
        self.classes = [cls for cls in found if _own(cls, User)]
        if not self.classes:
            raise ScenarioError("the script defines no user class: define a subclass of HttpUser")
        for cls in self.classes:
            if cls.fixed_count:
                raise Unsupported(f"Locust's fixed_count (on {cls.__name__})",
                                  "give the classes weights; users take them in turn")
            if not cls.task_list():
                raise ScenarioError(f"{cls.__name__} has no tasks: mark its methods with @task")
        shapes = [cls for cls in found if _own(cls, LoadTestShape)]
        self.shape = shapes[0]() if shapes else None
        waits = {cls.wait_time for cls in self.classes}
        # The host waits between tasks when it can: then a stop cuts the wait short.
        self.host_wait = next(iter(waits)) if len(waits) == 1 else None
        if self.host_wait is not None and not isinstance(self.host_wait, WaitTime):
            self.host_wait = None

    def info(self):
        single = len(self.classes) == 1
        if single:
            cls = self.classes[0]
            tasks = [types.Task(name, weight) for name, _, weight in cls.task_list()]
        else:
            tasks = [types.Task(cls.__name__, max(1, int(cls.weight))) for cls in self.classes]
        hosts = [cls.host for cls in self.classes if cls.host]
        wait = self.host_wait
        return types.UserInfo(
            name="+".join(cls.__name__ for cls in self.classes),
            tasks=tasks,
            wait=_WAIT_UNITS[wait.kind](wait.args) if wait is not None else types.WaitTime_None_(),
            custom_shape=self.shape is not None,
            host=hosts[0] if hosts else None,
            order=types.TaskOrder.WEIGHTED,
            data=[],
            hooks=types.Hooks(0),
        )

    def class_for(self, vu_id):
        """The user class of user ``vu_id``: classes in turn by weight, as Locust spreads them."""
        turns = [cls for cls in self.classes for _ in range(max(1, int(cls.weight)))]
        return turns[vu_id % len(turns)]


class _Life:
    """One user's state: its class instance, its task list and whether it stopped."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.cls = scenario.class_for(runtime.vu_id())
        self.tasks = self.cls.task_list()
        self.weights = [weight for _, _, weight in self.tasks]
        self.user = self.cls(User.environment)
        self.stopped = False
        self.own_wait = scenario.host_wait is None and self.cls.wait_time is not None

    def task_at(self, index):
        if len(self.scenario.classes) == 1:
            return self.tasks[index]
        return random.choices(self.tasks, weights=self.weights)[0]

    def wait(self):
        """Waits after a task when the host cannot (mixed wait times, or a custom function)."""
        if self.own_wait:
            seconds = self.cls.wait_time(self.user) if not isinstance(self.cls.wait_time, WaitTime) \
                else self.cls.wait_time()
            runtime.sleep(int(max(0.0, seconds) * 1000))


def _sleep(seconds):
    """``time.sleep`` for a user: suspends this user only, through the host."""
    runtime.sleep(int(max(0.0, seconds) * 1000))


def _failure(where, error):
    """Logs the traceback and returns the one line the host records."""
    runtime.log(types.LogLevel.ERROR, f"{where}:\n{traceback.format_exc()}")
    return f"{type(error).__name__}: {error}"


def make_export(module):
    """The ``User`` export class for a locustfile module."""
    scenario = Scenario(module)
    state = {}

    class Export:
        def describe(self):
            return scenario.info()

        def on_start(self):
            random.seed(runtime.random())
            time.sleep = _sleep
            life = state["life"] = _Life(scenario)
            try:
                life.user.on_start()
            except StopUser:
                life.stopped = True
            except Exception as error:
                raise Err(_failure("on_start", error))

        def run_task(self, index):
            life = state["life"]
            if life.stopped:
                runtime.sleep(1000)
                return
            name, function, _ = life.task_at(index)
            try:
                function(life.user)
            except StopUser:
                life.stopped = True
                life.user.on_stop()
            except (RescheduleTask, InterruptTaskSet):
                pass
            except Exception as error:
                life.wait()
                raise Err(_failure(name, error) if len(scenario.classes) == 1
                          else f"{name}: {_failure(name, error)}")
            life.wait()

        def on_stop(self):
            life = state.get("life")
            if life is None or life.stopped:
                return
            try:
                life.user.on_stop()
            except Exception as error:
                runtime.log(types.LogLevel.ERROR, _failure("on_stop", error))

        def shape(self, elapsed_ms):
            shape = scenario.shape
            shape._elapsed_s = elapsed_ms / 1000.0
            step = shape.tick()
            if step is None:
                return None
            return types.ShapeStep(int(step[0]), float(step[1]))

        def setup(self):
            raise Err("this scenario has no setup")

        def teardown(self, setup_data):
            return None

    sys.modules[__name__].scenario = scenario
    return Export
