# LoadForge's FastAPI guide, "File upload and report generation", with only its import line
# changed. `time.sleep` suspends only this user.
from wasmload import HttpUser, task, between
import io
import csv
import random
import time
class FastAPIFileProcessingUser(HttpUser):
    wait_time = between(3, 6)
    def on_start(self):
        response = self.client.post(
            "/api/v1/auth/login",
            json={
                "username": "ops@example.com",
                "password": "OpsPass123!"
            },
            name="/api/v1/auth/login"
        )
        if response.status_code == 200:
            token = response.json()["access_token"]
            self.client.headers.update({
                "Authorization": f"Bearer {token}"
            })
    def generate_csv_file(self):
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(["email", "first_name", "last_name", "plan"])
        for i in range(100):
            writer.writerow([
                f"user{i}@example.com",
                f"User{i}",
                "LoadTest",
                random.choice(["free", "pro", "enterprise"])
            ])
        return output.getvalue().encode("utf-8")
    @task(2)
    def upload_customer_import(self):
        csv_content = self.generate_csv_file()
        files = {
            "file": ("customers.csv", csv_content, "text/csv")
        }
        data = {
            "source": "dashboard",
            "send_welcome_email": "false"
        }
        self.client.post(
            "/api/v1/imports/customers",
            files=files,
            data=data,
            name="/api/v1/imports/customers"
        )
    @task(1)
    def generate_sales_report(self):
        payload = {
            "start_date": "2025-01-01",
            "end_date": "2025-01-31",
            "group_by": "region",
            "format": "csv"
        }
        response = self.client.post(
            "/api/v1/reports/sales",
            json=payload,
            name="/api/v1/reports/sales"
        )
        if response.status_code == 202:
            report_id = response.json().get("report_id")
            for _ in range(5):
                status_response = self.client.get(
                    f"/api/v1/reports/{report_id}/status",
                    name="/api/v1/reports/:id/status"
                )
                if status_response.status_code == 200:
                    status = status_response.json().get("status")
                    if status == "completed":
                        self.client.get(
                            f"/api/v1/reports/{report_id}/download",
                            name="/api/v1/reports/:id/download"
                        )
                        break
                time.sleep(1)
