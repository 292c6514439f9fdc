// The throughput benchmark's user in JavaScript: one request per iteration, no wait.
import http from 'k6/http';

export default function () {
  http.get('/');
}
