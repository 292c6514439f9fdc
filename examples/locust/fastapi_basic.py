# LoadForge's FastAPI guide, "basic read traffic", with only its import line changed.
from wasmload import HttpUser, task, between
class FastAPIBasicUser(HttpUser):
    wait_time = between(1, 3)
    @task(2)
    def health_check(self):
        self.client.get("/health", name="/health")
    @task(3)
    def list_products(self):
        params = {
            "category": "laptops",
            "limit": 20,
            "sort": "price_asc"
        }
        self.client.get("/api/v1/products", params=params, name="/api/v1/products")
    @task(1)
    def get_product_detail(self):
        product_id = 1001
        self.client.get(f"/api/v1/products/{product_id}", name="/api/v1/products/:id")
