// A k6-style journey against the demo API: log in once in setup(), then each iteration
// lists products, opens one in a group, and records a custom trend.
import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Trend } from 'k6/metrics';

const listing = new Trend('listing_ms');

export const options = {
  vus: 5,
  duration: '10s',
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<500'],
    'http_req_duration{name:/api/v1/products/:id}': [{ threshold: 'p(99)<800', abortOnFail: false }],
    listing_ms: ['p(95)<500'],
  },
};

export function setup() {
  const res = http.post('/api/v1/auth/login',
    JSON.stringify({ username: 'loadtest1@example.com', password: 'TestPass123!' }),
    { headers: { 'Content-Type': 'application/json' } });
  return { token: res.json('access_token') };
}

export default function (data) {
  const params = { headers: { Authorization: `Bearer ${data.token}` } };
  const list = http.get('/api/v1/products?limit=10', params);
  listing.add(list.timings.duration);
  check(list, {
    'listed': (r) => r.status === 200,
    'ten products': (r) => r.json().length === 10 || Array.isArray(r.json().items),
  });
  group('product page', () => {
    const id = 1001 + (__ITER % 10);
    http.get(`/api/v1/products/${id}`, Object.assign({ tags: { name: '/api/v1/products/:id' } }, params));
    http.get('/api/v1/users/me', params);
  });
  sleep(0.2);
}
