# LoadForge's FastAPI guide, "Authenticated JWT workflow", with only its import line changed.
from wasmload import HttpUser, task, between
import random
class FastAPIAuthenticatedUser(HttpUser):
    wait_time = between(1, 2)
    def on_start(self):
        credentials = random.choice([
            {"username": "loadtest1@example.com", "password": "TestPass123!"},
            {"username": "loadtest2@example.com", "password": "TestPass123!"},
            {"username": "loadtest3@example.com", "password": "TestPass123!"},
        ])
        response = self.client.post(
            "/api/v1/auth/login",
            json=credentials,
            name="/api/v1/auth/login"
        )
        if response.status_code == 200:
            token = response.json().get("access_token")
            self.client.headers.update({
                "Authorization": f"Bearer {token}"
            })
    @task(4)
    def get_profile(self):
        self.client.get("/api/v1/users/me", name="/api/v1/users/me")
    @task(3)
    def list_orders(self):
        self.client.get(
            "/api/v1/orders",
            params={"status": "completed", "limit": 10},
            name="/api/v1/orders"
        )
    @task(2)
    def get_notifications(self):
        self.client.get(
            "/api/v1/notifications",
            params={"unread_only": "true"},
            name="/api/v1/notifications"
        )
    @task(1)
    def refresh_token(self):
        self.client.post("/api/v1/auth/refresh", name="/api/v1/auth/refresh")
