// k6's custom metrics (`k6/metrics`): Trend, Counter, Rate and Gauge, recorded by the host.
import metrics from "wasmload:scenario/metrics@0.2.0";

export class Trend {
  constructor(name) { this.name = name; }
  add(value) { metrics.trend(this.name, Number(value)); }
}

export class Counter {
  constructor(name) { this.name = name; }
  add(value) { metrics.counter(this.name, Math.max(0, Math.round(Number(value === undefined ? 1 : value)))); }
}

export class Rate {
  constructor(name) { this.name = name; }
  add(value) { metrics.rate(this.name, !!value); }
}

export class Gauge {
  constructor(name) { this.name = name; }
  add(value) { metrics.gauge(this.name, Number(value)); }
}

export default { Trend, Counter, Rate, Gauge };
