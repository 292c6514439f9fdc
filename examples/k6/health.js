// The smallest k6-style script: each iteration checks the health endpoint.
import http from 'k6/http';
import { check, sleep } from 'k6';

export default function () {
  const res = http.get('/health');
  check(res, { 'healthy': (r) => r.json('status') === 'ok' });
  sleep(0.1);
}
