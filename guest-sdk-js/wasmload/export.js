// The bridge between a k6-style script and wasmload's contract (`wasmload:scenario/user`):
// `export default function` is one iteration, `options` gives the load, `setup` and
// `teardown` run once for the whole test. Each user is its own instance of the component.
import runtime from "wasmload:scenario/runtime@0.2.0";
import data from "wasmload:scenario/data@0.2.0";
import { decode, encode } from "./utf8.js";
import { durationMs } from "./http.js";
import { convertThresholds } from "./thresholds.js";

/** Wraps `fn` so k6's per-iteration globals are set before it runs. */
function iterationGlobals() {
  globalThis.__VU = runtime.vuId() + 1;
  globalThis.__ITER = Math.max(0, runtime.iteration() - 1);
}

/** k6's `__ENV`: the run's `--env KEY=VALUE` parameters. */
globalThis.__ENV = new Proxy({}, {
  get(_, key) {
    if (typeof key !== "string") return undefined;
    const value = runtime.env(key);
    return value === null ? undefined : value;
  },
});

/** The users wanted at `ms` into the run for k6's `stages` (straight lines between targets). */
export function stagesAt(stages, startVus, ms) {
  let from = startVus;
  let begin = 0;
  for (const stage of stages) {
    const length = durationMs(stage.duration);
    if (ms < begin + length) {
      const share = length > 0 ? (ms - begin) / length : 1;
      return Math.round(from + (Number(stage.target) - from) * share);
    }
    begin += length;
    from = Number(stage.target);
  }
  return null;
}

function shapeOf(options) {
  if (Array.isArray(options.stages) && options.stages.length > 0) {
    return (ms) => stagesAt(options.stages, 0, ms);
  }
  if (options.duration !== undefined) {
    const until = durationMs(options.duration);
    const vus = Number(options.vus === undefined ? 1 : options.vus);
    return (ms) => (ms < until ? vus : null);
  }
  return null;
}

/** The script's `options` export (`wasmload:options`): its thresholds, in wasmload's grammar;
 * the ones wasmload cannot judge are named in a warning. */
export function makeOptions(script) {
  return {
    thresholds() {
      const { converted, skipped } = convertThresholds((script.options || {}).thresholds);
      if (skipped.length > 0) {
        runtime.log("warn", `thresholds wasmload does not judge, left out: ${skipped.join("; ")}`);
      }
      return converted;
    },
  };
}

/** The contract's `user` export for a script module. */
export function makeUser(script) {
  if (typeof script.default !== "function") {
    throw new Error("the script has no `export default function`: it is what each iteration runs");
  }
  const options = script.options || {};
  const shape = shapeOf(options);
  let setupData;
  let setupRead = false;
  const hooks = { setup: typeof script.setup === "function", teardown: typeof script.teardown === "function" };
  return {
    describe() {
      return {
        name: options.scenarioName || "default",
        tasks: [{ name: "default", weight: 1 }],
        wait: { tag: "none" },
        customShape: shape !== null,
        host: null,
        order: "weighted",
        data: [],
        hooks,
      };
    },
    onStart() {},
    runTask() {
      iterationGlobals();
      if (!setupRead) {
        const bytes = hooks.setup ? data.setupData() : null;
        setupData = bytes === null ? undefined : JSON.parse(decode(bytes));
        setupRead = true;
      }
      try {
        script.default(setupData);
      } catch (error) {
        runtime.log("error", error && error.stack ? `${error}\n${error.stack}` : String(error));
        throw String(error);
      }
    },
    onStop() {},
    shape(elapsedMs) {
      const users = shape(Number(elapsedMs));
      return users === null ? null : { users, spawnRate: 1000 };
    },
    setup() {
      const value = script.setup();
      return encode(JSON.stringify(value === undefined ? null : value));
    },
    teardown(bytes) {
      script.teardown(bytes === null ? undefined : JSON.parse(decode(bytes)));
    },
  };
}
