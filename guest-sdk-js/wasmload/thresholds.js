// k6's `options.thresholds` in wasmload's threshold grammar: `http_req_duration: ['p(95)<500']`
// becomes `p95<500ms`, `http_req_failed: ['rate<0.01']` becomes `error_rate<1%`, and a custom
// metric's becomes `trend:NAME:p95<300` (or counter:, rate:, gauge:).
import { kinds } from "./metrics.js";

const EXPRESSION = /^\s*([a-z]+(?:\([\d.]+\))?)\s*(<=|>=|==|!=|<|>)\s*([\d.]+)\s*$/;

/** `p(95)` as `p95`; other statistics as they are. */
function stat(name) {
  const percentile = /^p\(([\d.]+)\)$/.exec(name);
  return percentile ? `p${percentile[1]}` : name;
}

/** A fraction (k6's rates) as a percentage. */
function percent(value) {
  return `${Number((Number(value) * 100).toFixed(6))}%`;
}

/** The scope and the conversion of one metric's expressions, or null for a metric wasmload
 * does not judge. */
function metricRule(metric) {
  const tagged = /^([a-z_][\w.-]*)\{name:(.+)\}$/.exec(metric);
  const [base, scope] = tagged ? [tagged[1], `${tagged[2]}:`] : [metric, ""];
  if (base === "http_req_duration") return (s, op, v) => `${scope}${stat(s)}${op}${v}ms`;
  if (base === "http_req_failed") return (s, op, v) => s === "rate" ? `${scope}error_rate${op}${percent(v)}` : null;
  if (base === "http_reqs") {
    return (s, op, v) => (s === "count" ? `${scope}requests${op}${v}` : s === "rate" ? `${scope}rps${op}${v}` : null);
  }
  const kind = tagged ? undefined : kinds.get(metric);
  if (kind === undefined) return null;
  return (s, op, v) => `${kind}:${metric}:${stat(s)}${op}${kind === "rate" ? percent(v) : v}`;
}

/** The thresholds in wasmload's grammar, and the ones it cannot judge (named in a warning). */
export function convertThresholds(thresholds) {
  const converted = [];
  const skipped = [];
  for (const metric of Object.keys(thresholds || {})) {
    const rule = metricRule(metric);
    for (const entry of [].concat(thresholds[metric])) {
      const text = typeof entry === "string" ? entry : entry && entry.threshold;
      const parts = EXPRESSION.exec(String(text));
      const done = rule && parts ? rule(parts[1], parts[2], parts[3]) : null;
      if (done) converted.push(done);
      else skipped.push(`${metric}: ${text}`);
    }
  }
  return { converted, skipped };
}
