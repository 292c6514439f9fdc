# The throughput benchmark's user in Python: one request per task, no wait.
from wasmload import HttpUser, task, constant


class OneRequest(HttpUser):
    wait_time = constant(0)

    @task
    def one(self):
        self.client.get("/")
