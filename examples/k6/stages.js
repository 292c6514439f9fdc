// The "Stages" example of k6's documentation (ramping VUs up and down), unchanged but for
// its target: a path, which goes to --host, where the docs name a public test site.
import http from 'k6/http';
import { check, sleep } from 'k6';

export const options = {
  stages: [
    { duration: '30s', target: 20 },
    { duration: '1m30s', target: 10 },
    { duration: '20s', target: 0 },
  ],
};

export default function () {
  const res = http.get('/');
  check(res, { 'status was 200': (r) => r.status == 200 });
  sleep(1);
}
