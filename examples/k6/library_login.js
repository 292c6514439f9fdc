// A k6-style user that logs in through a scenario library written in Rust: `auth.wasm`
// (scripts/demo_auth), imported by its interface's name. Run it with the library:
//   wasmload run examples/k6/library_login.js --lib auth.wasm --host ...
import http from 'k6/http';
import { check, sleep } from 'k6';
import login from 'demo:auth/login@0.1.0';

let loggedIn = false;

export default function () {
  if (!loggedIn) {
    // Sets this user's bearer token for every later request, or throws the reason.
    login.login('loadtest3@example.com', 'TestPass123!');
    loggedIn = true;
  }
  const res = http.get('/api/v1/users/me');
  check(res, { 'signed in': (r) => r.status === 200 });
  sleep(0.2);
}
