# LoadForge's FastAPI guide, "API write operations", with only its import line changed.
from wasmload import HttpUser, task, between
import random
import uuid
class FastAPIWorkflowUser(HttpUser):
    wait_time = between(2, 5)
    def on_start(self):
        response = self.client.post(
            "/api/v1/auth/login",
            json={
                "username": "agent@example.com",
                "password": "SupportPass123!"
            },
            name="/api/v1/auth/login"
        )
        if response.status_code == 200:
            token = response.json()["access_token"]
            self.client.headers.update({
                "Authorization": f"Bearer {token}"
            })
    @task(3)
    def search_customers(self):
        params = {
            "query": "smith",
            "page": 1,
            "page_size": 25,
            "include_inactive": "false"
        }
        self.client.get("/api/v1/customers/search", params=params, name="/api/v1/customers/search")
    @task(2)
    def create_ticket(self):
        payload = {
            "customer_id": random.randint(1000, 1500),
            "subject": f"Payment issue {uuid.uuid4().hex[:8]}",
            "priority": random.choice(["low", "medium", "high"]),
            "category": "billing",
            "message": "Customer reports duplicate charge on latest invoice.",
            "tags": ["billing", "chargeback-review"]
        }
        self.client.post("/api/v1/tickets", json=payload, name="/api/v1/tickets")
    @task(1)
    def update_preferences(self):
        payload = {
            "email_notifications": random.choice([True, False]),
            "sms_notifications": False,
            "theme": random.choice(["light", "dark"]),
            "timezone": "America/New_York"
        }
        self.client.patch("/api/v1/users/me/preferences", json=payload, name="/api/v1/users/me/preferences")
