# A Python user that logs in through a scenario library written in Rust: `auth.wasm`
# (scripts/demo_auth). Run it with the library, whose interfaces the script may import:
#   wasmload run examples/locust/library_login.py --lib auth.wasm --host ...
from wasmload import HttpUser, task, between
from wit_world.imports import login


class LibraryUser(HttpUser):
    wait_time = between(0.1, 0.3)

    def on_start(self):
        # `demo:auth/login`: sets this user's bearer token, or raises with the reason.
        login.login("loadtest2@example.com", "TestPass123!")

    @task
    def profile(self):
        self.client.get("/api/v1/users/me")
