# The memory benchmark's user in Python: one task (with CONNECT=1, one request first), then a
# ten-minute wait, so many of them measure what an idle (or connected) user costs.
from wasmload import HttpUser, task, constant
from wasmload.metrics import env


class IdleUser(HttpUser):
    wait_time = constant(600)

    @task
    def idle(self):
        if env("CONNECT") == "1":
            self.client.get("/")
