// k6's custom metrics (`k6/metrics`): Trend, Counter, Rate and Gauge, recorded by the host.
import metrics from "wasmload:scenario/metrics@0.2.0";

/** The kind of each custom metric the script made, by name, for its thresholds. */
export const kinds = new Map();

export class Trend {
  constructor(name) { this.name = name; kinds.set(name, "trend"); }
  add(value) { metrics.trend(this.name, Number(value)); }
}

export class Counter {
  constructor(name) { this.name = name; kinds.set(name, "counter"); }
  add(value) { metrics.counter(this.name, Math.max(0, Math.round(Number(value === undefined ? 1 : value)))); }
}

export class Rate {
  constructor(name) { this.name = name; kinds.set(name, "rate"); }
  add(value) { metrics.rate(this.name, !!value); }
}

export class Gauge {
  constructor(name) { this.name = name; kinds.set(name, "gauge"); }
  add(value) { metrics.gauge(this.name, Number(value)); }
}

export default { Trend, Counter, Rate, Gauge };
