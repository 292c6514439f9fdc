# The Flask tutorial's first locustfile, with only its import line changed.
from wasmload import HttpUser, task, between
class APIUser(HttpUser):
    wait_time = between(1, 3) # Simulates a wait time between requests
    @task
    def get_home(self):
        self.client.get("/")
