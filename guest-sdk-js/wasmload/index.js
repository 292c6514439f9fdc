// wasmload's JavaScript SDK, k6's API: `check`, `sleep`, `group`, `fail`, and `__VU`,
// `__ITER` and `__ENV` for each iteration. Each virtual user is its own sandboxed instance.
import runtime from "wasmload:scenario/runtime@0.2.0";
import metrics from "wasmload:scenario/metrics@0.2.0";

/** Counts each named check of `value` as passed or failed; true when all passed. */
export function check(value, sets) {
  let all = true;
  for (const name of Object.keys(sets)) {
    const test = sets[name];
    let passed;
    try {
      passed = !!(typeof test === "function" ? test(value) : test);
    } catch (error) {
      passed = false;
    }
    runtime.check(name, passed);
    all = all && passed;
  }
  return all;
}

/** Suspends this user (only) for `seconds`. */
export function sleep(seconds) {
  runtime.sleep(Math.max(0, Math.round(Number(seconds) * 1000)));
}

/** Runs `fn` as group `name`: its requests are tagged, its time recorded as a GROUP row. */
export function group(name, fn) {
  metrics.beginGroup(String(name));
  try {
    return fn();
  } finally {
    metrics.endGroup();
  }
}

/** Ends the iteration with an error. */
export function fail(message) {
  throw new Error(message === undefined ? "fail()" : String(message));
}

export default { check, sleep, group, fail };
