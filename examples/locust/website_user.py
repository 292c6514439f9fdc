# The locustfile of "Using Locust" in the FastAPI load-testing guide, with its import line
# changed from `from locust import ...` to `from wasmload import ...`.
from wasmload import HttpUser, task, between
class WebsiteUser(HttpUser):
    wait_time = between(1, 5) # Wait 1-5 seconds between tasks
    @task
    def view_items(self):
        self.client.get("/items/")
    @task
    def create_item(self):
        self.client.post("/items/", json={"name": "test", "price": 10})
