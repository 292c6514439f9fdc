# The Flask tutorial's locustfile with conditional checks, with only its import line changed.
from wasmload import HttpUser, task, between
class APIUser(HttpUser):
    wait_time = between(1, 3) # Simulates a wait time between requests
    @task(3)
    def get_home(self):
        with self.client.get("/") as response:
            if response.status_code != 200:
                response.failure(f"Got {response.status_code} instead of 200")
    @task(2)
    def get_users(self):
        with self.client.get("/users") as response:
            if response.status_code != 200 or "users" not in response.json():
                response.failure("Invalid response")
    @task(1) # The status endpoint is accessed the least
    def get_status(self):
        with self.client.get("/status") as response:
            if response.status_code != 200 or "status" not in response.json():
                response.failure("Invalid response")
