# Two kinds of users in one file, as Locust runs them: three browsers for every buyer.
# Each user keeps its class for its whole life; `weight` sets the mix.
from wasmload import HttpUser, task, between, constant
import random


class Browser(HttpUser):
    weight = 3
    wait_time = between(0.5, 1)

    @task(3)
    def list_products(self):
        self.client.get("/api/v1/products", params={"limit": 20})

    @task(1)
    def product(self):
        self.client.get(f"/api/v1/products/{random.randint(1001, 1010)}",
                        name="/api/v1/products/:id")


class Buyer(HttpUser):
    weight = 1
    wait_time = constant(1)

    def on_start(self):
        response = self.client.post("/api/v1/auth/login",
                                    json={"username": "loadtest1@example.com",
                                          "password": "TestPass123!"})
        self.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    @task
    def orders(self):
        with self.client.get("/api/v1/orders", catch_response=True) as response:
            if response.status_code != 200 or not response.json():
                response.failure("no orders in the answer")
