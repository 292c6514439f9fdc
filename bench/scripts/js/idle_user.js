// The memory benchmark's user in JavaScript: one iteration (with CONNECT=1, one request
// first), then a ten-minute sleep, so many of them measure what an idle user costs.
import http from 'k6/http';
import { sleep } from 'k6';

export default function () {
  if (__ENV.CONNECT === '1') http.get('/');
  sleep(600);
}
