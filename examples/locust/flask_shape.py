# The Flask tutorial's custom load shape, with only its import line changed.
from wasmload import HttpUser, task, between, LoadTestShape
class CustomLoadShape(LoadTestShape):
    """
    A load test shape that ramps up and down in waves.
    """
    stages = [
        {"duration": 30, "users": 10, "spawn_rate": 2}, # Start with 10 users
        {"duration": 60, "users": 50, "spawn_rate": 5}, # Ramp up to 50 users
        {"duration": 30, "users": 20, "spawn_rate": 2}, # Drop to 20 users
        {"duration": 40, "users": 80, "spawn_rate": 10}, # Spike to 80 users
        {"duration": 20, "users": 30, "spawn_rate": 3}, # Drop to 30 users
        {"duration": 30, "users": 0, "spawn_rate": 5}, # Gradual shutdown
    ]
    def tick(self):
        """Determines how many users should be active at a given time."""
        run_time = self.get_run_time()
        for stage in self.stages:
            if run_time < stage["duration"]:
                return stage["users"], stage["spawn_rate"]
            run_time -= stage["duration"]
        return None # Stop the test once all stages complete
class APIUser(HttpUser):
    wait_time = between(1, 3)
    @task
    def get_home(self):
        self.client.get("/")
