# The Flask tutorial's locustfile with weighted endpoints, with only its import line changed.
from wasmload import HttpUser, task, between
class APIUser(HttpUser):
    wait_time = between(1, 3) # Simulates a wait time between requests
    @task(3) # The home endpoint is accessed more frequently
    def get_home(self):
        self.client.get("/")
    @task(2) # The users endpoint is accessed less frequently
    def get_users(self):
        self.client.get("/users")
    @task(1) # The status endpoint is accessed the least
    def get_status(self):
        self.client.get("/status")
